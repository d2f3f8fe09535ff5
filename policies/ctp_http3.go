package policies

import (
	"fmt"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// ClientTrafficPolicy http3: the HTTPS listeners of a port the policy is
// in force on are served over QUIC too, by a UDP listener on the same
// port (translate/xds/quic.go builds it), and their responses advertise
// it with Alt-Svc. As in Envoy Gateway, http3 needs TLS termination: on
// a port without HTTPS listeners it does nothing (sluice says so in the
// Accepted message), and it is off when the policy validates client
// certificates, which Envoy cannot do over QUIC (a Warning condition,
// reason UnsupportedHTTP3ClientValidation, as Envoy Gateway sets).

// ctpHTTP3On reports whether a spec turns HTTP/3 on: http3 is set and
// tls.clientValidation is not.
func ctpHTTP3On(s egv1a1.ClientTrafficPolicySpec) bool {
	return s.HTTP3 != nil && !ctpClientValidation(s)
}

func ctpClientValidation(s egv1a1.ClientTrafficPolicySpec) bool {
	return s.TLS != nil && s.TLS.ClientValidation != nil
}

// HTTP3Chains returns the chains of l that are served over QUIC too: its
// HTTPS chains (HTTP behind TLS termination) when the policy in force on
// l turns http3 on, unless a UDP listener of g binds the same port.
func HTTP3Chains(g *ir.Gateway, l *ir.Listener) []*ir.TLSChain {
	if l.Client == nil || !l.Client.HTTP3 || http3PortUser(g, l) != "" {
		return nil
	}
	return httpsChains(l)
}

// httpsChains are the chains of l that terminate TLS and serve HTTP.
func httpsChains(l *ir.Listener) []*ir.TLSChain {
	var out []*ir.TLSChain
	for _, c := range l.TLSChains {
		if c.HTTP && len(c.Secrets) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// http3PortUser names the UDP listener of g that binds l's port, or "".
func http3PortUser(g *ir.Gateway, l *ir.Listener) string {
	for _, u := range g.UDPListeners {
		if u.Port == l.Port {
			return u.Name
		}
	}
	return ""
}

// http3Status adds to the status of a valid policy what became of its
// http3: off for client validation, not in force on ports without HTTPS
// listeners, off where a UDP listener holds the port. f is what the
// policy configures; gateways are the IR, Client set.
func http3Status(st *status.Object, p *egv1a1.ClientTrafficPolicy, f *ir.ClientTraffic, targets Targets, gateways []*ir.Gateway) {
	if p.Spec.HTTP3 == nil {
		return
	}
	for a := range st.Ancestors {
		anc := &st.Ancestors[a]
		accepted := -1
		for c, cd := range anc.Conditions {
			if cd.Type == status.CondAccepted && cd.Status == "True" {
				accepted = c
			}
		}
		if accepted < 0 {
			continue
		}
		if ctpClientValidation(p.Spec) {
			anc.Conditions = append(anc.Conditions, status.Condition{Type: status.CondWarning, Status: "True", Reason: status.ReasonUnsupportedHTTP3ClientValidation,
				Message: "HTTP/3 is off: Envoy does not support client certificate validation (spec.tls.clientValidation) over QUIC"})
			continue
		}
		noHTTPS, inUse := http3Ports(anc.AncestorRef, f, targets, gateways)
		if len(noHTTPS) > 0 {
			cd := &anc.Conditions[accepted]
			cd.Message = strings.TrimSuffix(cd.Message, ".") + fmt.Sprintf(
				"; http3 applies to HTTPS listeners only and does nothing on port(s) %s", strings.Join(noHTTPS, ", "))
		}
		if len(inUse) > 0 {
			anc.Conditions = append(anc.Conditions, status.Condition{Type: status.CondWarning, Status: "True", Reason: status.ReasonHTTP3PortInUse,
				Message: "HTTP/3 is off on " + strings.Join(inUse, "; ")})
		}
	}
}

// http3Ports lists, for an ancestor (namespace/name of a Gateway, with
// /section for a listener), the ports f is in force on that have no
// HTTPS listener, and those whose UDP port another listener holds.
func http3Ports(ancestor string, f *ir.ClientTraffic, targets Targets, gateways []*ir.Gateway) (noHTTPS, inUse []string) {
	parts := strings.SplitN(ancestor, "/", 3)
	if len(parts) < 2 {
		return nil, nil
	}
	sectionPort := uint32(0)
	if len(parts) == 3 {
		for _, tg := range targets.Gateways {
			if tg.Namespace != parts[0] || tg.Name != parts[1] {
				continue
			}
			for k, name := range tg.Listeners {
				if name == parts[2] && k < len(tg.Ports) {
					sectionPort = tg.Ports[k]
				}
			}
		}
	}
	for _, g := range gateways {
		if g.Namespace != parts[0] || g.Name != parts[1] {
			continue
		}
		for _, l := range g.Listeners {
			if !inForceOn(l, f) || (sectionPort != 0 && l.Port != sectionPort) {
				continue
			}
			switch {
			case len(httpsChains(l)) == 0:
				noHTTPS = append(noHTTPS, fmt.Sprint(l.Port))
			case http3PortUser(g, l) != "":
				inUse = append(inUse, fmt.Sprintf("port %d: UDP listener %s binds it", l.Port, http3PortUser(g, l)))
			}
		}
	}
	return noHTTPS, inUse
}

// ClientQUICListener applies to each filter chain of the QUIC listener of
// l the policy in force on the TLS chain it mirrors: what a policy sets
// on filter chains (TLS handshake timeout, connection limit), as on the
// TCP listener's. The listener-level settings (keepalive, PROXY
// protocol, buffer and accept limits) concern TCP sockets and are left
// out, as Envoy Gateway leaves them out of its QUIC listener.
func ClientQUICListener(l *ir.Listener, lis *listenerv3.Listener) {
	for _, fc := range lis.FilterChains {
		if cc := chainClient(l, fc.GetName()); cc != nil {
			clientChain(cc, lis.GetName(), fc)
		}
	}
}
