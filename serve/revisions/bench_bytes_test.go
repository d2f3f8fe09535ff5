package revisions

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/sluice-gitops/sluice/translate"
)

// sentBytes is a gRPC stats handler that counts the bytes of every message
// the server sends, as they go on the wire.
type sentBytes struct{ n atomic.Int64 }

func (s *sentBytes) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (s *sentBytes) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (s *sentBytes) HandleConn(context.Context, stats.ConnStats) {}
func (s *sentBytes) HandleRPC(_ context.Context, st stats.RPCStats) {
	if out, ok := st.(*stats.OutPayload); ok {
		s.n.Add(int64(out.WireLength))
	}
}

// BenchmarkOneChangeBytes measures what a small change costs on the wire
// with 1,000 SotW Envoys on 4 gateways of 1,000 HTTPRoutes: the bytes the
// server sends, in all, from Apply of a revision that changes one route of
// one gateway to the ACK of that gateway's 250 Envoys. "route" changes a
// header match of the route (its RouteConfiguration moves); "backend"
// moves the address of the route's Backend (its endpoints move). The
// revisions alternate between the change and its undoing.
func BenchmarkOneChangeBytes(b *testing.B) {
	base := func(int, int) (int, int) { return 0, 0 }
	for name, change := range map[string]func(g, i int) (int, int){
		"route": func(g, i int) (int, int) {
			if g == 0 && i == 0 {
				return 1, 0
			}
			return 0, 0
		},
		"backend": func(g, i int) (int, int) {
			if g == 0 && i == 0 {
				return 0, 10
			}
			return 0, 0
		},
	} {
		b.Run(name, func(b *testing.B) {
			benchChangeBytes(b, []*translate.Result{benchResultOf(b, base), benchResultOf(b, change)})
		})
	}
}

func benchChangeBytes(b *testing.B, results []*translate.Result) {
	counter := &sentBytes{}
	srv, addr, acks := benchServer(b, grpc.StatsHandler(counter))
	apply := func(i int, want int) <-chan struct{} { return applyBench(b, srv, acks, results[i%2], i, want) }
	wait := func(done <-chan struct{}, what string) {
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("%s: not ACKed", what)
		}
	}
	first := apply(0, benchEnvoysAll)
	startEnvoysOf(b, benchEnvoys{Addr: addr, PerGW: benchPerGW}, results[0])
	wait(first, "first revision")
	b.Logf("first revision: %d MiB sent to %d Envoys", counter.n.Load()>>20, benchEnvoysAll)

	i := 1
	var took time.Duration
	n0 := counter.n.Load()
	for b.Loop() {
		t0 := time.Now()
		wait(apply(i, benchPerGW), fmt.Sprint("revision ", i))
		took += time.Since(t0)
		i++
	}
	revs := float64(i - 1)
	b.ReportMetric(float64(counter.n.Load()-n0)/revs, "sent-B/revision")
	b.ReportMetric(took.Seconds()/revs, "s/revision")
}
