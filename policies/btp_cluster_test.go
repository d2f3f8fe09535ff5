package policies

import (
	"errors"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/proxy_protocol/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpupstreamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

func specOf(t *testing.T, y string) egv1a1.BackendTrafficPolicySpec {
	t.Helper()
	var spec egv1a1.BackendTrafficPolicySpec
	if err := yaml.UnmarshalStrict([]byte(y), &spec); err != nil {
		t.Fatalf("%s: %v", y, err)
	}
	return spec
}

// TestClusterTrafficSpecInvalid checks that each invalid input is a
// problem naming its field, and nothing is returned to apply.
func TestClusterTrafficSpecInvalid(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ spec, field string }{
		"negative count":       {`circuitBreaker: {maxPendingRequests: -5}`, "spec.circuitBreaker.maxPendingRequests"},
		"count too big":        {`circuitBreaker: {maxRequestsPerConnection: 4294967296}`, "spec.circuitBreaker.maxRequestsPerConnection"},
		"per endpoint":         {`circuitBreaker: {perEndpoint: {maxConnections: -1}}`, "spec.circuitBreaker.perEndpoint.maxConnections"},
		"budget denominator":   {`circuitBreaker: {retryBudget: {percent: {numerator: 1, denominator: 0}}}`, "spec.circuitBreaker.retryBudget.percent.denominator"},
		"no type":              {`loadBalancer: {slowStart: {window: 1s}}`, "spec.loadBalancer.type"},
		"unknown type":         {`loadBalancer: {type: Sticky}`, "spec.loadBalancer.type"},
		"hash without sub":     {`loadBalancer: {type: ConsistentHash}`, "spec.loadBalancer.consistentHash"},
		"hash with other type": {`loadBalancer: {type: RoundRobin, consistentHash: {type: SourceIP}}`, "spec.loadBalancer.consistentHash"},
		"hash type missing":    {`loadBalancer: {type: ConsistentHash, consistentHash: {}}`, "spec.loadBalancer.consistentHash.type"},
		"cookie missing":       {`loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie}}`, "spec.loadBalancer.consistentHash.cookie"},
		"cookie name":          {`loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: "a b"}}}`, "spec.loadBalancer.consistentHash.cookie.name"},
		"cookie ttl":           {`loadBalancer: {type: ConsistentHash, consistentHash: {type: Cookie, cookie: {name: s, ttl: 1d}}}`, "spec.loadBalancer.consistentHash.cookie.ttl"},
		"header wrong type":    {`loadBalancer: {type: ConsistentHash, consistentHash: {type: SourceIP, header: {name: x}}}`, "spec.loadBalancer.consistentHash.header"},
		"empty header":         {`loadBalancer: {type: ConsistentHash, consistentHash: {type: Header, header: {name: ""}}}`, "spec.loadBalancer.consistentHash.header.name"},
		"no headers":           {`loadBalancer: {type: ConsistentHash, consistentHash: {type: Headers, headers: []}}`, "spec.loadBalancer.consistentHash.headers"},
		"table too big":        {`loadBalancer: {type: ConsistentHash, consistentHash: {type: SourceIP, tableSize: 5000012}}`, "spec.loadBalancer.consistentHash.tableSize"},
		"table not prime":      {`loadBalancer: {type: ConsistentHash, consistentHash: {type: SourceIP, tableSize: 65536}}`, "spec.loadBalancer.consistentHash.tableSize"},
		"slow start hash":      {`loadBalancer: {type: ConsistentHash, consistentHash: {type: SourceIP}, slowStart: {window: 1s}}`, "spec.loadBalancer.slowStart"},
		"slow start window":    {`loadBalancer: {type: RoundRobin, slowStart: {}}`, "spec.loadBalancer.slowStart.window"},
		"slow start zero":      {`loadBalancer: {type: LeastRequest, slowStart: {window: 0s}}`, "spec.loadBalancer.slowStart.window"},
		"zone aware both":      {`loadBalancer: {type: RoundRobin, zoneAware: {preferLocal: {}, weightedZones: [{zone: a, weight: 1}]}}`, "spec.loadBalancer.zoneAware"},
		"keepalive probes":     {`tcpKeepalive: {probes: 0}`, "spec.tcpKeepalive.probes"},
		"keepalive idle":       {`tcpKeepalive: {idleTime: "10"}`, "spec.tcpKeepalive.idleTime"},
		"proxy no version":     {`proxyProtocol: {}`, "spec.proxyProtocol.version"},
		"connect timeout":      {`timeout: {tcp: {connectTimeout: -1s}}`, "spec.timeout.tcp.connectTimeout"},
		"idle timeout":         {`timeout: {http: {connectionIdleTimeout: 5 m}}`, "spec.timeout.http.connectionIdleTimeout"},
		"max duration":         {`timeout: {http: {maxConnectionDuration: 1.5h}}`, "spec.timeout.http.maxConnectionDuration"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ct, _, errs := clusterTrafficSpec(specOf(t, c.spec))
			if ct != nil || len(errs) == 0 {
				t.Fatalf("%s: got %+v, problems %v", c.spec, ct, errs)
			}
			if fe, ok := errors.AsType[*fields.Error](errs[0]); !ok || fe.Path != c.field {
				t.Errorf("%s: problem %q does not name %s", c.spec, errs[0], c.field)
			}
		})
	}
}

func TestClusterTrafficSpecValid(t *testing.T) {
	t.Parallel()
	ct, ignored, errs := clusterTrafficSpec(specOf(t, `
loadBalancer:
  type: ConsistentHash
  consistentHash: {type: Cookie, cookie: {name: s, ttl: 0s, attributes: {b: "2", a: "1"}}, tableSize: 65537}
  zoneAware: {weightedZones: [{zone: a, weight: 1}]}
circuitBreaker: {maxParallelRetries: 0}
tcpKeepalive: {idleTime: 2500ms}
timeout:
  tcp: {connectTimeout: 3s}
  http: {requestTimeout: 1s, maxConnectionDuration: 0s}
`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(ignored) != 1 || ignored[0] != "spec.loadBalancer.zoneAware" {
		t.Errorf("ignored %v", ignored)
	}
	lb := ct.LoadBalancer
	if lb.Type != ir.LBConsistentHash || lb.TableSize != 65537 || len(lb.Hash) != 1 || lb.Hash[0].Cookie == nil {
		t.Fatalf("load balancer %+v", lb)
	}
	if a := lb.Hash[0].Cookie.Attributes; len(a) != 2 || a[0].Name != "a" || a[1].Name != "b" {
		t.Errorf("cookie attributes %+v, want sorted by name", a)
	}
	if d := lb.Hash[0].Cookie.TTL; d == nil || *d != 0 {
		t.Errorf("cookie TTL %v", d)
	}
	cb := ct.CircuitBreaker
	if cb.MaxParallelRetries != 0 || cb.MaxConnections != 1024 || cb.MaxRequestsPerConnection != nil {
		t.Errorf("circuit breaker %+v", cb)
	}
	if k := ct.TCPKeepalive; k.IdleTime == nil || *k.IdleTime != 2 || k.Interval != nil || k.Probes != nil {
		t.Errorf("keepalive %+v", k)
	}
	if ct.ConnectTimeout == nil || ct.ConnectTimeout.Std() != 3*time.Second || ct.IdleTimeout != nil ||
		ct.MaxConnectionDuration == nil || *ct.MaxConnectionDuration != 0 {
		t.Errorf("timeouts %+v", ct)
	}

	// Only the route's timeout: nothing for clusters, nothing ignored.
	ct, ignored, errs = clusterTrafficSpec(specOf(t, `timeout: {http: {requestTimeout: 1s}}`))
	if ct != nil || len(ignored) > 0 || len(errs) > 0 {
		t.Errorf("route timeout only: %+v %v %v", ct, ignored, errs)
	}
}

// TestClusterTraffic builds a cluster with every setting on top of
// HTTP/2 options and TLS, and checks that they are kept, that PROXY
// protocol wraps the TLS socket, and that every message is valid.
func TestClusterTraffic(t *testing.T) {
	t.Parallel()
	tlsSocket := &corev3.TransportSocket{Name: "envoy.transport_sockets.tls",
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&tlsv3.UpstreamTlsContext{Sni: "a.example"})}}
	h2 := &httpupstreamv3.HttpProtocolOptions{UpstreamProtocolOptions: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig_{
		ExplicitHttpConfig: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
		}}}
	cl := &clusterv3.Cluster{Name: "c", TransportSocket: tlsSocket,
		TypedExtensionProtocolOptions: map[string]*anypb.Any{httpProtocolOptionsKey: mustAny(h2)}}
	slow, idle, probes, perConn := ir.Duration(time.Minute), ir.Duration(time.Hour), uint32(4), uint32(7)
	ClusterTraffic{}.Cluster(cl, &ir.Cluster{Name: "c", Traffic: &ir.ClusterTraffic{
		LoadBalancer:   &ir.LoadBalancer{Type: ir.LBLeastRequest, SlowStart: &slow},
		CircuitBreaker: &ir.CircuitBreaker{MaxConnections: 1, MaxRequestsPerConnection: &perConn, RetryBudget: &ir.RetryBudget{Percent: 12.5, MinConcurrency: 3}},
		TCPKeepalive:   &ir.UpstreamKeepalive{Probes: &probes},
		ProxyProtocol:  "V2",
		IdleTimeout:    &idle,
	}})
	validateDeep(t, cl)
	if cl.LbPolicy != clusterv3.Cluster_LEAST_REQUEST || cl.GetLeastRequestLbConfig().GetSlowStartConfig().GetSlowStartWindow().AsDuration() != time.Minute {
		t.Errorf("load balancer %v %v", cl.LbPolicy, cl.LbConfig)
	}
	var pp proxyprotocolv3.ProxyProtocolUpstreamTransport
	if err := cl.TransportSocket.GetTypedConfig().UnmarshalTo(&pp); err != nil {
		t.Fatal(err)
	}
	if pp.Config.Version != corev3.ProxyProtocolConfig_V2 || !proto.Equal(pp.TransportSocket, tlsSocket) {
		t.Errorf("PROXY protocol socket %v does not wrap the TLS socket", &pp)
	}
	var opts httpupstreamv3.HttpProtocolOptions
	if err := cl.TypedExtensionProtocolOptions[httpProtocolOptionsKey].UnmarshalTo(&opts); err != nil {
		t.Fatal(err)
	}
	if opts.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.Error("HTTP/2 options are lost")
	}
	if c := opts.CommonHttpProtocolOptions; c.GetIdleTimeout().AsDuration() != time.Hour || c.GetMaxRequestsPerConnection().GetValue() != 7 {
		t.Errorf("common HTTP options %v", c)
	}
	if th := cl.CircuitBreakers.GetThresholds(); len(th) != 1 || th[0].GetRetryBudget().GetBudgetPercent().GetValue() != 12.5 {
		t.Errorf("circuit breakers %v", cl.CircuitBreakers)
	}
	if cl.UpstreamConnectionOptions.GetTcpKeepalive().GetKeepaliveProbes().GetValue() != 4 {
		t.Errorf("keepalive %v", cl.UpstreamConnectionOptions)
	}

	// Without any of it, the cluster is left alone.
	plain := &clusterv3.Cluster{Name: "p"}
	ClusterTraffic{}.Cluster(plain, &ir.Cluster{Name: "p", Traffic: &ir.ClusterTraffic{}})
	if plain.TransportSocket != nil || plain.TypedExtensionProtocolOptions != nil || plain.LbPolicy != clusterv3.Cluster_ROUND_ROBIN {
		t.Errorf("empty settings changed the cluster: %v", plain)
	}
}

func TestLoadBalancerRouteAction(t *testing.T) {
	t.Parallel()
	ttl := ir.Duration(time.Hour)
	ra := &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "c"}}
	LoadBalancer{}.RouteAction(ra, &ir.Route{LoadBalancer: &ir.RouteLoadBalancer{Hash: []ir.HashPolicy{
		{Header: "x-user"}, {Cookie: &ir.HashCookie{Name: "s", TTL: &ttl, Attributes: []ir.HashCookieAttribute{{Name: "Path", Value: "/"}}}},
		{QueryParam: "q"}, {SourceIP: true},
	}}})
	validateDeep(t, ra)
	hp := ra.HashPolicy
	if len(hp) != 4 || hp[0].GetHeader().GetHeaderName() != "x-user" || hp[1].GetCookie().GetTtl().AsDuration() != time.Hour ||
		hp[2].GetQueryParameter().GetName() != "q" || !hp[3].GetConnectionProperties().GetSourceIp() {
		t.Errorf("hash policies %v", hp)
	}
	none := &routev3.RouteAction{}
	LoadBalancer{}.RouteAction(none, &ir.Route{})
	if none.HashPolicy != nil {
		t.Error("a route without load balancer has a hash policy")
	}
}
