package serve_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	statusproto "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sluice-gitops/sluice/serve/revisions"
)

// soakFor is how long BenchmarkSoak churns: short for `make bench`; by
// hand, `go test ./serve -run '^$' -bench Soak -soak 60s`.
var soakFor = flag.Duration("soak", 5*time.Second, "how long BenchmarkSoak churns its ADS clients")

// soakServer runs a History with its store in a temporary dataDir, serving
// default/eg over ADS on 127.0.0.1.
func soakServer(b *testing.B) (srv *revisions.History, addr, dataDir string) {
	b.Helper()
	dataDir = b.TempDir()
	srv, err := revisions.New(revisions.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DataDir: dataDir})
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Publisher().Serve(ctx, lis) }()
	b.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	srv.Apply(revision("soak"), translateYAML(b, []string{"default/eg"}, gatewayYAML("eg", 8080, 3000)), nil, time.Millisecond)
	return srv, lis.Addr().String(), dataDir
}

// adsCycle connects as node of cluster, subscribes to clusters, and
// answers the first response: an ACK, or a NACK with detail. It returns
// once the answer is sent and the connection closed.
func adsCycle(addr, node, cluster, detail string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx, grpc.MaxCallSendMsgSize(8<<20))
	if err != nil {
		return err
	}
	n := &corev3.Node{Id: node, Cluster: cluster}
	if err := st.Send(&discoveryv3.DiscoveryRequest{Node: n, TypeUrl: resourcev3.ClusterType}); err != nil {
		return err
	}
	resp, err := st.Recv()
	if err != nil {
		return err
	}
	answer := &discoveryv3.DiscoveryRequest{TypeUrl: resourcev3.ClusterType, ResponseNonce: resp.GetNonce(), VersionInfo: resp.GetVersionInfo()}
	if detail != "" {
		answer.VersionInfo, answer.ErrorDetail = "", &statusproto.Status{Code: 3, Message: detail}
	}
	if err := st.Send(answer); err != nil {
		return err
	}
	// The server answers a stream's requests in order: once listeners
	// come, it has read the ACK or NACK.
	if err := st.Send(&discoveryv3.DiscoveryRequest{TypeUrl: resourcev3.ListenerType}); err != nil {
		return err
	}
	for {
		resp, err := st.Recv()
		if err != nil {
			return err
		}
		if resp.GetTypeUrl() == resourcev3.ListenerType {
			return st.CloseSend()
		}
	}
}

// soakFigures are what BenchmarkSoak reports before and after.
type soakFigures struct {
	heapMB     float64
	goroutines int
	storeKB    float64
}

func measureSoak(b *testing.B, dataDir string) soakFigures {
	b.Helper()
	// The store writes ACKs and NACKs within a second.
	time.Sleep(1500 * time.Millisecond)
	// Twice: sync.Pools (gRPC's buffers) are emptied over two collections.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fi, err := os.Stat(filepath.Join(dataDir, revisions.DBFile))
	if err != nil {
		b.Fatal(err)
	}
	return soakFigures{heapMB: float64(m.HeapAlloc) / (1 << 20), goroutines: runtime.NumGoroutine(), storeKB: float64(fi.Size()) / 1024}
}

// churn runs clients goroutines, each cycling adsCycle until deadline
// with a new node id every cycle, and returns the cycles done.
func churn(b *testing.B, addr string, clients int, deadline time.Time, cluster func(i int) string, detail string) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	cycles := 0
	for i := range clients {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline); n++ {
				if err := adsCycle(addr, fmt.Sprintf("client-%d-%d", i, n), cluster(i), detail); err != nil {
					b.Errorf("client %d: %v", i, err)
					return
				}
				mu.Lock()
				cycles++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return cycles
}

// BenchmarkSoak churns 500 ADS clients (connect, receive, ACK, disconnect,
// reconnect with a new node id) for -soak, with 50 clients that NACK with
// a 1 MiB error_detail beside them, and reports the heap, goroutines and
// store size before and after: none may grow beyond a bound.
func BenchmarkSoak(b *testing.B) {
	_, addr, dataDir := soakServer(b)
	before := measureSoak(b, dataDir)
	detail := strings.Repeat("e", 1<<20)
	var acks, nacks int
	for b.Loop() {
		deadline := time.Now().Add(*soakFor)
		var wg sync.WaitGroup
		wg.Go(func() { acks = churn(b, addr, 500, deadline, func(int) string { return "default/eg" }, "") })
		wg.Go(func() { nacks = churn(b, addr, 50, deadline, func(int) string { return "default/eg" }, detail) })
		wg.Wait()
	}
	after := measureSoak(b, dataDir)
	reportSoak(b, before, after, acks, nacks)
}

// BenchmarkNackFlood: 100 clients with made-up node ids of a real gateway
// and 100 of made-up gateways NACK once each with a 1 MiB error_detail;
// it reports how much the store and the heap grew.
func BenchmarkNackFlood(b *testing.B) {
	_, addr, dataDir := soakServer(b)
	before := measureSoak(b, dataDir)
	detail := strings.Repeat("e", 1<<20)
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range 200 {
			cluster := "default/eg"
			if i%2 == 1 {
				cluster = fmt.Sprintf("flood/gw-%d", i)
			}
			wg.Go(func() {
				if err := adsCycle(addr, fmt.Sprintf("flood-%d", i), cluster, detail); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	after := measureSoak(b, dataDir)
	reportSoak(b, before, after, 200, 200)
}

func reportSoak(b *testing.B, before, after soakFigures, acks, nacks int) {
	b.Logf("heap %.1f → %.1f MiB, goroutines %d → %d, store %.0f → %.0f KiB, %d ACK cycles, %d NACK cycles",
		before.heapMB, after.heapMB, before.goroutines, after.goroutines, before.storeKB, after.storeKB, acks, nacks)
	b.ReportMetric(after.heapMB-before.heapMB, "heap-growth-MiB")
	b.ReportMetric(float64(after.goroutines-before.goroutines), "goroutine-growth")
	b.ReportMetric(after.storeKB-before.storeKB, "store-growth-KiB")
	b.ReportMetric(0, "ns/op")
}
