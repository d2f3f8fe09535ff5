package revisions

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/sluice-gitops/sluice/serve/publish"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// Issue 5's speed target: 1,000 Envoys on loopback, 4 gateways of 1,000
// HTTPRoutes each. A new revision that changes every gateway must be ACKed
// by all of them in under 2 s, and each connected Envoy may cost at most
// 50 KiB beyond the shared snapshots.
const (
	benchGateways  = 4
	benchRoutes    = 1000
	benchPerGW     = 250
	benchEnvoysAll = benchGateways * benchPerGW
)

// The number of Envoys of BenchmarkRevisionToAllACKs and how many use
// delta xDS are flags, e.g. -sluice.envoys=10000 -sluice.deltaevery=1.
var (
	benchEnvoysN    = flag.Int("sluice.envoys", benchEnvoysAll, "Envoys of BenchmarkRevisionToAllACKs, spread over its 4 gateways")
	benchDeltaEvery = flag.Int("sluice.deltaevery", 10, "every n-th Envoy of BenchmarkRevisionToAllACKs uses delta xDS (1: all, 0: none)")
)

const benchGatewayYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw%[1]d
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: 80
`

// benchRouteYAML is an HTTPRoute with its own hostname, a path-prefix rule
// and an exact-path rule with a header match whose value carries the
// revision, and its own Backend. Arguments: gateway, route, revision.
const benchRouteYAML = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-%[1]d-%[2]d
spec:
  parentRefs:
    - name: gw%[1]d
  hostnames:
    - app-%[2]d.gw%[1]d.example.com
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /svc/%[2]d
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: backend-%[1]d-%[2]d
    - matches:
        - path:
            type: Exact
            value: /admin
          headers:
            - name: x-revision
              value: r%[3]d
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: backend-%[1]d-%[2]d
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: backend-%[1]d-%[2]d
spec:
  endpoints:
    - ip:
        address: 10.%[1]d.%[4]d.%[5]d
        port: 8080
`

// benchResult translates the benchmark's gateways at a revision number.
func benchResult(b *testing.B, revision int) *translate.Result {
	b.Helper()
	return benchResultOf(b, func(int, int) (int, int) { return revision, 0 })
}

// benchResultOf translates the benchmark's gateways, route i of gateway g
// at the revision and with the backend address offset that at(g, i)
// gives.
func benchResultOf(b *testing.B, at func(g, i int) (revision, offset int)) *translate.Result {
	b.Helper()
	fsys := fstest.MapFS{"class.yaml": {Data: []byte(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
`)}}
	for g := range benchGateways {
		fsys[fmt.Sprintf("gw%d.yaml", g)] = &fstest.MapFile{Data: fmt.Appendf(nil, benchGatewayYAML, g)}
		for i := range benchRoutes {
			revision, offset := at(g, i)
			data := fmt.Appendf(nil, benchRouteYAML, g, i, revision, i/250+offset, i%250+1)
			fsys[fmt.Sprintf("routes/%d/%04d.yaml", g, i)] = &fstest.MapFile{Data: data}
		}
	}
	res, err := translate.Translate(fsys, translate.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Gateways) != benchGateways || len(res.Rejected()) > 0 {
		b.Fatalf("translated %d gateways, rejected %v", len(res.Gateways), res.Rejected())
	}
	return res
}

func benchRevision(i int) gitsync.Revision {
	sum := sha1.Sum([]byte(strconv.Itoa(i)))
	return gitsync.Revision{Source: gitsync.SourceGit, Branch: "main", SHA: hex.EncodeToString(sum[:]), Subject: fmt.Sprint("revision ", i), FetchedAt: time.Now()}
}

// ackCounter closes done once want Envoys ACKed a version of the revision
// whose SHA is armed.
type ackCounter struct {
	// shaOf returns the SHA of the revision that produced a version.
	shaOf func(gateway, version string) string

	mu   sync.Mutex
	sha  string
	n    int
	want int
	done chan struct{}
}

func (c *ackCounter) arm(sha string, want int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sha, c.n, c.want, c.done = sha, 0, want, make(chan struct{})
	return c.done
}

func (c *ackCounter) ack(gateway, version string) {
	sha := c.shaOf(gateway, version)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sha == "" || sha != c.sha {
		return
	}
	c.n++
	if c.n == c.want {
		close(c.done)
	}
}

// memory returns what the server holds in memory: the heap in use after a
// full GC (memory handed back to the OS) plus goroutine stacks, which
// HeapInuse leaves out and every stream has two of; and the resident set
// size. All in bytes.
func memory(b *testing.B) (heap, stacks, rss uint64) {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	status, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				rss = kb << 10
			}
		}
	}
	return ms.HeapInuse + ms.StackInuse, ms.StackInuse, rss
}

// cpuSeconds returns the user and system CPU time of a process so far.
func cpuSeconds(pid int) float64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which ends with ")"): utime and
	// stime are the 12th and 13th, in clock ticks of 1/100 s.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

// startEnvoys runs the benchmark's Envoys in a child process and returns
// its pid.
// startEnvoysOf runs cfg's Envoys of res's gateways in a child process.
func startEnvoysOf(b *testing.B, cfg benchEnvoys, res *translate.Result) int {
	b.Helper()
	for _, g := range res.Gateways {
		gw := benchGateway{Key: g.Key()}
		for _, e := range g.Endpoints {
			gw.Endpoints = append(gw.Endpoints, e.GetClusterName())
		}
		for _, r := range g.Routes {
			gw.Routes = append(gw.Routes, r.GetName())
		}
		cfg.Gateways = append(cfg.Gateways, gw)
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(b.TempDir(), "envoys.json")
	if err := os.WriteFile(file, js, 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchEnvoys$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchEnvoysEnv+"="+file)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "connected" {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return cmd.Process.Pid
		}
	}
	b.Fatalf("bench Envoys exited before connecting: %v", sc.Err())
	return 0
}

// BenchmarkRevisionToAllACKs measures the time from Apply of a revision
// that changes all 4 gateways to the server having the ACK of all 1,000
// Envoys (250 per gateway; one in ten on delta xDS; see the flags). The
// Envoys run in a child process, so the heap-KiB/envoy (heap in use and
// goroutine stacks) and rss-KiB/envoy figures are the server's growth from
// 0 to 1,000 connected Envoys holding the first revision, divided by
// 1,000: the snapshots are in both measurements (the responses made of
// them, built on first use, only in the second). The time of a revision is
// reported as its mean, median and maximum. A revision changes one header
// match of every route: with per-type versions, it moves RDS alone.
func BenchmarkRevisionToAllACKs(b *testing.B) {
	if os.Getenv("SLUICE_BENCH_HEAPPROFILE") != "" {
		// Sample finely enough to attribute a few KiB per Envoy.
		runtime.MemProfileRate = 4096
	}
	results := []*translate.Result{benchResult(b, 0), benchResult(b, 1)}
	srv, addr, acks := benchServer(b)
	perGW := *benchEnvoysN / benchGateways
	all := perGW * benchGateways

	apply := func(i int) <-chan struct{} { return applyBench(b, srv, acks, results[i%2], i, all) }
	wait := func(done <-chan struct{}, what string) {
		select {
		case <-done:
		case <-time.After(time.Duration(max(all/1000, 1)) * 2 * time.Minute):
			acks.mu.Lock()
			n := acks.n
			acks.mu.Unlock()
			b.Fatalf("%s: %d of %d Envoys ACKed", what, n, all)
		}
	}

	first := apply(0)
	heap0, stacks0, rss0 := memory(b)
	goroutines0 := runtime.NumGoroutine()
	start := time.Now()
	envoys := startEnvoysOf(b, benchEnvoys{Addr: addr, PerGW: perGW, DeltaEvery: *benchDeltaEvery}, results[0])
	wait(first, "first revision")
	b.Logf("%d Envoys connected and ACKed the first revision in %v", all, time.Since(start).Round(time.Millisecond))
	heapN, stacksN, rssN := memory(b)
	goroutinesN := runtime.NumGoroutine()
	writeHeapProfile(b)
	perEnvoy := func(after, before uint64) float64 {
		return (float64(after) - float64(before)) / float64(all) / 1024
	}
	b.Logf("server heap and stacks %d→%d MiB (stacks %d→%d MiB, %d→%d goroutines), RSS %d→%d MiB with 0→%d Envoys",
		heap0>>20, heapN>>20, stacks0>>20, stacksN>>20, goroutines0, goroutinesN, rss0>>20, rssN>>20, all)

	var took []time.Duration
	i := 1
	cpu0, envoysCPU0 := cpuSeconds(os.Getpid()), cpuSeconds(envoys)
	for b.Loop() {
		t0 := time.Now()
		wait(apply(i), fmt.Sprint("revision ", i))
		took = append(took, time.Since(t0))
		i++
	}
	revs := float64(i - 1)
	b.ReportMetric((cpuSeconds(os.Getpid())-cpu0)/revs, "server-cpu-s/revision")
	b.ReportMetric((cpuSeconds(envoys)-envoysCPU0)/revs, "envoys-cpu-s/revision")
	reportTimes(b, took)
	b.ReportMetric(perEnvoy(heapN, heap0), "heap-KiB/envoy")
	b.ReportMetric(perEnvoy(rssN, rss0), "rss-KiB/envoy")
	b.ReportMetric(float64(goroutinesN-goroutines0)/float64(all), "goroutines/envoy")
}

// applyBench applies revision i with res and returns a channel closed once
// want Envoys ACKed it.
func applyBench(b *testing.B, srv *History, acks *ackCounter, res *translate.Result, i, want int) <-chan struct{} {
	rev := benchRevision(i)
	done := acks.arm(rev.SHA, want)
	if rec := srv.Apply(rev, res, nil, 0); rec.State != StateApplied {
		b.Fatalf("revision %d: %s (%s)", i, rec.State, rec.Reason)
	}
	return done
}

// benchServer serves a History's xDS on a loopback port; acks counts the
// ACKs of every version.
func benchServer(b *testing.B, opts ...grpc.ServerOption) (srv *History, addr string, acks *ackCounter) {
	srv, err := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	acks = &ackCounter{shaOf: srv.store.revisionOf}
	ev := srv.events()
	ev.Ack = func(gateway, node, version string, sent, at time.Time) {
		srv.ack(gateway, node, version, sent, at)
		acks.ack(gateway, version)
	}
	srv.pub = publish.New(ev)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.pub.Serve(ctx, lis, opts...) }()
	b.Cleanup(func() { cancel(); <-served })
	return srv, lis.Addr().String(), acks
}

// writeHeapProfile writes the heap, as of the last GC, to the file
// SLUICE_BENCH_HEAPPROFILE names, if it does.
func writeHeapProfile(b *testing.B) {
	file := os.Getenv("SLUICE_BENCH_HEAPPROFILE")
	if file == "" {
		return
	}
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
	_ = f.Close()
}

// reportTimes reports the mean, median and maximum of the times taken.
func reportTimes(b *testing.B, took []time.Duration) {
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	slices.Sort(took)
	b.ReportMetric(sum.Seconds()/float64(len(took)), "mean-s/revision")
	b.ReportMetric(took[len(took)/2].Seconds(), "p50-s/revision")
	b.ReportMetric(took[len(took)-1].Seconds(), "max-s/revision")
}
