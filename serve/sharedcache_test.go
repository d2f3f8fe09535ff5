package serve

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	"google.golang.org/protobuf/proto"
)

// edsSnapshot has n EDS clusters and their endpoints.
func edsSnapshot(t *testing.T, version string, n int) (*cachev3.Snapshot, []string) {
	t.Helper()
	var clusters, cla []types.Resource
	var names []string
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		names = append(names, name)
		clusters = append(clusters, &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}})
		cla = append(cla, &endpointv3.ClusterLoadAssignment{ClusterName: name})
	}
	snap, err := cachev3.NewSnapshot(version, map[resourcev3.Type][]types.Resource{resourcev3.ClusterType: clusters, resourcev3.EndpointType: cla})
	if err != nil {
		t.Fatal(err)
	}
	return snap, names
}

func envoyNode(id string) *corev3.Node { return &corev3.Node{Id: id, Cluster: "default/eg"} }

// watch opens a SotW watch as go-control-plane's server does.
func watch(t *testing.T, c cachev3.SnapshotCache, node, typeURL, version string, names []string, returned map[string]string, ch chan cachev3.Response) func() {
	t.Helper()
	sub := stream.NewSotwSubscription(names, true)
	if returned != nil {
		sub.SetReturnedResources(returned)
	}
	cancel, err := c.CreateWatch(&discoveryv3.DiscoveryRequest{Node: envoyNode(node), TypeUrl: typeURL, VersionInfo: version, ResourceNames: names}, sub, ch)
	if err != nil {
		t.Fatal(err)
	}
	return cancel
}

func receive(t *testing.T, ch chan cachev3.Response) (cachev3.Response, *discoveryv3.DiscoveryResponse) {
	t.Helper()
	select {
	case r := <-ch:
		out, err := r.GetDiscoveryResponse()
		if err != nil {
			t.Fatal(err)
		}
		return r, out
	default:
		t.Fatal("no response")
		return nil, nil
	}
}

func sortedAnys(r *discoveryv3.DiscoveryResponse) *discoveryv3.DiscoveryResponse {
	r = proto.Clone(r).(*discoveryv3.DiscoveryResponse)
	sort.Slice(r.Resources, func(i, j int) bool { return string(r.Resources[i].Value) < string(r.Resources[j].Value) })
	return r
}

// TestSharedCacheAnswersLikeGoControlPlane: every Envoy of a gateway gets
// what go-control-plane's cache would send it, built once and shared.
func TestSharedCacheAnswersLikeGoControlPlane(t *testing.T) {
	snap, names := edsSnapshot(t, "v1", 5)
	plain := cachev3.NewSnapshotCache(true, nodeHash{}, nil)
	shared := newSharedCache(cachev3.NewSnapshotCache(true, nodeHash{}, nil), nodeHash{})
	for _, c := range []cachev3.SnapshotCache{plain, shared} {
		if err := c.SetSnapshot(context.Background(), "default/eg", snap); err != nil {
			t.Fatal(err)
		}
	}
	var first *discoveryv3.DiscoveryResponse
	var firstReturned map[string]string
	for _, tc := range []struct{ typeURL string }{{resourcev3.ClusterType}, {resourcev3.EndpointType}} {
		var sub []string
		if tc.typeURL == resourcev3.EndpointType {
			sub = names
		}
		for n := range 3 {
			want := make(chan cachev3.Response, 1)
			got := make(chan cachev3.Response, 1)
			watch(t, plain, fmt.Sprint("envoy-", n), tc.typeURL, "", sub, nil, want)
			watch(t, shared, fmt.Sprint("envoy-", n), tc.typeURL, "", sub, nil, got)
			_, w := receive(t, want)
			r, g := receive(t, got)
			if !proto.Equal(sortedAnys(g), sortedAnys(w)) {
				t.Fatalf("%s: shared response\n%v\nwant\n%v", tc.typeURL, g, w)
			}
			if len(r.GetReturnedResources()) != len(names) {
				t.Errorf("returned resources = %v", r.GetReturnedResources())
			}
			if n == 0 {
				first, firstReturned = g, r.GetReturnedResources()
				continue
			}
			if &g.Resources[0] != &first.Resources[0] || reflect.ValueOf(r.GetReturnedResources()).Pointer() != reflect.ValueOf(firstReturned).Pointer() {
				t.Errorf("%s: Envoy %d got its own copy of the response", tc.typeURL, n)
			}
			g.Nonce = "written by the server"
			if first.Nonce != "" {
				t.Errorf("the nonce of one Envoy's response shows in another's")
			}
		}
	}
}

// TestSharedCacheWatches: open watches are answered on the next version in
// ADS order; an Envoy that holds the version waits; one that does not ask
// for every resource is not answered (ADS); a cancelled watch is dropped.
func TestSharedCacheWatches(t *testing.T) {
	c := newSharedCache(cachev3.NewSnapshotCache(true, nodeHash{}, nil), nodeHash{})
	snap1, names := edsSnapshot(t, "v1", 3)
	ch := make(chan cachev3.Response, types.UnknownType)
	watch(t, c, "a", resourcev3.EndpointType, "", names, nil, ch)
	watch(t, c, "a", resourcev3.ClusterType, "", nil, nil, ch)
	if err := c.SetSnapshot(context.Background(), "default/eg", snap1); err != nil {
		t.Fatal(err)
	}
	r1, out := receive(t, ch)
	if out.GetTypeUrl() != resourcev3.ClusterType {
		t.Errorf("first response is %s, want clusters before endpoints", out.GetTypeUrl())
	}
	r2, _ := receive(t, ch)

	// ACKs: same version, everything known.
	watch(t, c, "a", resourcev3.ClusterType, "v1", nil, r1.GetReturnedResources(), ch)
	watch(t, c, "a", resourcev3.EndpointType, "v1", names, r2.GetReturnedResources(), ch)
	// An Envoy asking for some endpoints only.
	partial := make(chan cachev3.Response, 1)
	watch(t, c, "b", resourcev3.EndpointType, "", names[:1], nil, partial)
	// A watch cancelled before the next version.
	gone := make(chan cachev3.Response, 1)
	watch(t, c, "d", resourcev3.ClusterType, "v1", nil, r1.GetReturnedResources(), gone)()
	if len(ch)+len(partial) != 0 {
		t.Fatalf("answered without a new version: %d, %d", len(ch), len(partial))
	}

	snap2, _ := edsSnapshot(t, "v2", 3)
	if err := c.SetSnapshot(context.Background(), "default/eg", snap2); err != nil {
		t.Fatal(err)
	}
	for _, typeURL := range []string{resourcev3.ClusterType, resourcev3.EndpointType} {
		if _, out := receive(t, ch); out.GetTypeUrl() != typeURL || out.GetVersionInfo() != "v2" {
			t.Errorf("got %s %s, want %s v2", out.GetTypeUrl(), out.GetVersionInfo(), typeURL)
		}
	}
	if len(partial) != 0 || len(gone) != 0 {
		t.Errorf("answered a partial subscription (%d) or a cancelled watch (%d)", len(partial), len(gone))
	}
}
