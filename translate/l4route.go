package translate

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// TLSRoute, TCPRoute and UDPRoute share their shape: parentRefs, rules
// of backendRefs and, for TLSRoute, SNI hostnames. They are translated
// here as one l4Route each.

// l4Route is a TLSRoute, TCPRoute or UDPRoute.
type l4Route struct {
	kind       string
	meta       *metav1.ObjectMeta
	apiVersion string
	parentRefs []gwapiv1.ParentReference
	hostnames  []gwapiv1.Hostname // TLSRoute only
	rules      [][]gwapiv1.BackendRef
}

func (r *l4Route) id() string { return r.meta.Namespace + "/" + r.meta.Name }

// l4Attached is an l4Route attached to one listener.
type l4Attached struct {
	route *l4Route
	// hostnames are the SNI names the route serves on the listener
	// (TLSRoute only); "*" means any.
	hostnames []string
	backends  []ir.WeightedBackend
	clusters  []*ir.Cluster
}

// l4Routes collects the routes of the three kinds, oldest first (then by
// namespace/name): where routes compete for a TCP or UDP listener or for
// an SNI name, the oldest wins, as Gateway API resolves route conflicts.
func (t *translator) l4Routes() []*l4Route {
	var out []*l4Route
	add := func(kind string, meta *metav1.ObjectMeta, apiVersion string, spec gwapiv1.CommonRouteSpec, hostnames []gwapiv1.Hostname, rules [][]gwapiv1.BackendRef) {
		out = append(out, &l4Route{kind: kind, meta: meta, apiVersion: apiVersion, parentRefs: spec.ParentRefs, hostnames: hostnames, rules: rules})
	}
	for _, rt := range t.res.TLSRoutes {
		var rules [][]gwapiv1.BackendRef
		for _, r := range rt.Spec.Rules {
			rules = append(rules, r.BackendRefs)
		}
		add("TLSRoute", &rt.ObjectMeta, rt.APIVersion, rt.Spec.CommonRouteSpec, rt.Spec.Hostnames, rules)
	}
	for _, rt := range t.res.TCPRoutes {
		var rules [][]gwapiv1.BackendRef
		for _, r := range rt.Spec.Rules {
			rules = append(rules, r.BackendRefs)
		}
		add("TCPRoute", &rt.ObjectMeta, rt.APIVersion, rt.Spec.CommonRouteSpec, nil, rules)
	}
	for _, rt := range t.res.UDPRoutes {
		var rules [][]gwapiv1.BackendRef
		for _, r := range rt.Spec.Rules {
			rules = append(rules, r.BackendRefs)
		}
		add("UDPRoute", &rt.ObjectMeta, rt.APIVersion, rt.Spec.CommonRouteSpec, nil, rules)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].meta.CreationTimestamp.UTC(), out[j].meta.CreationTimestamp.UTC()
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].id() < out[j].id()
	})
	return out
}

// processL4Routes validates each route, resolves its backends once and
// attaches it to the listeners its parentRefs select.
func (t *translator) processL4Routes() {
	for _, r := range t.l4Routes() {
		s := t.statusOf(r.kind, r.meta.Namespace, r.meta.Name)
		if err := validateL4Route(r); err != nil {
			msg := strings.ReplaceAll(err.Error(), "\n", "; ")
			for _, pr := range r.parentRefs {
				s.Parents = append(s.Parents, status.Parent{
					ParentRef:  parentRefString(r.meta.Namespace, pr),
					Conditions: []status.Condition{status.New(status.CondAccepted, false, status.ReasonUnsupportedValue, msg)},
				})
			}
			continue
		}
		backends, clusters, resolved := t.resolveL4Backends(r)
		for i, pr := range r.parentRefs {
			ps := status.Parent{ParentRef: parentRefString(r.meta.Namespace, pr)}
			ps.Conditions = append(ps.Conditions, t.attachL4(r, i, pr, backends, clusters), resolved)
			s.Parents = append(s.Parents, ps)
		}
		if len(r.parentRefs) == 0 {
			loc := t.res.Where(r.kind, r.meta.Namespace, r.meta.Name)
			t.warnings = append(t.warnings, fmt.Sprintf("%s: %s %s: field spec.parentRefs is empty; the route is attached to nothing", loc, r.kind, r.id()))
		}
	}
}

// validateL4Route applies the CRD schema of the route's apiVersion:
// v1alpha2 allows up to 16 rules and TLSRoutes without hostnames; v1 (and
// v1alpha3, the same TLSRoute) allows one rule and needs hostnames.
func validateL4Route(r *l4Route) error {
	var errs []error
	maxRules := 16
	if !strings.HasSuffix(r.apiVersion, "/v1alpha2") {
		maxRules = 1
		if r.kind == "TLSRoute" && len(r.hostnames) == 0 {
			errs = append(errs, errors.New("field spec.hostnames: at least one hostname is required"))
		}
	}
	switch {
	case len(r.rules) == 0:
		errs = append(errs, errors.New("field spec.rules: at least one rule is required"))
	case len(r.rules) > maxRules:
		errs = append(errs, fmt.Errorf("field spec.rules: %d rules given; %s %s allows at most %d", len(r.rules), r.apiVersion, r.kind, maxRules))
	}
	for i, h := range r.hostnames {
		if !validHostname(string(h), true) {
			errs = append(errs, fmt.Errorf("field spec.hostnames[%d]: %q is not a valid hostname (lowercase RFC 1123, optionally with a leading \"*.\"; not an IP address)", i, h))
		}
	}
	weighted := 0
	for i, refs := range r.rules {
		switch {
		case len(refs) == 0:
			errs = append(errs, fmt.Errorf("field spec.rules[%d].backendRefs: at least one backendRef is required", i))
		case len(refs) > 16:
			errs = append(errs, fmt.Errorf("field spec.rules[%d].backendRefs: %d given; at most 16 are allowed", i, len(refs)))
		}
		for j, ref := range refs {
			if w := ref.Weight; w != nil && (*w < 0 || *w > 1000000) {
				errs = append(errs, fmt.Errorf("field spec.rules[%d].backendRefs[%d].weight: %d is out of range 0-1000000", i, j, *w))
			}
			if ref.Weight == nil || *ref.Weight > 0 {
				weighted++
			}
		}
	}
	if r.kind == "UDPRoute" && weighted > 1 {
		errs = append(errs, errors.New("field spec.rules[0].backendRefs: sluice forwards the datagrams of a UDPRoute to one backend; several backends with weights are not supported yet"))
	}
	return errors.Join(errs...)
}

// resolveL4Backends resolves the backendRefs of every rule into one set
// of weighted backends: the rules of a route without matches share its
// traffic. An invalid backend keeps its weight with an empty cluster, so
// its share of connections is refused, as the spec asks.
func (t *translator) resolveL4Backends(r *l4Route) ([]ir.WeightedBackend, []*ir.Cluster, status.Condition) {
	var backends []ir.WeightedBackend
	var clusters []*ir.Cluster
	var probs refProblems
	for i, refs := range r.rules {
		for j, ref := range refs {
			field := fmt.Sprintf("spec.rules[%d].backendRefs[%d]", i, j)
			weight := uint32(1)
			if ref.Weight != nil {
				weight = uint32(*ref.Weight)
			}
			cluster, why, msg := t.resolveBackendFrom(r.kind, r.meta.Namespace, ref.BackendObjectReference, field)
			if why != "" {
				probs.add(why, msg)
			}
			if weight == 0 {
				continue
			}
			wb := ir.WeightedBackend{Weight: weight}
			if cluster != nil {
				wb.Cluster = cluster.Name
				clusters = append(clusters, cluster)
			}
			backends = append(backends, wb)
		}
	}
	if len(backends) == 0 {
		// Every backend has weight 0: nothing is forwarded.
		backends = []ir.WeightedBackend{{Weight: 1}}
	}
	return backends, clusters, probs.condition()
}

// attachL4 binds a route to the listeners one parentRef selects and
// returns the parent's Accepted condition.
func (t *translator) attachL4(r *l4Route, i int, pr gwapiv1.ParentReference, backends []ir.WeightedBackend, clusters []*ir.Cluster) status.Condition {
	field := parentRefField(i)
	g, fail := t.parentGateway(r.meta.Namespace, i, pr)
	if g == nil {
		return fail
	}
	var matched, ready, wrongProtocol, allowed, attached int
	var taken []string
	for _, l := range g.listeners {
		if pr.SectionName != nil && *pr.SectionName != l.spec.Name {
			continue
		}
		if pr.Port != nil && *pr.Port != l.spec.Port {
			continue
		}
		matched++
		if !contains(protocolKinds[l.spec.Protocol], r.kind) {
			wrongProtocol++
			continue
		}
		if !l.allowsKind(r.kind) || !t.namespaceAllowed(g.obj, l.spec, r.meta.Namespace) {
			continue
		}
		allowed++
		if !l.valid {
			continue
		}
		ready++
		var hosts []string
		if r.kind == "TLSRoute" {
			if hosts = intersectHostnames(hostnameOf(l.spec.Hostname), r.hostnames); len(hosts) == 0 {
				continue
			}
		} else if len(l.l4) > 0 && l.l4[0].route != r {
			// A TCP or UDP listener forwards to one route: the oldest.
			taken = append(taken, fmt.Sprintf("listener %s serves %s %s", l.spec.Name, l.l4[0].route.kind, l.l4[0].route.id()))
			continue
		}
		attached++
		if !l.hasL4(r) { // two parentRefs may select one listener
			l.status.AttachedRoutes++
			l.l4 = append(l.l4, &l4Attached{route: r, hostnames: hosts, backends: backends, clusters: clusters})
		}
	}
	ns := g.obj.Namespace
	switch {
	case matched == 0:
		return status.New(status.CondAccepted, false, status.ReasonNoMatchingParent, fmt.Sprintf("field %s: Gateway %s/%s has no listener that matches sectionName and port", field, ns, pr.Name))
	case r.kind == "TLSRoute" && wrongProtocol == matched:
		// The TLSRoute spec asks for UnsupportedValue when a listener of
		// the wrong protocol is used.
		return status.New(status.CondAccepted, false, status.ReasonUnsupportedValue, fmt.Sprintf("field %s: a TLSRoute attaches to listeners of protocol TLS only; Gateway %s/%s has none that matches", field, ns, pr.Name))
	case allowed == 0:
		return status.New(status.CondAccepted, false, status.ReasonNotAllowedByListeners, fmt.Sprintf("field %s: no listener of Gateway %s/%s allows a %s here (protocol, allowedRoutes)", field, ns, pr.Name, r.kind))
	case ready == 0:
		return noReadyListeners(field, ns, string(pr.Name))
	case attached == 0 && len(taken) > 0:
		return status.New(status.CondAccepted, false, status.ReasonUnsupportedValue, fmt.Sprintf("field %s: %s, which is older; a %s listener forwards to one route", field, strings.Join(taken, "; "), l4Protocol(r.kind)))
	case attached == 0:
		return status.New(status.CondAccepted, false, status.ReasonNoMatchingListenerHost, fmt.Sprintf("field spec.hostnames: no hostname intersects the listeners of Gateway %s/%s", ns, pr.Name))
	}
	return status.New(status.CondAccepted, true, status.ReasonAccepted, "Route is accepted")
}

func l4Protocol(kind string) string {
	return strings.TrimSuffix(kind, "Route")
}

// parentGateway finds the managed Gateway a parentRef names, or returns
// the failing Accepted condition.
func (t *translator) parentGateway(routeNS string, i int, pr gwapiv1.ParentReference) (*gatewayState, status.Condition) {
	group, kind := groupGateway, "Gateway"
	if pr.Group != nil {
		group = string(*pr.Group)
	}
	if pr.Kind != nil {
		kind = string(*pr.Kind)
	}
	if group != groupGateway || kind != "Gateway" {
		return nil, status.New(status.CondAccepted, false, status.ReasonNoMatchingParent, fmt.Sprintf("field %s: parent kind %s/%s is not supported; use Gateway", parentRefField(i), group, kind))
	}
	ns := routeNS
	if pr.Namespace != nil {
		ns = string(*pr.Namespace)
	}
	for _, g := range t.gateways {
		if g.obj.Namespace == ns && g.obj.Name == string(pr.Name) {
			return g, status.Condition{}
		}
	}
	return nil, status.New(status.CondAccepted, false, status.ReasonNoMatchingParent, fmt.Sprintf("field %s: Gateway %s/%s does not exist or is not managed by %s", parentRefField(i), ns, pr.Name, t.opts.ControllerName))
}

// parentRefField names parentRef i of a route in messages.
func parentRefField(i int) string { return fmt.Sprintf("spec.parentRefs[%d]", i) }

// namespaceAllowed applies a listener's allowedRoutes.namespaces to a
// route of any kind in namespace ns. It goes through routeAllowed so that
// both route families follow one rule; routeAllowed reads only the
// route's namespace.
func (t *translator) namespaceAllowed(gw *gwapiv1.Gateway, l gwapiv1.Listener, ns string) bool {
	return t.routeAllowed(gw, l, &gwapiv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Namespace: ns}})
}

func (l *listenerState) hasL4(r *l4Route) bool {
	for _, a := range l.l4 {
		if a.route == r {
			return true
		}
	}
	return false
}
