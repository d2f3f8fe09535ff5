package xds

import (
	"fmt"
	"sort"

	xdscorev3 "github.com/cncf/xds/go/xds/core/v3"
	xdsmatcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	udpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/udp/udp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// Envoy extension names used here.
const (
	tlsInspectorName  = "envoy.filters.listener.tls_inspector"
	tcpProxyName      = "envoy.filters.network.tcp_proxy"
	udpProxyName      = "envoy.filters.udp_listener.udp_proxy"
	tlsTransportName  = "envoy.transport_sockets.tls"
	udpRouteActionKey = "route"
)

// buildTLSListener builds a port of HTTPS and TLS listeners: the TLS
// inspector reads the SNI and Envoy picks the chain whose server names
// match it best (exact, then the longest wildcard, then the chain without
// names). It returns the route configurations of the HTTPS chains too.
func buildTLSListener(l *ir.Listener, m *Memo) (*listenerv3.Listener, []*routev3.RouteConfiguration) {
	lis := &listenerv3.Listener{
		Name:    l.Name,
		Address: socketAddress(l.Address, l.Port),
		ListenerFilters: []*listenerv3.ListenerFilter{{
			Name:       tlsInspectorName,
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&tlsinspectorv3.TlsInspector{})},
		}},
	}
	var rcs []*routev3.RouteConfiguration
	for _, c := range l.TLSChains {
		fc := &listenerv3.FilterChain{Name: c.Name}
		if len(c.ServerNames) > 0 {
			fc.FilterChainMatch = &listenerv3.FilterChainMatch{ServerNames: c.ServerNames}
		}
		// The chain's own connection manager and TLS context, with the
		// ClientTrafficPolicy of its Gateway listener (c.Client).
		hl := chainListener(l, c)
		if len(c.Secrets) > 0 {
			fc.TransportSocket = downstreamTLS(hl, c.Secrets, c.HTTP)
		}
		if c.HTTP {
			fc.Filters = []*listenerv3.Filter{httpConnectionManager(hl)}
			rcs = append(rcs, buildRouteConfig(hl, m))
		} else {
			fc.Filters = []*listenerv3.Filter{tcpProxyFilter(c.TCP)}
		}
		lis.FilterChains = append(lis.FilterChains, fc)
	}
	listenerFeatures(lis, l)
	return lis, rcs
}

// chainListener is the listener a chain of l stands for when its
// connection manager and TLS context are built: the chain's name, hosts
// and ClientTrafficPolicy, the port's EnvoyProxy settings.
func chainListener(l *ir.Listener, c *ir.TLSChain) *ir.Listener {
	return &ir.Listener{Name: c.Name, VirtualHosts: c.VirtualHosts, Client: c.Client, Proxy: l.Proxy}
}

// downstreamTLSContext is the TLS context of l's chains, with what a
// ClientTrafficPolicy sets (tls versions, ciphers, client certificates).
func downstreamTLSContext(l *ir.Listener, ctx *tlsv3.CommonTlsContext) *tlsv3.DownstreamTlsContext {
	out := &tlsv3.DownstreamTlsContext{CommonTlsContext: ctx}
	for _, f := range features {
		f.DownstreamTLS(out, l)
	}
	return out
}

// downstreamTLS terminates TLS with certificates fetched over SDS (ADS).
// HTTP chains offer HTTP/2 and HTTP/1.1 by ALPN.
func downstreamTLS(l *ir.Listener, secrets []string, http bool) *corev3.TransportSocket {
	ctx := &tlsv3.CommonTlsContext{}
	for _, s := range secrets {
		ctx.TlsCertificateSdsSecretConfigs = append(ctx.TlsCertificateSdsSecretConfigs, &tlsv3.SdsSecretConfig{Name: s, SdsConfig: adsSource()})
	}
	if http {
		ctx.AlpnProtocols = []string{"h2", "http/1.1"}
	}
	return &corev3.TransportSocket{
		Name:       tlsTransportName,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(downstreamTLSContext(l, ctx))},
	}
}

// buildTCPListener forwards every connection of a TCP listener.
func buildTCPListener(l *ir.Listener) *listenerv3.Listener {
	lis := &listenerv3.Listener{
		Name:         l.Name,
		Address:      socketAddress(l.Address, l.Port),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{tcpProxyFilter(l.TCP)}}},
	}
	listenerFeatures(lis, l)
	return lis
}

// tcpProxyFilter forwards to weighted clusters. An invalid backend's share
// goes to a cluster that does not exist: Envoy closes those connections.
func tcpProxyFilter(p *ir.TCPProxy) *listenerv3.Filter {
	tp := &tcpproxyv3.TcpProxy{StatPrefix: p.Name}
	name := func(b ir.WeightedBackend) string {
		if b.Cluster == "" {
			return invalidBackendCluster
		}
		return b.Cluster
	}
	if len(p.Backends) == 1 {
		tp.ClusterSpecifier = &tcpproxyv3.TcpProxy_Cluster{Cluster: name(p.Backends[0])}
	} else {
		wc := &tcpproxyv3.TcpProxy_WeightedCluster{}
		for _, b := range p.Backends {
			wc.Clusters = append(wc.Clusters, &tcpproxyv3.TcpProxy_WeightedCluster_ClusterWeight{Name: name(b), Weight: b.Weight})
		}
		tp.ClusterSpecifier = &tcpproxyv3.TcpProxy_WeightedClusters{WeightedClusters: wc}
	}
	tp.HashPolicy = policies.TCPProxyHash(p)
	return &listenerv3.Filter{Name: tcpProxyName, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(tp)}}
}

// buildUDPListener binds a UDP port whose udp_proxy listener filter sends
// every datagram to one cluster (the matcher's on_no_match action).
func buildUDPListener(u *ir.UDPListener) *listenerv3.Listener {
	cluster := u.Cluster
	if cluster == "" {
		cluster = invalidBackendCluster // no valid backend: datagrams are dropped
	}
	cfg := &udpproxyv3.UdpProxyConfig{
		StatPrefix: u.Name,
		RouteSpecifier: &udpproxyv3.UdpProxyConfig_Matcher{Matcher: &xdsmatcherv3.Matcher{
			OnNoMatch: &xdsmatcherv3.Matcher_OnMatch{OnMatch: &xdsmatcherv3.Matcher_OnMatch_Action{
				Action: &xdscorev3.TypedExtensionConfig{Name: udpRouteActionKey, TypedConfig: mustAny(&udpproxyv3.Route{Cluster: cluster})},
			}},
		}},
		HashPolicies: policies.UDPProxyHash(u),
	}
	addr := socketAddress(u.Address, u.Port)
	addr.GetSocketAddress().Protocol = corev3.SocketAddress_UDP
	return &listenerv3.Listener{
		Name:              u.Name,
		Address:           addr,
		UdpListenerConfig: &listenerv3.UdpListenerConfig{},
		ListenerFilters: []*listenerv3.ListenerFilter{{
			Name:       udpProxyName,
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(cfg)},
		}},
	}
}

// buildSecret is the SDS resource of a certificate.
func buildSecret(s *ir.Secret) *tlsv3.Secret {
	inline := func(b []byte) *corev3.DataSource {
		return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
	}
	if len(s.Generic) > 0 {
		return &tlsv3.Secret{Name: s.Name, Type: &tlsv3.Secret_GenericSecret{GenericSecret: &tlsv3.GenericSecret{Secret: inline(s.Generic)}}}
	}
	return &tlsv3.Secret{
		Name: s.Name,
		Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: inline(s.Certificate),
			PrivateKey:       inline(s.PrivateKey),
		}},
	}
}

// sdsReferences returns the SDS secret names the listeners use, sorted.
func sdsReferences(ls []*listenerv3.Listener) ([]string, error) {
	seen := map[string]bool{}
	for _, l := range ls {
		for _, fc := range l.GetFilterChains() {
			ts := fc.GetTransportSocket()
			if ts == nil {
				continue
			}
			ctx, err := transportTLSContext(ts) // TLS or QUIC (quic.go)
			if err != nil {
				return nil, fmt.Errorf("listener %q: chain %q: %w", l.GetName(), fc.GetName(), err)
			}
			for _, sc := range ctx.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
				seen[sc.GetName()] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
