package policies

import (
	"math"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/proxy_protocol/v3"
	rawbufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	httpupstreamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// How Envoy connects to a policy's backends: BackendTrafficPolicy
// tcpKeepalive (the sockets' keepalive; idleTime and interval in whole
// seconds, as Envoy takes them: at least 1s, truncated), proxyProtocol
// (a PROXY protocol v1 or v2 header first on each connection, under the
// TLS a BackendTLSPolicy may originate), timeout.tcp.connectTimeout
// (the cluster's connect timeout, 10s without it) and
// timeout.http.connectionIdleTimeout and maxConnectionDuration (the
// cluster's HTTP protocol options, with circuitBreaker's
// maxRequestsPerConnection), connection.bufferLimit (the cluster's
// per-connection buffer limit, a size as ClientTrafficPolicy's;
// socketBufferLimit and preconnect are named unsupported and ignored).
// The other timeout fields are set on routes (btp_route.go).

// httpProtocolOptionsKey is the key of a cluster's HTTP protocol options.
const httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

func (v *specValidator) tcpKeepalive(field string, k *egv1a1.TCPKeepalive) *ir.UpstreamKeepalive {
	if k == nil {
		return nil
	}
	out := &ir.UpstreamKeepalive{Probes: k.Probes}
	if k.Probes != nil && *k.Probes < 1 {
		v.errs.Add(field+".probes", "must be at least 1")
	}
	seconds := func(sub string, d *gwapiv1.Duration) *uint32 {
		if d == nil {
			return nil
		}
		t := v.durationMin(field+"."+sub, *d, time.Second)
		s := uint32(min(t.Std()/time.Second, 1<<31))
		return &s
	}
	out.IdleTime = seconds("idleTime", k.IdleTime)
	out.Interval = seconds("interval", k.Interval)
	return out
}

func (v *specValidator) proxyProtocol(field string, p *egv1a1.ProxyProtocol) string {
	if p == nil {
		return ""
	}
	switch p.Version {
	case egv1a1.ProxyProtocolVersionV1, egv1a1.ProxyProtocolVersionV2:
	case "":
		v.errs.Add(field+".version", "is required; one of V1, V2")
	default:
		v.errs.Add(field+".version", "%q is not one of V1, V2", p.Version)
	}
	return string(p.Version)
}

// connection checks spec.connection and returns its buffer limit.
func (v *specValidator) connection(field string, c *egv1a1.BackendConnection) *uint32 {
	if c == nil {
		return nil
	}
	if c.SocketBufferLimit != nil {
		v.ignore(field + ".socketBufferLimit")
	}
	if c.Preconnect != nil {
		v.ignore(field + ".preconnect")
	}
	return quantityBytes(&v.errs, field+".bufferLimit", c.BufferLimit, 1, math.MaxUint32)
}

// clusterTimeouts checks the cluster's fields of timeout and sets them
// on t.
func (v *specValidator) clusterTimeouts(field string, to *egv1a1.Timeout, t *ir.ClusterTraffic) {
	if to == nil {
		return
	}
	if to.TCP != nil {
		t.ConnectTimeout = v.optDuration(field+".tcp.connectTimeout", to.TCP.ConnectTimeout, fields.Positive)
	}
	if to.HTTP != nil {
		t.IdleTimeout = v.optDuration(field+".http.connectionIdleTimeout", to.HTTP.ConnectionIdleTimeout, 0)
		t.MaxConnectionDuration = v.optDuration(field+".http.maxConnectionDuration", to.HTTP.MaxConnectionDuration, 0)
	}
}

// applyConnection sets the keepalive, the connect timeout and the PROXY
// protocol of cluster cl. The PROXY protocol socket wraps the socket
// already set (TLS), or a plain one.
func applyConnection(cl *clusterv3.Cluster, t *ir.ClusterTraffic) {
	if k := t.TCPKeepalive; k != nil {
		ka := &corev3.TcpKeepalive{}
		if k.Probes != nil {
			ka.KeepaliveProbes = wrapperspb.UInt32(*k.Probes)
		}
		if k.IdleTime != nil {
			ka.KeepaliveTime = wrapperspb.UInt32(*k.IdleTime)
		}
		if k.Interval != nil {
			ka.KeepaliveInterval = wrapperspb.UInt32(*k.Interval)
		}
		cl.UpstreamConnectionOptions = &clusterv3.UpstreamConnectionOptions{TcpKeepalive: ka}
	}
	if d := t.ConnectTimeout; d != nil {
		cl.ConnectTimeout = durationpb.New(d.Std())
	}
	if n := t.BufferLimit; n != nil {
		cl.PerConnectionBufferLimitBytes = wrapperspb.UInt32(*n)
	}
	if t.ProxyProtocol != "" {
		version := corev3.ProxyProtocolConfig_V1
		if t.ProxyProtocol == "V2" {
			version = corev3.ProxyProtocolConfig_V2
		}
		inner := cl.TransportSocket
		if inner == nil {
			inner = &corev3.TransportSocket{
				Name:       "envoy.transport_sockets.raw_buffer",
				ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&rawbufferv3.RawBuffer{})},
			}
		}
		cl.TransportSocket = &corev3.TransportSocket{
			Name: "envoy.transport_sockets.upstream_proxy_protocol",
			ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&proxyprotocolv3.ProxyProtocolUpstreamTransport{
				Config:          &corev3.ProxyProtocolConfig{Version: version},
				TransportSocket: inner,
			})},
		}
	}
}

// applyHTTPOptions sets the idle timeout, the maximum connection duration
// and the maximum requests per connection in the HTTP protocol options
// of cluster cl, keeping the options already there (HTTP/2); a cluster
// without them speaks HTTP/1.1, as it did.
func applyHTTPOptions(cl *clusterv3.Cluster, t *ir.ClusterTraffic) {
	var perConn *uint32
	if cb := t.CircuitBreaker; cb != nil {
		perConn = cb.MaxRequestsPerConnection
	}
	if t.IdleTimeout == nil && t.MaxConnectionDuration == nil && perConn == nil {
		return
	}
	opts := &httpupstreamv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig_{
			ExplicitHttpConfig: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{},
			},
		},
	}
	if old := cl.TypedExtensionProtocolOptions[httpProtocolOptionsKey]; old != nil {
		if err := old.UnmarshalTo(opts); err != nil {
			panic("policies: cluster HTTP protocol options: " + err.Error())
		}
	}
	common := opts.CommonHttpProtocolOptions
	if common == nil {
		common = &corev3.HttpProtocolOptions{}
		opts.CommonHttpProtocolOptions = common
	}
	if d := t.IdleTimeout; d != nil {
		common.IdleTimeout = durationpb.New(d.Std())
	}
	if d := t.MaxConnectionDuration; d != nil {
		common.MaxConnectionDuration = durationpb.New(d.Std())
	}
	if perConn != nil {
		common.MaxRequestsPerConnection = wrapperspb.UInt32(*perConn)
	}
	if cl.TypedExtensionProtocolOptions == nil {
		cl.TypedExtensionProtocolOptions = map[string]*anypb.Any{}
	}
	cl.TypedExtensionProtocolOptions[httpProtocolOptionsKey] = mustAny(opts)
}
