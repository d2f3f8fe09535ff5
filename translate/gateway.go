package translate

import (
	"fmt"
	"net/netip"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/load"
	"github.com/sluice-gitops/sluice/translate/status"
)

// translator holds the state of one translation. It runs its steps in a
// fixed order: classes, gateways and listeners, routes, then the IR.
type translator struct {
	opts Options
	res  *Resources
	// secretValues are the values of the revision's Secrets as they may
	// print, made for the first Gateway an EnvoyPatchPolicy changes
	// (redact.go).
	secretValues []string
	memo         *memo // per-object results reused across revisions, or nil
	// rec records the lookups of the route whose rules are being
	// resolved, or is nil (incremental.go).
	rec *resolveRecord
	// stateWarnings counts the warnings of the states registered.
	stateWarnings int
	status        map[load.Key]*status.Object
	// statusList holds the entries of status in the order they were made.
	statusList []*status.Object
	// statusSlab holds the entries not used yet: allocating them in
	// blocks spares the allocator.
	statusSlab []status.Object
	warnings   []string

	gateways []*gatewayState
	backends map[string]*backendState // by namespace/name
	secrets  map[string]*secretState  // by namespace/name
	// backendObjects counts the Backend objects among backends.
	backendObjects int

	// listenerSets are the ListenerSets managed Gateways took
	// (listenerset.go).
	listenerSets []*listenerSetState

	// tlsPolicies is the BackendTLSPolicy in force on each Service
	// cluster, by cluster name; tlsPolicyList has them all, oldest first
	// (backendtlspolicy.go).
	tlsPolicies   map[string]*tlsPolicyState
	tlsPolicyList []*tlsPolicyState

	// classParams holds what the parametersRef of each managed
	// GatewayClass gives, by class name (envoyproxy.go).
	classParams map[string]*classParams

	// policies are the BackendTrafficPolicies and SecurityPolicies,
	// attached before the IR is built, or nil; targets what policies
	// can attach to, once listed (policies.go).
	policies *policies.Plan
	targets  *policies.Targets
}

// gatewayState is a managed Gateway during translation.
type gatewayState struct {
	obj       *gwapiv1.Gateway
	status    *status.Object
	listeners []*listenerState
	ir        *ir.Gateway
	clusters  map[string]*ir.Cluster
	secrets   map[string]*ir.Secret // by SDS name
	proxy     *ir.ProxySettings     // from its EnvoyProxy, or nil (envoyproxy.go)
}

// listenerState is one Gateway listener and the routes attached to it.
type listenerState struct {
	spec   gwapiv1.Listener
	status *status.Listener
	valid  bool
	routes []*attachedRoute
	// byKind counts routes by kind: a listener with routes of one kind
	// skips otherKindRoute's scan, which made attaching quadratic.
	byKind map[string]int
	// secrets are the SDS names of the certificates of a listener that
	// terminates TLS.
	secrets []string
	// l4 holds the attached TLSRoutes, TCPRoutes or UDPRoutes.
	l4 []*l4Attached
	// set is the ListenerSet the listener comes from, nil for the
	// Gateway's own; entry is then its name there, which routes'
	// sectionName use, while spec.Name is unique in the Gateway
	// (listenerset.go).
	set   *listenerSetState
	entry gwapiv1.SectionName
}

func newTranslator(res *Resources, opts Options) *translator {
	// Routes and Backends have a status each; Backends and Service ports
	// a state.
	n := len(res.HTTPRoutes) + len(res.GRPCRoutes) + len(res.Backends) + len(res.Gateways)
	return &translator{
		opts:       opts,
		res:        res,
		status:     make(map[load.Key]*status.Object, n),
		statusList: make([]*status.Object, 0, n), // statusOf appends
		backends:   make(map[string]*backendState, len(res.Backends)),
		secrets:    map[string]*secretState{},
	}
}

// statusOf returns the status entry of an object, creating it.
func (t *translator) statusOf(kind, namespace, name string) *status.Object {
	key := load.Key{Kind: kind, Namespace: namespace, Name: name}
	s, ok := t.status[key]
	if !ok {
		if len(t.statusSlab) == 0 {
			t.statusSlab = make([]status.Object, max(64, len(t.statusList)/4))
		}
		s, t.statusSlab = &t.statusSlab[0], t.statusSlab[1:]
		*s = status.Object{Kind: kind, Namespace: namespace, Name: name, Location: t.res.objects().WhereKey(key)}
		t.status[key] = s
		t.statusList = append(t.statusList, s)
	}
	return s
}

func (t *translator) run() []*ir.Gateway {
	classes := t.processClasses()
	t.processGateways(classes)
	t.markMergedConflicts() // mergegateways.go
	t.processBackendTLSPolicies()
	t.processHTTPRoutes()
	t.processL4Routes()
	// The route policies attach to the routes and listeners attached
	// above; the IR is built with what they do (policies.go).
	t.policies = t.planPolicies()
	var out []*ir.Gateway
	for _, g := range t.gateways {
		t.buildGatewayIR(g)
		out = append(out, g.ir)
	}
	t.applyPolicies(out)
	t.tlsPolicyStatus()
	t.unreferencedBackends()
	return t.mergeGatewayIRs(out)
}

// processClasses accepts the GatewayClasses whose controllerName is ours
// and returns their names. Other classes belong to someone else and get no
// status.
func (t *translator) processClasses() map[string]bool {
	ours := map[string]bool{}
	for _, gc := range t.res.GatewayClasses {
		if string(gc.Spec.ControllerName) != t.opts.ControllerName {
			continue
		}
		ours[gc.Name] = true
		s := t.statusOf("GatewayClass", "", gc.Name)
		if problem := t.checkClassParams(gc); problem != "" {
			s.Conditions = append(s.Conditions, status.New(status.CondAccepted, false, status.ReasonInvalidParameters, problem))
			continue
		}
		s.Conditions = append(s.Conditions, status.New(status.CondAccepted, true, status.ReasonAccepted, "Valid GatewayClass"))
	}
	return ours
}

func (t *translator) processGateways(classes map[string]bool) {
	for _, gw := range t.res.Gateways {
		class := string(gw.Spec.GatewayClassName)
		if !classes[class] {
			found := false
			for _, gc := range t.res.GatewayClasses {
				found = found || gc.Name == class
			}
			if !found {
				loc := t.res.Where("Gateway", gw.Namespace, gw.Name)
				t.warnings = append(t.warnings, fmt.Sprintf("%s: Gateway %s/%s: field spec.gatewayClassName: GatewayClass %q does not exist; the Gateway is not served", loc, gw.Namespace, gw.Name, class))
			}
			continue
		}
		g := &gatewayState{
			obj:      gw,
			status:   t.statusOf("Gateway", gw.Namespace, gw.Name),
			ir:       &ir.Gateway{Namespace: gw.Namespace, Name: gw.Name},
			clusters: make(map[string]*ir.Cluster, len(t.res.Backends)),
			secrets:  map[string]*ir.Secret{},
		}
		if problem := listenerSetProblem(gw.Spec.Listeners); problem != "" {
			g.status.Conditions = append(g.status.Conditions,
				status.New(status.CondAccepted, false, status.ReasonInvalid, problem),
				status.New(status.CondProgrammed, false, status.ReasonInvalid, "the Gateway is not accepted"))
			continue
		}
		if !t.applyGatewayParams(g) {
			continue // not accepted: the EnvoyProxy it needs is missing or invalid
		}
		for i := range gw.Spec.Listeners {
			l := t.checkListener(g, i)
			g.listeners = append(g.listeners, l)
			g.status.Listeners = append(g.status.Listeners, l.status)
		}
		markConflicts(g.listeners)
		var invalid []string
		for _, l := range g.listeners {
			if !l.valid {
				invalid = append(invalid, string(l.spec.Name))
			}
			l.status.Conditions = append(l.status.Conditions, status.New(status.CondProgrammed, l.valid, programmedReason(l.valid), ""))
		}
		switch {
		case len(g.listeners) > 0 && len(invalid) == len(g.listeners):
			g.status.Conditions = append(g.status.Conditions,
				status.New(status.CondAccepted, false, status.ReasonListenersNotValid, "no listener of the Gateway is valid"),
				status.New(status.CondProgrammed, false, status.ReasonInvalid, "no listener of the Gateway is valid"))
		case len(invalid) > 0:
			// The spec asks for ListenersNotValid whenever a listener is
			// invalid or conflicted, even when the Gateway is accepted.
			msg := fmt.Sprintf("listeners %s are invalid or conflicted and not served; the others are", strings.Join(invalid, ", "))
			g.status.Conditions = append(g.status.Conditions,
				status.New(status.CondAccepted, true, status.ReasonListenersNotValid, msg),
				status.New(status.CondProgrammed, true, status.ReasonProgrammed, "Gateway is programmed"))
		default:
			g.status.Conditions = append(g.status.Conditions,
				status.New(status.CondAccepted, true, status.ReasonAccepted, "Gateway is accepted"),
				status.New(status.CondProgrammed, true, status.ReasonProgrammed, "Gateway is programmed"))
		}
		t.attachListenerSets(g) // listenerset.go
		t.gateways = append(t.gateways, g)
	}
	t.orphanListenerSets()
}

// listenerSetProblem applies the Gateway CRD's rules over its listeners
// as a whole, which the API server enforces by refusing the Gateway:
// names are unique (the list's map key), and so is each combination of
// port, protocol and hostname (a CEL rule, whose message this is). The
// Gateway is then not accepted and not served; Envoy Gateway's own
// translator tests, which skip the API server, mark such listeners
// HostnameConflict instead.
func listenerSetProblem(ls []gwapiv1.Listener) string {
	names := make(map[gwapiv1.SectionName]bool, len(ls))
	type combo struct {
		port     gwapiv1.PortNumber
		protocol gwapiv1.ProtocolType
		hostname string
		has      bool
	}
	combos := make(map[combo]bool, len(ls))
	for i, l := range ls {
		if names[l.Name] {
			return fmt.Sprintf("field spec.listeners[%d].name: Listener name must be unique within the Gateway (%q is repeated)", i, l.Name)
		}
		names[l.Name] = true
		c := combo{port: l.Port, protocol: l.Protocol, hostname: hostnameOf(l.Hostname), has: l.Hostname != nil}
		if combos[c] {
			return fmt.Sprintf("field spec.listeners: Combination of port, protocol and hostname must be unique for each listener (listener %s repeats port %d, protocol %s, hostname %q)", l.Name, l.Port, l.Protocol, c.hostname)
		}
		combos[c] = true
	}
	return ""
}

func programmedReason(ok bool) string {
	if ok {
		return status.ReasonProgrammed
	}
	return status.ReasonInvalid
}

// checkListener validates one listener on its own: protocol, port,
// hostname, the CRD's rules for tls, allowed route kinds and, for a
// listener that terminates TLS, its certificates.
func (t *translator) checkListener(g *gatewayState, i int) *listenerState {
	return t.checkListenerSpec(g, g.obj.Spec.Listeners[i], fmt.Sprintf("spec.listeners[%d]", i), nil)
}

// checkListenerSpec is checkListener for a listener spec at field, of the
// Gateway or, when set is not nil, of that ListenerSet.
func (t *translator) checkListenerSpec(g *gatewayState, spec gwapiv1.Listener, field string, set *listenerSetState) *listenerState {
	l := &listenerState{spec: spec, valid: true, set: set, status: &status.Listener{Name: string(spec.Name), SupportedKinds: supportedKinds(spec)}}
	accepted := status.New(status.CondAccepted, true, status.ReasonAccepted, "Listener is accepted")
	resolved := status.New(status.CondResolvedRefs, true, status.ReasonResolvedRefs, "all references are resolved")
	switch {
	case protocolKinds[spec.Protocol] == nil:
		accepted = status.New(status.CondAccepted, false, status.ReasonUnsupportedProtocol,
			fmt.Sprintf("field %s.protocol: protocol %q is not supported; supported: %s", field, spec.Protocol, supportedProtocols))
	case spec.Port < 1 || spec.Port > 65535:
		accepted = status.New(status.CondAccepted, false, status.ReasonUnsupportedValue,
			fmt.Sprintf("field %s.port: %d is not a port number (1-65535)", field, spec.Port))
	case spec.Hostname != nil && !validHostname(string(*spec.Hostname), true):
		why := "is not a valid lowercase RFC 1123 hostname"
		if _, err := netip.ParseAddr(string(*spec.Hostname)); err == nil {
			why = "is an IP address, which a listener hostname must not be"
		}
		accepted = status.New(status.CondAccepted, false, status.ReasonUnsupportedValue,
			fmt.Sprintf("field %s.hostname: %q %s", field, *spec.Hostname, why))
	default:
		if msg := checkListenerSchema(field, spec); msg != "" {
			accepted = status.New(status.CondAccepted, false, status.ReasonUnsupportedValue, msg)
		} else if msg := selectorProblem(field, spec.AllowedRoutes); msg != "" {
			accepted = status.New(status.CondAccepted, false, status.ReasonUnsupportedValue, msg)
		}
	}
	if bad := invalidRouteKinds(spec.Protocol, spec.AllowedRoutes); len(bad) > 0 && accepted.Status == "True" {
		resolved = status.New(status.CondResolvedRefs, false, status.ReasonInvalidRouteKinds, routeKindsMessage(field, spec.Protocol, bad))
	}
	if accepted.Status == "True" && resolved.Status == "True" && terminatesTLS(spec) {
		resolved = t.resolveListenerTLS(g, l, field)
	}
	l.valid = accepted.Status == "True" && resolved.Status == "True"
	l.status.Conditions = append(l.status.Conditions, accepted, resolved)
	return l
}

// markConflicts applies the spec's listener conflict rules (see
// conflictReason) to every pair of listeners on one port. Every listener
// gets a Conflicted condition; a conflicted one is not served.
func markConflicts(ls []*listenerState) {
	for i, l := range ls {
		reason, why := "", ""
		for j, o := range ls {
			if i == j || o.spec.Port != l.spec.Port {
				continue
			}
			if r := conflictReason(l.spec, o.spec); r != "" && (reason == "" || r == status.ReasonProtocolConflict && reason != r) {
				reason, why = r, conflictMessage(r, l.spec, o.spec)
			}
		}
		if reason == "" {
			l.status.Conditions = append(l.status.Conditions, status.New(status.CondConflicted, false, status.ReasonNoConflicts, ""))
			continue
		}
		l.valid = false
		l.status.Conditions = append(l.status.Conditions, status.New(status.CondConflicted, true, reason, why))
	}
}

// conflictMessage says why listener l conflicts with o.
func conflictMessage(reason string, l, o gwapiv1.Listener) string {
	switch {
	case reason == status.ReasonHostnameConflict:
		host := hostnameOf(l.Hostname)
		if host == "" {
			host = "no hostname"
		}
		return fmt.Sprintf("listener %s on port %d has the same hostname (%s); %s listeners on one port are told apart by hostname", o.Name, l.Port, host, l.Protocol)
	case l.Protocol == o.Protocol:
		return fmt.Sprintf("listener %s is also %s on port %d; %s listeners are told apart by port only", o.Name, l.Protocol, l.Port, l.Protocol)
	}
	return fmt.Sprintf("listener %s on port %d has protocol %s, which cannot share a port with %s", o.Name, l.Port, o.Protocol, l.Protocol)
}

func hostnameOf(h *gwapiv1.Hostname) string {
	if h == nil {
		return ""
	}
	return string(*h)
}

// validHostname checks an RFC 1123 DNS name, optionally with a leading "*."
// label, and rejects IP addresses as Gateway API does.
func validHostname(h string, wildcard bool) bool {
	if wildcard && strings.HasPrefix(h, "*.") {
		h = h[2:]
	}
	if h == "" || len(h) > 253 {
		return false
	}
	allDigits := true
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			switch {
			case c >= 'a' && c <= 'z', c == '-':
				allDigits = false
			case c >= '0' && c <= '9':
			default:
				return false
			}
		}
	}
	return !allDigits
}
