package translate

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// sharedRoute is an HTTPRoute whose rules send to the Backend "shared".
const sharedRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r%[1]d
spec:
  parentRefs:
    - name: eg
  hostnames:
    - r%[1]d.example.com
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /p%[2]s
      backendRefs:
        - group: gateway.envoyproxy.io
          kind: Backend
          name: shared
`

const sharedBackend = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: shared
spec:
  endpoints:
    - ip:
        address: %s
        port: 8080
`

// TestCacheReflectsChanges changes a revision step by step and translates
// each step with a warm Cache (over a Git-like FS and one without hashes)
// and without one: the outputs are the same bytes, and show the change.
func TestCacheReflectsChanges(t *testing.T) {
	fsys := fstest.MapFS{
		"gateway.yaml": {Data: []byte(benchGateway)},
		"backend.yaml": {Data: fmt.Appendf(nil, sharedBackend, "10.0.0.1")},
	}
	hashes := map[string]string{}
	set := func(name string, data []byte) {
		fsys[name] = &fstest.MapFile{Data: data}
		hashes[name] = fmt.Sprintf("%x", data) // a content identity
	}
	for name, f := range fsys {
		set(name, f.Data)
	}
	for i := range 100 {
		set(fmt.Sprintf("routes/r%03d.yaml", i), fmt.Appendf(nil, sharedRoute, i, ""))
	}
	hashed, plain := NewCache(), NewCache()
	check := func(step, want, gone string) {
		t.Helper()
		var outs [][]byte
		for _, in := range []struct {
			fsys  fs.FS
			cache *Cache
		}{{fsys, nil}, {hashFS{fsys, hashes}, hashed}, {fsys, plain}} {
			res, err := Translate(in.fsys, Options{Cache: in.cache})
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			out, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, out)
		}
		for i, out := range outs[1:] {
			if !bytes.Equal(outs[0], out) {
				t.Errorf("%s: cached translation %d differs:\n%s", step, i+1, lineDiff(string(outs[0]), string(out)))
			}
		}
		if !strings.Contains(string(outs[0]), want) {
			t.Errorf("%s: the output lacks %q", step, want)
		}
		if gone != "" && strings.Contains(string(outs[0]), gone) {
			t.Errorf("%s: the output still has %q", step, gone)
		}
	}
	check("first", "/p", "")
	set("routes/r042.yaml", fmt.Appendf(nil, sharedRoute, 42, "changed"))
	check("one route changed", "/pchanged", "")
	set("backend.yaml", fmt.Appendf(nil, sharedBackend, "10.9.9.9"))
	check("the Backend of 100 routes changed", "10.9.9.9", "10.0.0.1")
	set("gateway.yaml", []byte(strings.Replace(benchGateway, "port: 80\n", "port: 8081\n", 1)))
	check("the Gateway listener changed", "8081", "portValue: 80\n")
	delete(fsys, "routes/r007.yaml")
	delete(hashes, "routes/r007.yaml")
	check("a route file deleted", "- r8.example.com", "- r7.example.com")
}

// TestCacheConcurrent translates two revisions at once, again and again,
// with one Cache: each gives what it gives without a cache (run with -race).
func TestCacheConcurrent(t *testing.T) {
	a, _ := generateRevision(50)
	b, _ := generateRevision(50)
	b["routes/route-00007.yaml"] = &fstest.MapFile{Data: benchRouteFile(7, 1)}
	b["backend.yaml"] = &fstest.MapFile{Data: fmt.Appendf(nil, sharedBackend, "10.1.2.3")}
	want := map[string][]byte{}
	for name, fsys := range map[string]fs.FS{"a": a, "b": b} {
		res, err := Translate(fsys, Options{})
		if err != nil {
			t.Fatal(err)
		}
		want[name], _ = res.YAML()
	}
	cache := NewCache()
	var wg sync.WaitGroup
	for name, fsys := range map[string]fs.FS{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				res, err := Translate(fsys, Options{Cache: cache})
				if err != nil {
					t.Error(err)
					return
				}
				if out, _ := res.YAML(); !bytes.Equal(out, want[name]) {
					t.Errorf("revision %s with a shared cache differs:\n%s", name, lineDiff(string(want[name]), string(out)))
					return
				}
			}
		}()
	}
	wg.Wait()
}
