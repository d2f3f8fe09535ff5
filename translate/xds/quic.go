package xds

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	quicv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/quic/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// HTTP/3 (ClientTrafficPolicy http3, policies/ctp_http3.go): the HTTPS
// chains of a port are served over QUIC too, by a UDP listener on the
// same port whose chains mirror the TLS chains (same server names,
// certificates, HTTP filters and route configurations), and the routes
// of those chains advertise it with an Alt-Svc response header.

// Names of the QUIC listener and transport.
const (
	quicListenerSuffix = "-quic"
	quicTransportName  = "envoy.transport_sockets.quic"
	// altSvcMaxAge is how long, in seconds, clients may remember the
	// Alt-Svc advertisement (Envoy Gateway's value).
	altSvcMaxAge = 86400
)

// quicListeners returns the QUIC listener of l, or none when HTTP/3 is
// not on for l, and adds the Alt-Svc header to the routes of its chains
// in routes (the route configurations already built, which the TCP and
// the QUIC listener share).
func quicListeners(g *ir.Gateway, l *ir.Listener, routes []*routev3.RouteConfiguration) []*listenerv3.Listener {
	chains := policies.HTTP3Chains(g, l)
	if len(chains) == 0 {
		return nil
	}
	addr := socketAddress(l.Address, l.Port)
	addr.GetSocketAddress().Protocol = corev3.SocketAddress_UDP
	lis := &listenerv3.Listener{
		Name:    l.Name + quicListenerSuffix,
		Address: addr,
		UdpListenerConfig: &listenerv3.UdpListenerConfig{
			DownstreamSocketConfig: &corev3.UdpSocketConfig{},
			QuicOptions:            &listenerv3.QuicProtocolOptions{},
		},
	}
	served := map[string]bool{}
	for _, c := range chains {
		// The same connection manager and TLS settings as the TLS
		// chain's (buildTLSListener).
		hl := chainListener(l, c)
		fc := &listenerv3.FilterChain{
			Name:            c.Name,
			Filters:         []*listenerv3.Filter{http3ConnectionManager(hl)},
			TransportSocket: quicTransport(hl, c.Secrets),
		}
		// QUIC reads the SNI itself: no TLS inspector is needed.
		if len(c.ServerNames) > 0 {
			fc.FilterChainMatch = &listenerv3.FilterChainMatch{ServerNames: c.ServerNames}
		}
		lis.FilterChains = append(lis.FilterChains, fc)
		served[c.Name] = true
	}
	policies.ClientQUICListener(l, lis)
	bindAdditional(lis, l.AdditionalAddresses)
	for _, rc := range routes {
		if served[rc.GetName()] {
			addAltSvc(rc, l.Port)
		}
	}
	return []*listenerv3.Listener{lis}
}

// http3ConnectionManager is l's HTTP connection manager with the HTTP/3
// codec.
func http3ConnectionManager(l *ir.Listener) *listenerv3.Filter {
	f := httpConnectionManager(l)
	hcm := &hcmv3.HttpConnectionManager{}
	if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
		panic(err) // marshalled just above
	}
	hcm.CodecType = hcmv3.HttpConnectionManager_HTTP3
	hcm.Http3ProtocolOptions = &corev3.Http3ProtocolOptions{}
	hcm.UpgradeConfigs = nil // HTTP/3 has no Upgrade header; WebSocket stays on TCP
	f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(hcm)}
	return f
}

// quicTransport terminates QUIC's TLS 1.3 with the chain's certificates,
// fetched over SDS, and what the policy sets on TLS contexts; ALPN is h3.
func quicTransport(l *ir.Listener, secrets []string) *corev3.TransportSocket {
	common := &tlsv3.CommonTlsContext{}
	for _, s := range secrets {
		common.TlsCertificateSdsSecretConfigs = append(common.TlsCertificateSdsSecretConfigs, &tlsv3.SdsSecretConfig{Name: s, SdsConfig: adsSource()})
	}
	ctx := downstreamTLSContext(l, common)
	// After the policy: its alpnProtocols are for the TCP listener.
	ctx.CommonTlsContext.AlpnProtocols = []string{"h3"}
	return &corev3.TransportSocket{
		Name:       quicTransportName,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&quicv3.QuicDownstreamTransport{DownstreamTlsContext: ctx})},
	}
}

// addAltSvc advertises HTTP/3 on port in the responses of every route of
// rc, as Envoy Gateway does (appended to any Alt-Svc the backend sends).
func addAltSvc(rc *routev3.RouteConfiguration, port uint32) {
	value := fmt.Sprintf(`h3=":%d"; ma=%d`, port, altSvcMaxAge)
	for i, vh := range rc.GetVirtualHosts() {
		// A Cache keeps the virtual host (incremental.go): change a copy.
		vh = proto.Clone(vh).(*routev3.VirtualHost)
		rc.VirtualHosts[i] = vh
		for _, r := range vh.GetRoutes() {
			r.ResponseHeadersToAdd = append(r.ResponseHeadersToAdd, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: "alt-svc", Value: value},
				AppendAction: corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD,
			})
		}
	}
}

// transportTLSContext is the downstream TLS context of a chain's
// transport socket: TLS's own, or the one a QUIC transport wraps.
func transportTLSContext(ts *corev3.TransportSocket) (*tlsv3.DownstreamTlsContext, error) {
	if ts.GetName() == quicTransportName {
		q := &quicv3.QuicDownstreamTransport{}
		if err := ts.GetTypedConfig().UnmarshalTo(q); err != nil {
			return nil, err
		}
		return q.GetDownstreamTlsContext(), nil
	}
	ctx := &tlsv3.DownstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		return nil, err
	}
	return ctx, nil
}
