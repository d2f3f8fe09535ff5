package translate

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/sluice-gitops/sluice/translate/load"
)

// The checks the API server makes on Services and EndpointSlices before
// they exist, as far as translation depends on them. An object that fails
// is not read (load leaves it out with a warning: loadOptions, in
// resources.go), as a cluster would not have it.

var serviceTypes = map[corev1.ServiceType]bool{
	"": true, corev1.ServiceTypeClusterIP: true, corev1.ServiceTypeNodePort: true,
	corev1.ServiceTypeLoadBalancer: true, corev1.ServiceTypeExternalName: true,
}

func validProtocol(p corev1.Protocol) bool {
	switch p {
	case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		return true
	}
	return false
}

// validateService checks a Service's type, externalName and ports.
func validateService(svc *corev1.Service) error {
	var p load.Problems
	if !serviceTypes[svc.Spec.Type] {
		p.Add("spec.type", "field spec.type: unsupported value %q: supported values: ClusterIP, ExternalName, LoadBalancer, NodePort", svc.Spec.Type)
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		switch h := strings.TrimSuffix(svc.Spec.ExternalName, "."); {
		case svc.Spec.ExternalName == "":
			p.Add("spec.externalName", "field spec.externalName: required for a Service of type ExternalName")
		case !validHostname(h, false):
			p.Add("spec.externalName", "field spec.externalName: %q is not a lowercase RFC 1123 DNS name", svc.Spec.ExternalName)
		}
	}
	names := map[string]bool{}
	ports := map[string]bool{}
	for i, sp := range svc.Spec.Ports {
		field := fmt.Sprintf("spec.ports[%d]", i)
		if sp.Port < 1 || sp.Port > 65535 {
			p.Add("spec.ports.port", "field %s.port: %d must be between 1 and 65535, inclusive", field, sp.Port)
		}
		if sp.Protocol != "" && !validProtocol(sp.Protocol) {
			p.Add("spec.ports.protocol", "field %s.protocol: unsupported value %q: supported values: SCTP, TCP, UDP", field, sp.Protocol)
		}
		switch {
		case sp.Name == "" && len(svc.Spec.Ports) > 1:
			p.Add("spec.ports", "field %s.name: required when a Service has more than one port", field)
		case sp.Name != "" && names[sp.Name]:
			p.Add("spec.ports.name", "field %s.name: duplicate value %q", field, sp.Name)
		}
		names[sp.Name] = true
		key := fmt.Sprintf("%d/%s", sp.Port, protocolOf(sp.Protocol))
		if ports[key] {
			p.Add("spec.ports", "field %s: duplicate port %s", field, key)
		}
		ports[key] = true
	}
	return p.Err()
}

// validateEndpointSlice checks an EndpointSlice's address type, addresses
// and ports. A slice that names neither a Service nor a ServiceImport is
// refused too: nothing could use it, and a forgotten label is the likely
// cause. FQDN slices (deprecated in Kubernetes, still served by it and by
// Envoy Gateway) hold DNS names, which the cluster resolves itself.
func validateEndpointSlice(s *discoveryv1.EndpointSlice) error {
	var p load.Problems
	if s.Labels[discoveryv1.LabelServiceName] == "" && s.Labels[load.LabelServiceImportName] == "" {
		p.Add("metadata", "field metadata.labels: has neither a %s nor a %s label, so it belongs to no Service or ServiceImport", discoveryv1.LabelServiceName, load.LabelServiceImportName)
	}
	switch s.AddressType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6, discoveryv1.AddressTypeFQDN:
	default:
		p.Add("addressType", "field addressType: unsupported value %q: supported values: FQDN, IPv4, IPv6", s.AddressType)
	}
	for i, ep := range s.Endpoints {
		field := fmt.Sprintf("endpoints[%d].addresses", i)
		if n := len(ep.Addresses); n < 1 || n > 100 {
			p.Add("endpoints.addresses", "field %s: has %d entries; 1 to 100 are required", field, n)
		}
		for j, a := range ep.Addresses {
			if !validSliceAddress(s.AddressType, a) {
				p.Add("endpoints.addresses", "field %s[%d]: %q is not an %s address", field, j, a, s.AddressType)
			}
		}
	}
	for i, sp := range s.Ports {
		field := fmt.Sprintf("ports[%d]", i)
		if sp.Port != nil && (*sp.Port < 1 || *sp.Port > 65535) {
			p.Add("ports.port", "field %s.port: %d must be between 1 and 65535, inclusive", field, *sp.Port)
		}
		if sp.Protocol != nil && !validProtocol(*sp.Protocol) {
			p.Add("ports.protocol", "field %s.protocol: unsupported value %q: supported values: SCTP, TCP, UDP", field, *sp.Protocol)
		}
	}
	return p.Err()
}

// validSliceAddress checks an address of a slice of a valid type: an
// address of the slice's family, without a zone (IPv4-mapped IPv6
// addresses are ambiguous and refused), or a lowercase DNS name.
func validSliceAddress(typ discoveryv1.AddressType, s string) bool {
	if typ == discoveryv1.AddressTypeFQDN {
		return validHostname(s, false)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return false
	}
	if typ == discoveryv1.AddressTypeIPv4 {
		return a.Is4()
	}
	return typ == discoveryv1.AddressTypeIPv6 && a.Is6() && !a.Is4In6()
}
