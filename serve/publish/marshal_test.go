package publish

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoiface"
)

// countingCluster is a Cluster that counts how often it is marshalled.
type countingCluster struct {
	*clusterv3.Cluster
	n *atomic.Int64
}

func (c countingCluster) ProtoReflect() protoreflect.Message {
	return countingReflect{Message: c.Cluster.ProtoReflect(), n: c.n}
}

type countingReflect struct {
	protoreflect.Message
	n *atomic.Int64
}

func (r countingReflect) ProtoMethods() *protoiface.Methods {
	inner := r.Message.ProtoMethods()
	m := *inner
	m.Size = func(in protoiface.SizeInput) protoiface.SizeOutput {
		in.Message = r.Message
		return inner.Size(in)
	}
	m.Marshal = func(in protoiface.MarshalInput) (protoiface.MarshalOutput, error) {
		r.n.Add(1)
		in.Message = r.Message
		return inner.Marshal(in)
	}
	m.CheckInitialized = func(in protoiface.CheckInitializedInput) (protoiface.CheckInitializedOutput, error) {
		in.Message = r.Message
		return inner.CheckInitialized(in)
	}
	return &m
}

// respondAll opens a wildcard CDS watch for each of n nodes on a cache
// holding snap and builds every response as the xDS server does.
func respondAll(t testing.TB, cache cachev3.SnapshotCache, snap *cachev3.Snapshot, n int) []*discoveryv3.DiscoveryResponse {
	t.Helper()
	var out []*discoveryv3.DiscoveryResponse
	for i := range n {
		node := fmt.Sprintf("node-%d", i)
		if err := cache.SetSnapshot(context.Background(), node, snap); err != nil {
			t.Fatal(err)
		}
		ch := make(chan cachev3.Response, 1)
		req := &discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: node}, TypeUrl: resourcev3.ClusterType}
		sub := stream.NewSotwSubscription(nil, true)
		if _, err := cache.CreateWatch(req, sub, ch); err != nil {
			t.Fatal(err)
		}
		resp, err := (<-ch).GetDiscoveryResponse()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp)
	}
	return out
}

func countingSnapshot(t testing.TB, clusters int, n *atomic.Int64) *cachev3.Snapshot {
	t.Helper()
	var res []types.Resource
	for i := range clusters {
		res = append(res, countingCluster{Cluster: &clusterv3.Cluster{Name: fmt.Sprintf("c%d", i)}, n: n})
	}
	snap, err := cachev3.NewSnapshot("v1", map[resourcev3.Type][]types.Resource{resourcev3.ClusterType: res})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestMarshalOncePerVersion shows that go-control-plane's snapshot cache
// marshals each resource once per response (per connected Envoy), and that
// premarshal brings that to once per snapshot however many Envoys are sent
// it, with the same bytes on the wire.
func TestMarshalOncePerVersion(t *testing.T) {
	const clusters, nodes = 10, 20
	plain := cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)
	var n atomic.Int64
	want := respondAll(t, plain, countingSnapshot(t, clusters, &n), nodes)
	if got := n.Load(); got != clusters*nodes {
		t.Fatalf("go-control-plane marshalled %d times, want %d (once per resource per Envoy): the premarshal workaround may no longer be needed", got, clusters*nodes)
	}

	n.Store(0)
	snap := countingSnapshot(t, clusters, &n)
	if _, err := premarshal(snap); err != nil {
		t.Fatal(err)
	}
	got := respondAll(t, cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil), snap, nodes)
	if c := n.Load(); c != clusters {
		t.Fatalf("with premarshal, %d marshals for %d resources sent to %d Envoys, want %d", c, clusters, nodes, clusters)
	}
	for i := range got {
		// go-control-plane lists resources in map order.
		for _, r := range []*discoveryv3.DiscoveryResponse{got[i], want[i]} {
			sort.Slice(r.Resources, func(a, b int) bool { return string(r.Resources[a].Value) < string(r.Resources[b].Value) })
		}
		if !proto.Equal(got[i], want[i]) {
			t.Fatalf("response %d differs:\n%v\nwant\n%v", i, got[i], want[i])
		}
	}
}

func TestMarshaledResourceReadsLikeTheResource(t *testing.T) {
	c := &clusterv3.Cluster{Name: "backend", AltStatName: "x"}
	snap, err := cachev3.NewSnapshot("v1", map[resourcev3.Type][]types.Resource{resourcev3.ClusterType: {c}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := premarshal(snap); err != nil {
		t.Fatal(err)
	}
	r := snap.GetResources(resourcev3.ClusterType)["backend"]
	if _, ok := r.(*marshaledResource); !ok {
		t.Fatalf("resource is %T, want *marshaledResource", r)
	}
	if got := cachev3.GetResourceName(r); got != "backend" {
		t.Errorf("GetResourceName = %q", got)
	}
	b, err := proto.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back clusterv3.Cluster
	if err := proto.Unmarshal(b, &back); err != nil || !proto.Equal(&back, c) {
		t.Errorf("round trip = %v (%v), want %v", &back, err, c)
	}
	if !proto.Equal(r, c) || proto.Size(r) != proto.Size(c) {
		t.Errorf("marshaledResource does not read as the resource")
	}
	if err := snap.ConstructVersionMap(); err != nil {
		t.Fatal(err)
	}
}
