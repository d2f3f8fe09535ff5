package xdstest_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sluice-gitops/sluice/serve/xdstest"
)

const wait = 5 * time.Second

var allTypes = []string{resourcev3.ClusterType, resourcev3.EndpointType, resourcev3.ListenerType, resourcev3.RouteType}

// clusterHash keys snapshots by node.cluster ("NS/NAME"), as sluice does.
type clusterHash struct{}

func (clusterHash) ID(n *corev3.Node) string { return n.GetCluster() }

// server is a real go-control-plane ADS server on 127.0.0.1 that records the
// error details of the NACKs it receives.
type server struct {
	cache cachev3.SnapshotCache
	addr  string

	nacks chan string // error details seen by the server, buffered
}

func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{cache: cachev3.NewSnapshotCache(true, clusterHash{}, nil), nacks: make(chan string, 64)}
	cb := serverv3.CallbackFuncs{
		StreamRequestFunc: func(_ int64, r *discoveryv3.DiscoveryRequest) error {
			s.recordNACK(r.GetErrorDetail().GetMessage())
			return nil
		},
		StreamDeltaRequestFunc: func(_ int64, r *discoveryv3.DeltaDiscoveryRequest) error {
			s.recordNACK(r.GetErrorDetail().GetMessage())
			return nil
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	gs := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, serverv3.NewServer(ctx, s.cache, cb))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = lis.Addr().String()
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(func() {
		cancel()
		gs.Stop()
	})
	return s
}

func (s *server) recordNACK(detail string) {
	if detail == "" {
		return
	}
	select {
	case s.nacks <- detail:
	default: // the test reads only the first few
	}
}

func (s *server) set(t *testing.T, gateway string, snap *cachev3.Snapshot) {
	t.Helper()
	if err := snap.Consistent(); err != nil {
		t.Fatalf("snapshot %s inconsistent: %v", snap.GetVersion(resourcev3.ClusterType), err)
	}
	if err := s.cache.SetSnapshot(context.Background(), gateway, snap); err != nil {
		t.Fatal(err)
	}
}

// makeSnapshot builds listener l1 → route r1 → EDS clusters → their
// endpoints. Every version changes every resource so delta clients see it.
func makeSnapshot(t *testing.T, version string, port uint32, clusters ...string) *cachev3.Snapshot {
	t.Helper()
	ads := &corev3.ConfigSource{
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		ResourceApiVersion:    corev3.ApiVersion_V3,
	}
	var cds, eds, routes []types.Resource
	for _, name := range clusters {
		cds = append(cds, &clusterv3.Cluster{
			Name:                 name,
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
			EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: ads},
			ConnectTimeout:       durationpb.New(time.Second),
		})
		eds = append(eds, &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{
					HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
						Address: socketAddress("127.0.0.1", port),
					}},
				}},
			}},
		})
		routes = append(routes, &routev3.Route{
			Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/" + name}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{
				ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: name},
			}},
		})
	}
	rds := &routev3.RouteConfiguration{
		Name: "r1",
		VirtualHosts: []*routev3.VirtualHost{{
			Name: "vh-" + version, Domains: []string{"*"}, Routes: asRoutes(routes),
		}},
	}
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: "http-" + version,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			ConfigSource: ads, RouteConfigName: "r1",
		}},
		HttpFilters: []*hcmv3.HttpFilter{{
			Name:       "envoy.filters.http.router",
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &routerv3.Router{})},
		}},
	}
	lds := &listenerv3.Listener{
		Name:    "l1",
		Address: socketAddress("0.0.0.0", 10080),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name:       "envoy.filters.network.http_connection_manager",
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t, hcm)},
		}}}},
	}
	all := map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  cds,
		resourcev3.EndpointType: eds,
		resourcev3.ListenerType: {lds},
		resourcev3.RouteType:    {rds},
	}
	for typeURL, rs := range all {
		for _, r := range rs {
			if err := r.(interface{ ValidateAll() error }).ValidateAll(); err != nil {
				t.Fatalf("%s invalid: %v", typeURL, err)
			}
		}
	}
	snap, err := cachev3.NewSnapshot(version, all)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func asRoutes(rs []types.Resource) []*routev3.Route {
	out := make([]*routev3.Route, len(rs))
	for i, r := range rs {
		out[i] = r.(*routev3.Route)
	}
	return out
}

func socketAddress(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func atVersion(version string) func(xdstest.State) bool {
	return func(s xdstest.State) bool {
		for _, typeURL := range allTypes {
			if s.Versions[typeURL] != version {
				return false
			}
		}
		return true
	}
}

func port(cla *endpointv3.ClusterLoadAssignment) uint32 {
	return cla.GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()
}

func TestClient(t *testing.T) {
	t.Parallel()
	for name, delta := range map[string]bool{"sotw": false, "delta": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t)
			srv.set(t, "default/eg", makeSnapshot(t, "v1", 8080, "c1"))
			c := xdstest.Dial(t.Context(), t, srv.addr, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg", Delta: delta})

			c.WaitFor(wait, atVersion("v1"))
			s := c.Snapshot()
			if s.Clusters["c1"] == nil || s.Endpoints["c1"] == nil || s.Listeners["l1"] == nil || s.Routes["r1"] == nil {
				t.Fatalf("missing resources:\n%s", s)
			}
			if got := port(s.Endpoints["c1"]); got != 8080 {
				t.Errorf("c1 port = %d, want 8080", got)
			}

			srv.set(t, "default/eg", makeSnapshot(t, "v2", 8081, "c1", "c2"))
			// c2's endpoints come after CDS names c2, as with Envoy.
			c.WaitFor(wait, func(s xdstest.State) bool {
				return atVersion("v2")(s) && len(s.Endpoints) == 2
			})
			s = c.Snapshot()
			if got := port(s.Endpoints["c2"]); got != 8081 {
				t.Errorf("c2 port = %d, want 8081", got)
			}
			if got := s.Listeners["l1"].GetFilterChains()[0].GetFilters()[0].GetTypedConfig(); got == nil {
				t.Error("listener lost its HCM")
			}

			// Dropping c2 unsubscribes its endpoints.
			srv.set(t, "default/eg", makeSnapshot(t, "v3", 8082, "c1"))
			c.WaitFor(wait, func(s xdstest.State) bool {
				return atVersion("v3")(s) && len(s.Endpoints) == 1 && len(s.Clusters) == 1
			})

			st := c.Stats()
			if st.NACKs != 0 || st.ACKs < 12 {
				t.Errorf("stats = %+v, want >= 12 ACKs and no NACKs", st)
			}
			if got := len(c.AckTimes(resourcev3.RouteType)); got < 3 {
				t.Errorf("route ACK times = %d, want >= 3", got)
			}
		})
	}
}

func TestClientNACK(t *testing.T) {
	t.Parallel()
	for name, delta := range map[string]bool{"sotw": false, "delta": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t)
			srv.set(t, "default/bad", makeSnapshot(t, "v1", 8080, "c1"))
			errBadRoute := errors.New("route r1: rejected by test")
			c := xdstest.Dial(t.Context(), t, srv.addr, xdstest.Options{
				NodeID: "envoy-bad", Cluster: "default/bad", Delta: delta,
				Reject: func(typeURL string, _ []proto.Message) error {
					if typeURL == resourcev3.RouteType {
						return errBadRoute
					}
					return nil
				},
			})

			c.WaitFor(wait, func(s xdstest.State) bool {
				return len(s.NACKs) > 0 && s.Versions[resourcev3.ClusterType] == "v1" &&
					s.Versions[resourcev3.EndpointType] == "v1" && s.Versions[resourcev3.ListenerType] == "v1"
			})
			s := c.Snapshot()
			if s.NACKs[0] != errBadRoute.Error() {
				t.Errorf("NACK detail = %q, want %q", s.NACKs[0], errBadRoute)
			}
			if len(s.Routes) != 0 || s.Versions[resourcev3.RouteType] != "" {
				t.Errorf("rejected route applied:\n%s", s)
			}
			if c.Stats().NACKs == 0 {
				t.Error("Stats().NACKs = 0")
			}

			select {
			case got := <-srv.nacks:
				if got != errBadRoute.Error() {
					t.Errorf("server saw error_detail %q, want %q", got, errBadRoute)
				}
			case <-time.After(wait):
				t.Fatal("server saw no error_detail")
			}
		})
	}
}
