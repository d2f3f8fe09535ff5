package publish

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
)

func endpointsSnapshot(t *testing.T, version string, clusters ...string) *cachev3.Snapshot {
	t.Helper()
	var eps []types.Resource
	for _, c := range clusters {
		eps = append(eps, &endpointv3.ClusterLoadAssignment{ClusterName: c})
	}
	snap, err := cachev3.NewSnapshot(version, map[resourcev3.Type][]types.Resource{resourcev3.EndpointType: eps})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func TestSubscriptionSharesTheSnapshotNames(t *testing.T) {
	t.Parallel()
	g := newGatewaySnap(endpointsSnapshot(t, "v1", "a", "b", "c"), nil)
	snap := g.typ(resourcev3.EndpointType)
	for name, tc := range map[string]struct {
		names  []string
		shared bool
	}{
		"sorted":    {[]string{"a", "b", "c"}, true},
		"unsorted":  {[]string{"c", "a", "b"}, true},
		"repeated":  {[]string{"a", "a", "b"}, false},
		"fewer":     {[]string{"a", "b"}, false},
		"other":     {[]string{"a", "b", "d"}, false},
		"more":      {[]string{"a", "b", "c", "d"}, false},
		"none":      {nil, false},
		"repeated+": {[]string{"a", "b", "b", "c"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			got := subscription(tc.names, snap)
			if (got == snap.names) != tc.shared {
				t.Errorf("shared = %v, want %v", got == snap.names, tc.shared)
			}
			for _, n := range tc.names {
				if !got.has(n) {
					t.Errorf("%q missing", n)
				}
			}
		})
	}
	// The next snapshot with the same names keeps the set, so streams
	// subscribed to it stay shared.
	next := newGatewaySnap(endpointsSnapshot(t, "v2", "c", "b", "a"), g)
	if next.typ(resourcev3.EndpointType).names != snap.names {
		t.Error("same names, new set")
	}
	if other := newGatewaySnap(endpointsSnapshot(t, "v3", "a"), next); other.typ(resourcev3.EndpointType).names == snap.names {
		t.Error("other names, same set")
	}
}

// TestResendsResubscribedNames checks, over ADS and over the per-type EDS
// service alike, that a SotW Envoy that drops an EDS name and asks for it
// again at the same version is sent it again, that an ACK of everything is
// not answered until the snapshot changes, and that a NACK is held.
func TestResendsResubscribedNames(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(context.Context, *grpc.ClientConn) (sotwClient, error){
		"ads": func(ctx context.Context, conn *grpc.ClientConn) (sotwClient, error) {
			return discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
		},
		"eds": func(ctx context.Context, conn *grpc.ClientConn) (sotwClient, error) {
			return endpointservice.NewEndpointDiscoveryServiceClient(conn).StreamEndpoints(ctx)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := New(Events{})
			if err := srv.Set("default/eg", endpointsSnapshot(t, "v1", "a")); err != nil {
				t.Fatal(err)
			}
			c := dialEDS(t, srv, open)
			c.send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: "envoy", Cluster: "eg"}, ResourceNames: []string{"a"}})
			r := c.next("a")
			c.send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}})
			c.quiet()
			// Dropped: the Envoy no longer asks for every resource, so nothing.
			c.send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce()})
			c.quiet()
			c.send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}})
			r = c.next("a")
			c.send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}})
			c.quiet()
			// A NACK is held: not answered with the version it rejects.
			c.send(&discoveryv3.DiscoveryRequest{ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}, ErrorDetail: &status.Status{Message: "no"}})
			c.quiet()
			// The same content is the same version: still held.
			if err := srv.Set("default/eg", endpointsSnapshot(t, "v2", "a")); err != nil {
				t.Fatal(err)
			}
			c.quiet()
			// New content is a new version, sent.
			moved := &endpointv3.ClusterLoadAssignment{ClusterName: "a", Endpoints: []*endpointv3.LocalityLbEndpoints{{Priority: 1}}}
			snap, err := cachev3.NewSnapshot("v3", map[resourcev3.Type][]types.Resource{resourcev3.EndpointType: {moved}})
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Set("default/eg", snap); err != nil {
				t.Fatal(err)
			}
			if r2 := c.next("a"); r2.GetVersionInfo() == r.GetVersionInfo() {
				t.Errorf("version %s sent again, want a new one", r2.GetVersionInfo())
			}
		})
	}
}

// sotwClient is the client side of an ADS or a per-type SotW stream.
type sotwClient interface {
	Send(*discoveryv3.DiscoveryRequest) error
	Recv() (*discoveryv3.DiscoveryResponse, error)
}

// edsClient sends EDS requests on a stream and checks the responses.
type edsClient struct {
	t         *testing.T
	st        sotwClient
	responses chan *discoveryv3.DiscoveryResponse
}

// dialEDS serves srv on a loopback port and opens a stream to it.
func dialEDS(t *testing.T, srv *Publisher, open func(context.Context, *grpc.ClientConn) (sotwClient, error)) *edsClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() { cancel(); <-served })
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	st, err := open(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	c := &edsClient{t: t, st: st, responses: make(chan *discoveryv3.DiscoveryResponse, 10)}
	go func() {
		for {
			resp, err := st.Recv()
			if err != nil {
				close(c.responses)
				return
			}
			c.responses <- resp
		}
	}()
	return c
}

func (c *edsClient) send(req *discoveryv3.DiscoveryRequest) {
	c.t.Helper()
	req.TypeUrl = resourcev3.EndpointType
	if err := c.st.Send(req); err != nil {
		c.t.Fatal(err)
	}
}

// next waits for a response and checks the clusters it holds.
func (c *edsClient) next(want ...string) *discoveryv3.DiscoveryResponse {
	c.t.Helper()
	select {
	case resp := <-c.responses:
		var got []string
		for _, a := range resp.GetResources() {
			var cla endpointv3.ClusterLoadAssignment
			if err := a.UnmarshalTo(&cla); err != nil {
				c.t.Fatal(err)
			}
			got = append(got, cla.GetClusterName())
		}
		if !slices.Equal(got, want) {
			c.t.Fatalf("sent %v at %s, want %v", got, resp.GetVersionInfo(), want)
		}
		return resp
	case <-time.After(10 * time.Second):
		c.t.Fatalf("no response, want %v", want)
		return nil
	}
}

// quiet checks that nothing is sent for a while.
func (c *edsClient) quiet() {
	c.t.Helper()
	select {
	case resp := <-c.responses:
		c.t.Fatalf("unexpected response %v", resp)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestSotwSendsWhatChanged checks that a SotW Envoy holding every endpoint
// resource is sent only those that changed, including the endpoints of a
// cluster that changed (Envoy warms an updated cluster until they come),
// and nothing when only another type moved.
func TestSotwSendsWhatChanged(t *testing.T) {
	t.Parallel()
	srv := New(Events{})
	// set serves a cluster and its endpoints per port; timeout 0 is
	// timeout 1 but for cluster a's.
	set := func(timeout int64, ports ...uint32) {
		t.Helper()
		var res []types.Resource
		eds := &clusterv3.Cluster_EdsClusterConfig{EdsConfig: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}}}
		var clusters []types.Resource
		for i, port := range ports {
			name := string(rune('a' + i))
			clusters = append(clusters, &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
				EdsClusterConfig: eds, ConnectTimeout: durationpb.New(time.Duration(max(timeout, 1)) * time.Second)})
			res = append(res, &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{Priority: port}}})
		}
		if timeout == 0 { // a's cluster alone moves
			clusters[0].(*clusterv3.Cluster).ConnectTimeout = durationpb.New(time.Minute)
		}
		snap, err := cachev3.NewSnapshot("", map[resourcev3.Type][]types.Resource{resourcev3.EndpointType: res, resourcev3.ClusterType: clusters})
		if err != nil {
			t.Fatal(err)
		}
		if err := snap.Consistent(); err != nil {
			t.Fatal(err)
		}
		if err := srv.Set("default/eg", snap); err != nil {
			t.Fatal(err)
		}
	}
	set(1, 1, 1, 1)
	c := dialEDS(t, srv, func(ctx context.Context, conn *grpc.ClientConn) (sotwClient, error) {
		return discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	})
	names := []string{"a", "b", "c"}
	c.send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: "envoy", Cluster: "eg"}, ResourceNames: names})
	ack := func(r *discoveryv3.DiscoveryResponse) {
		c.send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce(), ResourceNames: names})
	}
	ack(c.next("a", "b", "c"))
	set(1, 1, 2, 1) // b's endpoints move
	ack(c.next("b"))
	set(0, 1, 2, 1) // a's cluster moves
	ack(c.next("a"))
	set(2, 1, 2, 1) // every cluster moves
	ack(c.next("a", "b", "c"))
	set(2, 1, 2, 1) // nothing moves
	c.quiet()
}
