package translate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

const benchGateway = `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: eg
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: eg
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      protocol: HTTP
      port: 80
`

// benchRoute is one route file: an HTTPRoute with its own hostname and two
// rules (a path prefix; an exact path with a header match), and its own
// Backend. Arguments: index, version (changes a header value).
const benchRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-%[1]d
  namespace: default
spec:
  parentRefs:
    - name: eg
  hostnames:
    - app-%[1]d.example.com
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /svc/%[1]d
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: backend-%[1]d
          weight: 90
    - matches:
        - path:
            type: Exact
            value: /admin
          headers:
            - name: x-tenant
              value: tenant-%[1]d-v%[2]d
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: backend-%[1]d
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: backend-%[1]d
spec:
  endpoints:
    - ip:
        address: 10.%[3]d.%[4]d.%[5]d
        port: 8080
`

func benchRouteFile(i, version int) []byte {
	return fmt.Appendf(nil, benchRoute, i, version, i/62500, i/250%250, i%250+1)
}

// generateRevision returns a revision of n HTTPRoutes, one file each
// (routes/route-NNNNN.yaml, with the route's Backend), attached to one
// Gateway in gateway.yaml, and its size in bytes.
func generateRevision(n int) (fstest.MapFS, int64) {
	fsys := fstest.MapFS{"gateway.yaml": {Data: []byte(benchGateway)}}
	size := int64(len(benchGateway))
	for i := range n {
		data := benchRouteFile(i, 0)
		size += int64(len(data))
		fsys[benchRouteName(i)] = &fstest.MapFile{Data: data}
	}
	return fsys, size
}

func benchRouteName(i int) string { return fmt.Sprintf("routes/route-%05d.yaml", i) }

// peakHeap samples HeapInuse while it runs and reports the peak in MiB.
type peakHeap struct {
	peak atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

func startPeakHeap() *peakHeap {
	runtime.GC()
	p := &peakHeap{stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		var ms runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > p.peak.Load() {
				p.peak.Store(ms.HeapInuse)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) report(b *testing.B) {
	close(p.stop)
	p.done.Wait()
	b.ReportMetric(float64(p.peak.Load())/(1<<20), "peak-MiB")
}

func checkClean(b *testing.B, res *Result, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Gateways) != 1 || len(res.Rejected()) != 0 || len(res.Warnings) != 0 {
		b.Fatalf("generated revision does not translate cleanly: %d gateways, %d rejected, warnings %q",
			len(res.Gateways), len(res.Rejected()), res.Warnings)
	}
}

// benchmarkTranslate measures a cold translation (no cache), validation
// and xDS included.
func benchmarkTranslate(b *testing.B, routes int) {
	fsys, size := generateRevision(routes)
	res, err := Translate(fsys, Options{})
	checkClean(b, res, err)
	b.ReportAllocs()
	b.SetBytes(size)
	p := startPeakHeap()
	for b.Loop() {
		if _, err := Translate(fsys, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	p.report(b)
}

func BenchmarkTranslate1k(b *testing.B)  { benchmarkTranslate(b, 1000) }
func BenchmarkTranslate10k(b *testing.B) { benchmarkTranslate(b, 10000) }

// benchmarkDecode is the baseline of the translate targets: the project's
// decoder alone, YAML to typed objects (load.Read), with as
// many workers as Translate uses. No validation, IR or xDS.
func benchmarkDecode(b *testing.B, routes int) {
	fsys, size := generateRevision(routes)
	b.ReportAllocs()
	b.SetBytes(size)
	p := startPeakHeap()
	for b.Loop() {
		res, _, err := readResources(fsys, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.HTTPRoutes) != routes {
			b.Fatalf("%d routes, want %d", len(res.HTTPRoutes), routes)
		}
	}
	p.report(b)
}

func BenchmarkDecode1k(b *testing.B)  { benchmarkDecode(b, 1000) }
func BenchmarkDecode10k(b *testing.B) { benchmarkDecode(b, 10000) }

// BenchmarkParse10k only parses the YAML into yaml.v3 nodes (nothing is
// typed), with as many workers as Translate uses: the floor of decoding.
func BenchmarkParse10k(b *testing.B) {
	fsys, size := generateRevision(10000)
	var names []string
	for name := range fsys {
		names = append(names, name)
	}
	sort.Strings(names)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		errs := make([]error, len(names))
		var next atomic.Int64 // files are taken in order, as load takes them
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < len(names); i = int(next.Add(1)) - 1 {
					errs[i] = parseNodes(fsys, names[i])
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
}

// parseNodes parses every document of a file into yaml.v3 nodes.
func parseNodes(fsys fs.FS, name string) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// hashFS is a MapFS whose files have a content identity, as a Git tree's.
type hashFS struct {
	fstest.MapFS
	hashes map[string]string
}

func (h hashFS) Hash(name string) (string, error) { return h.hashes[name], nil }

// BenchmarkIncremental10k translates a revision of 10,000 routes with a
// warm Cache after one route file changed, first over an FS that knows
// its files' hashes (as a Git commit does), then over one that does not
// (every file is read and hashed).
func BenchmarkIncremental10k(b *testing.B) {
	for _, hashed := range []bool{true, false} {
		name := "sha256"
		if hashed {
			name = "githash"
		}
		b.Run(name, func(b *testing.B) {
			fsys, _ := generateRevision(10000)
			hashes := map[string]string{}
			for name := range fsys {
				hashes[name] = "v0"
			}
			var in fs.FS = fsys
			if hashed {
				in = hashFS{fsys, hashes}
			}
			benchIncremental(b, fsys, hashes, in)
		})
	}
}

// benchIncremental times translations of in (over fsys, its files, and
// hashes, their content identities) with a warm Cache, each after one
// route file changed.
func benchIncremental(b *testing.B, fsys fstest.MapFS, hashes map[string]string, in fs.FS) {
	cache := NewCache()
	res, err := Translate(in, Options{Cache: cache})
	checkClean(b, res, err)
	b.ReportAllocs()
	version := 0
	for b.Loop() {
		b.StopTimer()
		version++
		changed := benchRouteName(version % 10000)
		fsys[changed] = &fstest.MapFile{Data: benchRouteFile(version%10000, version)}
		hashes[changed] = fmt.Sprint("v", version)
		b.StartTimer()
		if _, err := Translate(in, Options{Cache: cache}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTargets10k prints the figures of the speed targets in one run:
// a cold translation of 10,000 routes against the project's decoder alone
// (translate/decode, at most 1.5), against 1,000 routes (10k/1k, at most
// 11), its time (translate-ms, under 2,000) and peak heap (peak-MiB, under
// 200); and an incremental translation after one file changed, over a
// Git-like FS (incremental-ms, under 100).
func BenchmarkTargets10k(b *testing.B) {
	small, _ := generateRevision(1000)
	fsys, _ := generateRevision(10000)
	hashes := map[string]string{}
	for name := range fsys {
		hashes[name] = "v0"
	}
	// Each measurement starts from a collected heap, so that none inherits
	// the garbage, or the heap goal, the one before it left.
	timed := func(f func()) time.Duration {
		runtime.GC()
		start := time.Now()
		f()
		return time.Since(start)
	}
	var dec, tr, tr1k, incr time.Duration
	var peak float64
	version := 0
	for b.Loop() {
		dec += timed(func() {
			if _, _, err := readResources(fsys, Limits{}); err != nil {
				b.Fatal(err)
			}
		})
		// Ten in a row, so that the 1k figure, like the 10k one, pays for
		// the garbage collection of its own translations.
		tr1k += timed(func() {
			for range 10 {
				Translate(small, Options{})
			}
		}) / 10
		p := startPeakHeap()
		tr += timed(func() { Translate(fsys, Options{}) })
		close(p.stop)
		p.done.Wait()
		peak = max(peak, float64(p.peak.Load())/(1<<20))
		cache := NewCache()
		Translate(hashFS{fsys, hashes}, Options{Cache: cache})
		version++
		changed := benchRouteName(version % 10000)
		old := fsys[changed]
		fsys[changed] = &fstest.MapFile{Data: benchRouteFile(version%10000, version)}
		hashes[changed] = fmt.Sprint("v", version)
		incr += timed(func() { Translate(hashFS{fsys, hashes}, Options{Cache: cache}) })
		fsys[changed], hashes[changed] = old, "v0"
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / n }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(dec), "decode-ms")
	b.ReportMetric(ms(tr), "translate-ms")
	b.ReportMetric(float64(tr)/float64(dec), "translate/decode")
	b.ReportMetric(float64(tr)/float64(tr1k), "10k/1k")
	b.ReportMetric(peak, "peak-MiB")
	b.ReportMetric(ms(incr), "incremental-ms")
}
