package translate

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// backendState is a Backend object, or a Service port, translated once
// into a cluster. It is never changed once registered in t.backends: the
// next translation may reuse it (incremental.go).
type backendState struct {
	cluster *ir.Cluster
	err     string // why the Backend is invalid, naming the field
	// obj is the Backend, nil for a Service port.
	obj *egv1a1.Backend
	// tlsPolicy is set when a BackendTLSPolicy applied to the Backend's
	// cluster.
	tlsPolicy bool
	// warnings are those building the cluster of a Service port gave.
	warnings []string
	// conds are the conditions of a Backend's status, made once: every
	// status of the Backend holds them (length equal to capacity, so that
	// an append copies).
	conds []status.Condition
}

// resolveRules resolves the backendRefs of every rule of a route of kind
// HTTPRoute or GRPCRoute (translated to an HTTPRoute, grpcroute.go) and
// returns them with the route's ResolvedRefs condition.
func (t *translator) resolveRules(kind string, rt *gwapiv1.HTTPRoute) ([]ruleBackends, status.Condition) {
	specRules := httpRouteRules(rt)
	rules := make([]ruleBackends, len(specRules))
	var probs refProblems
	for i, rule := range specRules {
		for j, ref := range rule.BackendRefs {
			field := "spec.rules[" + strconv.Itoa(i) + "].backendRefs[" + strconv.Itoa(j) + "]"
			weight := uint32(1) // the CRD default; the range is checked by validateHTTPRoute
			if ref.Weight != nil {
				weight = uint32(*ref.Weight)
			}
			cluster, why, msg := t.resolveBackendFrom(kind, rt.Namespace, ref.BackendObjectReference, field)
			if why != "" {
				probs.add(why, msg)
			}
			wb := ir.WeightedBackend{Weight: weight}
			if !applyBackendFilters(&wb, field+".filters", ref.Filters, &probs) {
				cluster = nil
			}
			if weight == 0 {
				continue
			}
			if cluster != nil {
				wb.Cluster = cluster.Name
				rules[i].clusters = append(rules[i].clusters, cluster)
			}
			rules[i].backends = append(rules[i].backends, wb)
		}
		t.failoverRule(kind, rt.Namespace, rt.Name, i, &rules[i])
		rules[i].filters = t.ruleFilters(kind, rt.Namespace, i, rule, &rules[i].clusters, &probs)
	}
	return rules, probs.condition()
}

// resolveBackendFrom finds the cluster of one backendRef of a route of
// the given kind (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute) in
// namespace routeNS. The kind is checked first, then the ReferenceGrant a
// reference to another namespace needs, then that the target exists.
func (t *translator) resolveBackendFrom(routeKind, routeNS string, ref gwapiv1.BackendObjectReference, field string) (*ir.Cluster, string, string) {
	to := refTo{kind: "Service", namespace: routeNS, name: string(ref.Name)}
	if ref.Group != nil {
		to.group = string(*ref.Group)
	}
	if ref.Kind != nil {
		to.kind = string(*ref.Kind)
	}
	if ref.Namespace != nil {
		to.namespace = string(*ref.Namespace)
	}
	service := to.group == "" && to.kind == "Service"
	imported := to.group == groupMulticluster && to.kind == "ServiceImport"
	if !service && !imported && (to.group != groupEG || to.kind != "Backend") {
		return nil, status.ReasonInvalidKind, fmt.Sprintf("field %s.kind: %s/%s is not a supported backend kind (Service, gateway.envoyproxy.io/Backend, multicluster.x-k8s.io/ServiceImport)", field, to.group, to.kind)
	}
	if to.namespace != routeNS && !t.res.refGranted(refFrom{groupGateway, routeKind, routeNS}, to) {
		return nil, status.ReasonRefNotPermitted, fmt.Sprintf("field %s.namespace: no ReferenceGrant in namespace %q allows %ss of namespace %q to refer to %s", field, to.namespace, routeKind, routeNS, to)
	}
	if service || imported {
		proto := corev1.ProtocolTCP
		if routeKind == "UDPRoute" {
			proto = corev1.ProtocolUDP
		}
		if imported {
			return t.serviceImportCluster(to.namespace, to.name, ref.Port, proto, field)
		}
		return t.serviceCluster(to.namespace, to.name, ref.Port, proto, field)
	}
	b := t.backend(to.namespace, to.name)
	if b == nil {
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s.name: Backend %s/%s does not exist", field, to.namespace, to.name)
	}
	if b.err != "" {
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s: Backend %s/%s is invalid: %s", field, to.namespace, to.name, b.err)
	}
	return b.cluster, "", ""
}

// validateBackendRef makes the checks of the BackendObjectReference
// schema and its CEL rule; field names the reference.
func validateBackendRef(field string, ref gwapiv1.BackendObjectReference) []error {
	var errs []error
	if ref.Port != nil && (*ref.Port < 1 || *ref.Port > 65535) {
		errs = append(errs, fmt.Errorf("field %s.port: %d is out of range 1-65535", field, *ref.Port))
	}
	group, kind := "", "Service"
	if ref.Group != nil {
		group = string(*ref.Group)
	}
	if ref.Kind != nil {
		kind = string(*ref.Kind)
	}
	if group == "" && kind == "Service" && ref.Port == nil {
		errs = append(errs, fmt.Errorf("field %s: Must have port for Service reference", field))
	}
	return errs
}

// backend translates a Backend object once and caches the result; nil
// means it does not exist.
func (t *translator) backend(namespace, name string) *backendState {
	return t.backendByKey(namespace+"/"+name, namespace, name)
}

// backendByKey is backend with the key namespace/name made already.
func (t *translator) backendByKey(key, namespace, name string) *backendState {
	b, ok := t.backends[key]
	if !ok {
		b = t.newBackend(key, namespace, name, nil)
	}
	t.rec.backend(key, namespace, name, b)
	return b
}

// newBackend registers the state of a Backend: the last translation's
// (last, if it is not nil) when it had the same object, else a new one.
func (t *translator) newBackend(key, namespace, name string, last *backendState) *backendState {
	obj := t.res.idx().backends[key]
	if obj == nil {
		return nil
	}
	b := last
	if !t.reusable(b, obj) {
		b = t.memo.prevState(key)
	}
	if !t.reusable(b, obj) {
		b = &backendState{obj: obj}
		b.cluster, b.err = t.memo.backendCluster(obj)
		c := status.New(status.CondAccepted, true, status.ReasonAccepted, "Backend is accepted")
		if b.err != "" {
			c = status.New(status.CondAccepted, false, status.ReasonInvalid, b.err)
		}
		b.conds = []status.Condition{c}
		if b.cluster != nil && t.tlsPolicies["backend/"+key] != nil {
			t.applyTLSPolicy(b.cluster) // a copy of its own (memo.backendCluster)
			b.tlsPolicy = true
		}
	}
	// The conditions are shared by the statuses of every translation that
	// registers b; conditions are only ever appended to a status, and an
	// append to conds copies them.
	s := t.statusOf("Backend", namespace, name)
	if len(s.Conditions) == 0 {
		s.Conditions = b.conds
	} else {
		s.Conditions = append(s.Conditions, b.conds...)
	}
	t.backends[key] = b
	t.backendObjects++
	return b
}

// reusable reports whether the state of a Backend that an earlier
// translation registered serves for obj now: the same object, and no
// BackendTLSPolicy on it then or now (a policy's TLS is made anew by each
// translation, so a Backend under one is made anew too).
func (t *translator) reusable(b *backendState, obj *egv1a1.Backend) bool {
	if b == nil || b.obj != obj || b.tlsPolicy {
		return false
	}
	return len(t.tlsPolicies) == 0 || b.cluster == nil || t.tlsPolicies[b.cluster.Name] == nil
}

// unreferencedBackends gives every Backend that nothing referred to its
// status too, as Envoy Gateway does: whether it is valid does not depend
// on its users. It costs nothing when every Backend was referred to.
func (t *translator) unreferencedBackends() {
	if t.backendObjects == len(t.res.Backends) {
		return
	}
	for _, obj := range t.res.Backends {
		key := obj.Namespace + "/" + obj.Name
		if _, ok := t.backends[key]; !ok {
			t.newBackend(key, obj.Namespace, obj.Name, nil)
		}
	}
}

// backendCluster turns a Backend's endpoints into a cluster. IP and Unix
// endpoints are served over EDS; any FQDN endpoint makes the cluster resolve
// DNS itself, and then Unix sockets cannot be mixed in.
func backendCluster(b *egv1a1.Backend) (*ir.Cluster, string) {
	c := &ir.Cluster{Name: "backend/" + b.Namespace + "/" + b.Name}
	if len(b.Spec.Endpoints) == 0 {
		return nil, "field spec.endpoints: at least one endpoint is required"
	}
	unix := false
	for i, ep := range b.Spec.Endpoints {
		field := fmt.Sprintf("spec.endpoints[%d]", i)
		set := 0
		for _, p := range []bool{ep.IP != nil, ep.FQDN != nil, ep.Unix != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			return nil, fmt.Sprintf("field %s: exactly one of ip, fqdn or unix must be set", field)
		}
		switch {
		case ep.IP != nil:
			addr, err := netip.ParseAddr(ep.IP.Address)
			if err != nil || addr.Zone() != "" {
				return nil, fmt.Sprintf("field %s.ip.address: %q is not an IP address", field, ep.IP.Address)
			}
			if ep.IP.Port < 0 || ep.IP.Port > 65535 {
				return nil, fmt.Sprintf("field %s.ip.port: %d is not a port number", field, ep.IP.Port)
			}
			c.Endpoints = append(c.Endpoints, &ir.Endpoint{Host: addr.String(), Port: uint32(ep.IP.Port)})
		case ep.FQDN != nil:
			h := strings.TrimSuffix(ep.FQDN.Hostname, ".")
			if !validHostname(h, false) {
				return nil, fmt.Sprintf("field %s.fqdn.hostname: %q is not a valid hostname", field, ep.FQDN.Hostname)
			}
			if ep.FQDN.Port < 0 || ep.FQDN.Port > 65535 {
				return nil, fmt.Sprintf("field %s.fqdn.port: %d is not a port number", field, ep.FQDN.Port)
			}
			c.DNS = true
			c.Endpoints = append(c.Endpoints, &ir.Endpoint{Host: h, Port: uint32(ep.FQDN.Port)})
		default:
			if !strings.HasPrefix(ep.Unix.Path, "/") {
				return nil, fmt.Sprintf("field %s.unix.path: %q is not an absolute path", field, ep.Unix.Path)
			}
			unix = true
			c.Endpoints = append(c.Endpoints, &ir.Endpoint{Unix: ep.Unix.Path})
		}
	}
	if c.DNS && unix {
		return nil, "field spec.endpoints: unix endpoints cannot be mixed with fqdn endpoints"
	}
	return c, ""
}
