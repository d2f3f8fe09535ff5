package publish_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sluice-gitops/sluice/serve/publish"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

const wait = 10 * time.Second

// serveLimited serves a publisher with one gateway, default/eg, on
// 127.0.0.1 with opts.
func serveLimited(t *testing.T, opts ...grpc.ServerOption) (*publish.Publisher, string) {
	t.Helper()
	p := publish.New(publish.Events{})
	snap, err := cachev3.NewSnapshot("v1", map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType: {&clusterv3.Cluster{Name: "c"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Set("default/eg", snap); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, lis, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return p, lis.Addr().String()
}

// refused waits for c's stream to end with ResourceExhausted naming key.
func refused(t *testing.T, c *xdstest.Client, key string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for c.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st, _ := status.FromError(c.Err()); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), key) {
		t.Fatalf("stream over the limit ended with %v, want ResourceExhausted naming %s", c.Err(), key)
	}
}

func TestStreamLimits(t *testing.T) {
	t.Parallel()
	for key, limits := range map[string]publish.StreamLimits{
		"xds.maxStreams":      {Total: 2},
		"xds.maxStreamsPerIP": {PerIP: 2, Total: 100},
	} {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			_, addr := serveLimited(t, limits.ServerOption())
			first, cancelFirst := context.WithCancel(t.Context())
			a := xdstest.Dial(first, t, addr, xdstest.Options{NodeID: "a", Cluster: "default/eg"})
			b := xdstest.Dial(t.Context(), t, addr, xdstest.Options{NodeID: "b", Cluster: "default/eg"})
			for _, c := range []*xdstest.Client{a, b} {
				c.WaitFor(wait, func(s xdstest.State) bool { return s.Versions[resourcev3.ClusterType] != "" })
			}
			refused(t, xdstest.Dial(t.Context(), t, addr, xdstest.Options{NodeID: "c", Cluster: "default/eg"}), key)
			// A stream that ends makes room.
			cancelFirst()
			deadline := time.Now().Add(wait)
			for {
				d := xdstest.Dial(t.Context(), t, addr, xdstest.Options{NodeID: "d", Cluster: "default/eg"})
				ok := make(chan struct{})
				go func() {
					defer close(ok)
					for d.Err() == nil && d.Snapshot().Versions[resourcev3.ClusterType] == "" {
						time.Sleep(5 * time.Millisecond)
					}
				}()
				<-ok
				if d.Err() == nil {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no room after a stream ended: %v", d.Err())
				}
			}
		})
	}
}
