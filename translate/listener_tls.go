package translate

import (
	"fmt"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/status"
)

// protocolKinds are the route kinds each listener protocol takes, in the
// order of supportedKinds. An empty allowedRoutes.kinds means all of them.
var protocolKinds = map[gwapiv1.ProtocolType][]string{
	gwapiv1.HTTPProtocolType:  {"HTTPRoute", "GRPCRoute"},
	gwapiv1.HTTPSProtocolType: {"HTTPRoute", "GRPCRoute"},
	gwapiv1.TLSProtocolType:   {"TLSRoute"},
	gwapiv1.TCPProtocolType:   {"TCPRoute"},
	gwapiv1.UDPProtocolType:   {"UDPRoute"},
}

// supportedProtocols lists protocolKinds' keys for messages.
const supportedProtocols = "HTTP, HTTPS, TLS, TCP, UDP"

// checkListenerSchema applies the CEL rules of the Gateway CRD that concern
// one listener's protocol, tls and hostname. It returns the message of the
// first rule broken, or "".
func checkListenerSchema(field string, spec gwapiv1.Listener) string {
	p := spec.Protocol
	switch {
	case (p == gwapiv1.HTTPProtocolType || p == gwapiv1.TCPProtocolType || p == gwapiv1.UDPProtocolType) && spec.TLS != nil:
		return fmt.Sprintf("field %s.tls: tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']", field)
	case (p == gwapiv1.TCPProtocolType || p == gwapiv1.UDPProtocolType) && hostnameOf(spec.Hostname) != "":
		return fmt.Sprintf("field %s.hostname: hostname must not be specified for protocols ['TCP', 'UDP']", field)
	case p == gwapiv1.HTTPSProtocolType && spec.TLS == nil:
		return fmt.Sprintf("field %s.tls: tls must be specified for protocols ['HTTPS', 'TLS']", field)
	case p == gwapiv1.HTTPSProtocolType && tlsMode(spec) != gwapiv1.TLSModeTerminate:
		return fmt.Sprintf("field %s.tls.mode: tls mode must be Terminate for protocol HTTPS", field)
	case p == gwapiv1.TLSProtocolType && spec.TLS == nil:
		// The CRD defaults a missing mode to Terminate, so only a
		// missing tls breaks this rule.
		return fmt.Sprintf("field %s.tls: tls mode must be set for protocol TLS", field)
	case spec.TLS != nil && tlsMode(spec) != gwapiv1.TLSModeTerminate && tlsMode(spec) != gwapiv1.TLSModePassthrough:
		return fmt.Sprintf("field %s.tls.mode: %q is not one of Terminate, Passthrough", field, tlsMode(spec))
	}
	return ""
}

// tlsMode returns a listener's TLS mode with the CRD default, Terminate.
func tlsMode(spec gwapiv1.Listener) gwapiv1.TLSModeType {
	if spec.TLS == nil || spec.TLS.Mode == nil || *spec.TLS.Mode == "" {
		return gwapiv1.TLSModeTerminate
	}
	return *spec.TLS.Mode
}

// terminatesTLS reports whether a listener needs certificates.
func terminatesTLS(spec gwapiv1.Listener) bool {
	switch spec.Protocol {
	case gwapiv1.HTTPSProtocolType:
		return true
	case gwapiv1.TLSProtocolType:
		return spec.TLS != nil && tlsMode(spec) == gwapiv1.TLSModeTerminate
	}
	return false
}

// invalidRouteKinds returns the kinds of allowedRoutes that the listener's
// protocol cannot take, as group/kind.
func invalidRouteKinds(p gwapiv1.ProtocolType, ar *gwapiv1.AllowedRoutes) []string {
	if ar == nil {
		return nil
	}
	var bad []string
	for _, k := range ar.Kinds {
		group := groupGateway
		if k.Group != nil {
			group = string(*k.Group)
		}
		if group != groupGateway || !contains(protocolKinds[p], string(k.Kind)) {
			bad = append(bad, fmt.Sprintf("%s/%s", group, k.Kind))
		}
	}
	return bad
}

// supportedKinds lists the kinds a listener takes, for its status: the
// kinds of its protocol that allowedRoutes.kinds names (all when it names
// none). Kinds it cannot take are left out, as the spec asks.
func supportedKinds(spec gwapiv1.Listener) []status.RouteGroupKind {
	out := []status.RouteGroupKind{}
	for _, k := range protocolKinds[spec.Protocol] {
		l := listenerState{spec: spec}
		if l.allowsKind(k) {
			out = append(out, status.RouteGroupKind{Group: groupGateway, Kind: k})
		}
	}
	return out
}

// routeKindsMessage explains an InvalidRouteKinds condition.
func routeKindsMessage(field string, p gwapiv1.ProtocolType, bad []string) string {
	return fmt.Sprintf("field %s.allowedRoutes.kinds: %s not supported on protocol %s, which takes %s",
		field, strings.Join(bad, ", "), p, strings.Join(protocolKinds[p], ", "))
}

// allowsKind reports whether a listener takes routes of a kind: its
// protocol must take the kind, and allowedRoutes.kinds, when set, must
// name it.
func (l *listenerState) allowsKind(kind string) bool {
	if !contains(protocolKinds[l.spec.Protocol], kind) {
		return false
	}
	ar := l.spec.AllowedRoutes
	if ar == nil || len(ar.Kinds) == 0 {
		return true
	}
	for _, k := range ar.Kinds {
		if (k.Group == nil || string(*k.Group) == groupGateway) && string(k.Kind) == kind {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// resolveListenerTLS resolves the certificates of a listener that
// terminates TLS and returns its ResolvedRefs condition.
func (t *translator) resolveListenerTLS(g *gatewayState, l *listenerState, field string) status.Condition {
	from := refFrom{group: groupGateway, kind: "Gateway", namespace: g.obj.Namespace}
	if l.set != nil {
		from = refFrom{group: groupGateway, kind: l.set.obj.Kind, namespace: l.set.obj.Namespace}
	}
	names, probs := t.resolveCertificates(g, from, field+".tls", l.spec.TLS.CertificateRefs)
	if probs.reason != "" {
		return status.New(status.CondResolvedRefs, false, probs.reason, strings.Join(probs.msgs, "; "))
	}
	l.secrets = names
	return status.New(status.CondResolvedRefs, true, status.ReasonResolvedRefs, "all references are resolved")
}

// socketOf names the kind of socket a listener protocol binds: UDP
// listeners do not share a port with the others.
func socketOf(p gwapiv1.ProtocolType) string {
	if p == gwapiv1.UDPProtocolType {
		return "udp"
	}
	return "tcp"
}

// sniProtocol reports whether listeners of a protocol are told apart by
// SNI: HTTPS and TLS listeners share a port that way.
func sniProtocol(p gwapiv1.ProtocolType) bool {
	return p == gwapiv1.HTTPSProtocolType || p == gwapiv1.TLSProtocolType
}

// conflictReason applies the spec's rules for two listeners on one port.
// It returns "" when they are distinct and compatible.
func conflictReason(a, b gwapiv1.Listener) string {
	if socketOf(a.Protocol) != socketOf(b.Protocol) {
		return "" // a UDP and a TCP socket can share a port number
	}
	switch {
	case a.Protocol == b.Protocol && (a.Protocol == gwapiv1.TCPProtocolType || a.Protocol == gwapiv1.UDPProtocolType):
		// TCP and UDP listeners are distinct by port only.
		return status.ReasonProtocolConflict
	case a.Protocol == b.Protocol, sniProtocol(a.Protocol) && sniProtocol(b.Protocol):
		// HTTP, HTTPS and TLS listeners are distinct by hostname; HTTPS
		// and TLS share a port, chosen by SNI, so their hostnames too
		// must differ.
		if hostnameOf(a.Hostname) == hostnameOf(b.Hostname) {
			return status.ReasonHostnameConflict
		}
		return ""
	}
	// HTTP with anything else, or TCP with anything else.
	return status.ReasonProtocolConflict
}
