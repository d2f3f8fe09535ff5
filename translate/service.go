package translate

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// Service backends, as in Kubernetes: a backendRef names a Service and one
// of its ports (the Service port, not the target port). The endpoints are
// read from the EndpointSlices of the Service's namespace that are labelled
// kubernetes.io/service-name: <service>: of each, the port whose name (and
// protocol) is the Service port's gives the port number, and every
// endpoint whose conditions.ready is not false gives its first address.
// A Service port with appProtocol kubernetes.io/h2c is spoken to in
// HTTP/2 without TLS (h2c), as Gateway API asks; kubernetes.io/ws needs
// nothing more than the WebSocket upgrades every HTTP listener allows.
// A Service of type ExternalName is a DNS name instead: its cluster
// resolves externalName itself and connects to the Service port.
//
// Each Service port is one cluster, service/<namespace>/<name>/<port>. A
// cluster without endpoints is still served (Envoy answers 503) and the
// reason is a warning.

// serviceCluster resolves a reference to port of Service namespace/name
// for a route of the given protocol. On failure it returns the
// ResolvedRefs reason and a message naming the field.
func (t *translator) serviceCluster(namespace, name string, port *gwapiv1.PortNumber, proto corev1.Protocol, field string) (*ir.Cluster, string, string) {
	svc := t.res.idx().services[namespace+"/"+name]
	if svc == nil {
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s.name: Service %s/%s does not exist", field, namespace, name)
	}
	if port == nil {
		// The CRD's CEL rule rejects this for the route kinds that have
		// it; it is checked here for those that do not.
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s: Must have port for Service reference", field)
	}
	sp, ok := servicePort(svc, int32(*port), proto)
	if !ok {
		return nil, status.ReasonBackendNotFound, fmt.Sprintf("field %s.port: Service %s/%s has no %s port %d (its ports: %s)", field, namespace, name, proto, *port, portList(svc.Spec.Ports))
	}
	key := fmt.Sprintf("%s/%d/%s", objectKey("Service", namespace, name), sp.Port, proto)
	b := t.serviceState(key, svc, sp, proto)
	t.rec.service(key, svc, sp, proto, b)
	return b.cluster, "", ""
}

// serviceState returns the state of one Service port, registering it the
// first time (portState).
func (t *translator) serviceState(key string, svc *corev1.Service, sp corev1.ServicePort, proto corev1.Protocol) *backendState {
	if b, ok := t.backends[key]; ok {
		return b
	}
	return t.portState(key, func() *ir.Cluster { return t.buildServiceCluster(svc, sp) }, proto == corev1.ProtocolTCP)
}

// portState returns the state of one port of a Service or ServiceImport,
// registering it the first time: the last translation's when the
// environment is the same (the object, its EndpointSlices and
// BackendTLSPolicies), with its warnings given again, else the cluster
// build gives, under the BackendTLSPolicies of its name if tls.
func (t *translator) portState(key string, build func() *ir.Cluster, tls bool) *backendState {
	if b, ok := t.backends[key]; ok {
		return b
	}
	b := t.memo.prevState(key)
	if b != nil {
		t.warnings = append(t.warnings, b.warnings...)
	} else {
		n := len(t.warnings)
		c := build()
		if tls {
			t.applyTLSPolicy(c)
		}
		b = &backendState{cluster: c, warnings: slices.Clone(t.warnings[n:])}
	}
	t.stateWarnings += len(b.warnings)
	t.backends[key] = b
	return b
}

// servicePort finds a Service's port by number and protocol. An
// ExternalName Service without ports takes any port: it is only a DNS name.
func servicePort(svc *corev1.Service, port int32, proto corev1.Protocol) (corev1.ServicePort, bool) {
	for _, p := range svc.Spec.Ports {
		if p.Port == port && protocolOf(p.Protocol) == proto {
			return p, true
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName && len(svc.Spec.Ports) == 0 {
		return corev1.ServicePort{Port: port, Protocol: proto}, true
	}
	return corev1.ServicePort{}, false
}

// protocolOf applies the default protocol of Service and EndpointSlice ports.
func protocolOf(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func portList(ports []corev1.ServicePort) string {
	if len(ports) == 0 {
		return "none"
	}
	var out []string
	for _, p := range ports {
		s := fmt.Sprintf("%d/%s", p.Port, protocolOf(p.Protocol))
		if p.Name != "" {
			s += " (" + p.Name + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

// buildServiceCluster builds the cluster of one Service port, warning when
// it has no endpoints.
func (t *translator) buildServiceCluster(svc *corev1.Service, sp corev1.ServicePort) *ir.Cluster {
	c := &ir.Cluster{Name: fmt.Sprintf("service/%s/%s/%d", svc.Namespace, svc.Name, sp.Port)}
	c.HTTP2 = sp.AppProtocol != nil && *sp.AppProtocol == "kubernetes.io/h2c"
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		c.DNS = true
		host := strings.TrimSuffix(svc.Spec.ExternalName, ".")
		c.Endpoints = []*ir.Endpoint{{Host: host, Port: uint32(sp.Port)}}
		return c
	}
	slices := t.res.idx().slices[svc.Namespace+"/"+svc.Name]
	if len(slices) == 0 && t.opts.LiveEndpoints {
		return c // the cluster's EndpointSlices fill it in (live.go)
	}
	t.sliceCluster(c, "Service", svc.Namespace, svc.Name, discoveryv1.LabelServiceName, slices, sp)
	return c
}

// sliceCluster gives cluster c the endpoints of port sp of the Service or
// ServiceImport (kind) namespace/name, from the EndpointSlices labelled
// label: name, warning when it has none.
func (t *translator) sliceCluster(c *ir.Cluster, kind, namespace, name, label string, list []*discoveryv1.EndpointSlice, sp corev1.ServicePort) {
	var why string
	if len(list) == 0 {
		why = fmt.Sprintf("no EndpointSlice is labelled %s: %s", label, name)
	} else {
		c.Endpoints, c.DNS, why = sliceEndpoints(list, sp)
	}
	if why != "" {
		loc := t.res.Where(kind, namespace, name)
		t.warnings = append(t.warnings, fmt.Sprintf("%s: %s %s/%s: %s; cluster %s has no endpoints: Envoy answers 503", loc, kind, namespace, name, why, c.Name))
	}
}

// sliceEndpoints returns the ready endpoints of a Service port, sorted and
// without duplicates, and whether any is a DNS name (of an FQDN slice:
// the cluster resolves them, its IP addresses too), or none and why.
func sliceEndpoints(list []*discoveryv1.EndpointSlice, sp corev1.ServicePort) ([]*ir.Endpoint, bool, string) {
	var eps []*ir.Endpoint
	seen := map[ir.Endpoint]bool{}
	matched, dns := false, false
	for _, s := range list {
		port := slicePort(s, sp)
		if port == 0 {
			continue
		}
		matched = true
		for _, ep := range s.Endpoints {
			if (ep.Conditions.Ready != nil && !*ep.Conditions.Ready) || len(ep.Addresses) == 0 {
				continue
			}
			// Addresses are fungible; consumers use the first (as
			// kube-proxy does), here written canonically so that equal
			// addresses compare equal. validateEndpointSlice checked it.
			e := ir.Endpoint{Host: ep.Addresses[0], Port: port}
			if s.AddressType == discoveryv1.AddressTypeFQDN {
				dns = true
			} else if addr, err := netip.ParseAddr(e.Host); err == nil {
				e.Host = addr.String()
			} else {
				continue
			}
			if !seen[e] {
				seen[e] = true
				eps = append(eps, &e)
			}
		}
	}
	name := sp.Name
	if name == "" {
		name = "(unnamed)"
	}
	switch {
	case !matched:
		return nil, false, fmt.Sprintf("no EndpointSlice has a %s port named %s, as Service port %d", protocolOf(sp.Protocol), name, sp.Port)
	case len(eps) == 0:
		return nil, false, fmt.Sprintf("the EndpointSlices have no ready endpoint for Service port %d", sp.Port)
	}
	slices.SortFunc(eps, func(a, b *ir.Endpoint) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.Port, b.Port))
	})
	return eps, dns, ""
}

// slicePort returns the number an EndpointSlice gives a Service port (by
// name and protocol), or 0.
func slicePort(s *discoveryv1.EndpointSlice, sp corev1.ServicePort) uint32 {
	for _, p := range s.Ports {
		name, proto := "", corev1.ProtocolTCP
		if p.Name != nil {
			name = *p.Name
		}
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		if name == sp.Name && proto == protocolOf(sp.Protocol) && p.Port != nil {
			return uint32(*p.Port)
		}
	}
	return 0
}
