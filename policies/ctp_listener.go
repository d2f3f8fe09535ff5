package policies

import (
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	connectionlimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/connection_limit/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// What a ClientTrafficPolicy sets on the Envoy listener of a port and on
// each of its filter chains: TCP keepalive socket options, the PROXY
// protocol listener filter, buffer and accept limits, the inspection and
// TLS handshake timeouts, the connection_limit network filter and the
// TCP proxies' idle timeout.

// Envoy extension names.
const (
	ctpProxyProtocolFilter   = "envoy.filters.listener.proxy_protocol"
	ctpConnectionLimitFilter = "envoy.filters.network.connection_limit"
	ctpTCPProxyFilter        = "envoy.filters.network.tcp_proxy"
)

// Socket option levels and names of Linux (Envoy runs on Linux; the
// syscall package's differ on other systems).
const (
	solSocket   = 0x1
	soKeepalive = 0x9
	solTCP      = 0x6
	tcpKeepIdle = 0x4
	tcpKeepIntv = 0x5
	tcpKeepCnt  = 0x6
)

// ClientListener applies l.Client to the xDS listener built for l, and
// to each filter chain the policy in force on it (chainClient: on a port
// of TLS chains, each chain's own).
func ClientListener(l *ir.Listener, lis *listenerv3.Listener) {
	chains := slices.Clone(lis.FilterChains)
	if lis.DefaultFilterChain != nil {
		chains = append(chains, lis.DefaultFilterChain)
	}
	for _, fc := range chains {
		if cc := chainClient(l, fc.GetName()); cc != nil {
			clientChain(cc, lis.GetName(), fc)
		}
	}
	c := l.Client
	if c == nil {
		return
	}
	if k := c.TCPKeepalive; k != nil {
		lis.SocketOptions = keepaliveOptions(k)
	}
	if p := c.ProxyProtocol; p != nil {
		// First: the PROXY header precedes the TLS ClientHello.
		f := &listenerv3.ListenerFilter{Name: ctpProxyProtocolFilter, ConfigType: &listenerv3.ListenerFilter_TypedConfig{
			TypedConfig: mustAny(&proxyprotocolv3.ProxyProtocol{AllowRequestsWithoutProxyProtocol: p.Optional}),
		}}
		lis.ListenerFilters = slices.Insert(lis.ListenerFilters, 0, f)
	}
	if d := c.InspectionTimeout; d != nil {
		lis.ListenerFiltersTimeout = durationpb.New(d.Std())
	}
	if cn := c.Connection; cn != nil {
		if n := cn.BufferLimit; n != nil {
			lis.PerConnectionBufferLimitBytes = wrapperspb.UInt32(*n)
		}
		if n := cn.MaxAcceptPerSocketEvent; n != nil && *n > 0 {
			lis.MaxConnectionsToAcceptPerSocketEvent = wrapperspb.UInt32(*n)
		}
	}
}

// clientChain applies a policy to one filter chain.
func clientChain(c *ir.ClientTraffic, listener string, fc *listenerv3.FilterChain) {
	if d := c.TLSHandshakeTimeout; d != nil && fc.TransportSocket != nil {
		fc.TransportSocketConnectTimeout = durationpb.New(d.Std())
	}
	if d := c.TCPIdleTimeout; d != nil {
		for _, f := range fc.Filters {
			if f.GetName() != ctpTCPProxyFilter || f.GetTypedConfig() == nil {
				continue
			}
			tp := &tcpproxyv3.TcpProxy{}
			if err := f.GetTypedConfig().UnmarshalTo(tp); err != nil {
				continue
			}
			tp.IdleTimeout = durationpb.New(d.Std())
			f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(tp)}
		}
	}
	if cn := c.Connection; cn != nil && cn.Limit != nil {
		prefix := fc.GetName()
		if prefix == "" {
			prefix = listener
		}
		cl := &connectionlimitv3.ConnectionLimit{StatPrefix: prefix, MaxConnections: wrapperspb.UInt64(*cn.Limit)}
		if d := cn.CloseDelay; d != nil {
			cl.Delay = durationpb.New(d.Std())
		}
		// First: connections over the limit are closed before any other
		// filter works on them.
		fc.Filters = slices.Insert(fc.Filters, 0, &listenerv3.Filter{
			Name: ctpConnectionLimitFilter, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(cl)},
		})
	}
}

// keepaliveOptions turn TCP keepalive on for accepted sockets.
func keepaliveOptions(k *ir.TCPKeepalive) []*corev3.SocketOption {
	opts := []*corev3.SocketOption{{
		Description: "enable TCP keepalive",
		Level:       solSocket, Name: soKeepalive,
		Value: &corev3.SocketOption_IntValue{IntValue: 1},
		State: corev3.SocketOption_STATE_PREBIND,
	}}
	add := func(desc string, name int64, v *uint32) {
		if v != nil {
			opts = append(opts, &corev3.SocketOption{
				Description: desc, Level: solTCP, Name: name,
				Value: &corev3.SocketOption_IntValue{IntValue: int64(*v)},
				State: corev3.SocketOption_STATE_PREBIND,
			})
		}
	}
	add("TCP keepalive probes", tcpKeepCnt, k.Probes)
	add("TCP keepalive idle time, seconds", tcpKeepIdle, k.IdleTime)
	add("TCP keepalive probe interval, seconds", tcpKeepIntv, k.Interval)
	return opts
}
