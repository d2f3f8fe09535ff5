package publish

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
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

// TestADSResendsResubscribedNames checks that a SotW Envoy that drops an
// EDS name and asks for it again at the same version is sent it again, and
// that an ACK of everything is not answered until the snapshot changes.
func TestADSResendsResubscribedNames(t *testing.T) {
	t.Parallel()
	srv := New(Events{})
	if err := srv.Set("default/eg", endpointsSnapshot(t, "v1", "a")); err != nil {
		t.Fatal(err)
	}
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
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	responses := make(chan *discoveryv3.DiscoveryResponse, 10)
	go func() {
		for {
			resp, err := st.Recv()
			if err != nil {
				close(responses)
				return
			}
			responses <- resp
		}
	}()
	send := func(req *discoveryv3.DiscoveryRequest) {
		t.Helper()
		req.TypeUrl = resourcev3.EndpointType
		if err := st.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	next := func(want ...string) *discoveryv3.DiscoveryResponse {
		t.Helper()
		select {
		case resp := <-responses:
			var got []string
			for _, a := range resp.GetResources() {
				var cla endpointv3.ClusterLoadAssignment
				if err := a.UnmarshalTo(&cla); err != nil {
					t.Fatal(err)
				}
				got = append(got, cla.GetClusterName())
			}
			if !slices.Equal(got, want) {
				t.Fatalf("sent %v at %s, want %v", got, resp.GetVersionInfo(), want)
			}
			return resp
		case <-time.After(10 * time.Second):
			t.Fatalf("no response, want %v", want)
			return nil
		}
	}
	quiet := func() {
		t.Helper()
		select {
		case resp := <-responses:
			t.Fatalf("unexpected response %v", resp)
		case <-time.After(100 * time.Millisecond):
		}
	}

	send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: "envoy", Cluster: "eg"}, ResourceNames: []string{"a"}})
	r := next("a")
	send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}})
	quiet()
	// Dropped: the Envoy no longer asks for every resource, so nothing.
	send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce()})
	quiet()
	send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}})
	r = next("a")
	send(&discoveryv3.DiscoveryRequest{VersionInfo: r.GetVersionInfo(), ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}})
	quiet()
	// A NACK is held: not answered with the version it rejects.
	send(&discoveryv3.DiscoveryRequest{ResponseNonce: r.GetNonce(), ResourceNames: []string{"a"}, ErrorDetail: &status.Status{Message: "no"}})
	quiet()
	if err := srv.Set("default/eg", endpointsSnapshot(t, "v2", "a")); err != nil {
		t.Fatal(err)
	}
	if r = next("a"); r.GetVersionInfo() != "v2" {
		t.Errorf("version %s, want v2", r.GetVersionInfo())
	}
}
