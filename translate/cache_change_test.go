package translate

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/sluice-gitops/sluice/translate/golden"
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

// changingRevision is a revision changed step by step and translated
// after each step with warm Caches, over a Git-like FS and over one
// without hashes, and without a Cache.
type changingRevision struct {
	fsys          fstest.MapFS
	hashes        map[string]string
	hashed, plain *Cache // plain may be nil: not used
	// last are the results of the step before with a Cache, and their
	// bytes: a later translation shares what it reuses with them and
	// must not change them.
	last    []*Result
	lastOut [][]byte
}

func newChangingRevision() *changingRevision {
	return &changingRevision{fsys: fstest.MapFS{}, hashes: map[string]string{}, hashed: NewCache(), plain: NewCache()}
}

func (c *changingRevision) set(name string, data []byte) {
	c.fsys[name] = &fstest.MapFile{Data: data}
	c.hashes[name] = fmt.Sprintf("%x", sha256.Sum256(data)) // a content identity
}

func (c *changingRevision) remove(name string) {
	delete(c.fsys, name)
	delete(c.hashes, name)
}

// check translates the revision three ways and demands the same bytes;
// it returns them.
func (c *changingRevision) check(t *testing.T, step string) string {
	t.Helper()
	var outs [][]byte
	var results []*Result
	for _, in := range []struct {
		fsys  fs.FS
		cache *Cache
	}{{c.fsys, nil}, {hashFS{c.fsys, c.hashes}, c.hashed}, {c.fsys, c.plain}} {
		if in.cache == nil && len(outs) > 0 {
			continue
		}
		res, err := Translate(in.fsys, Options{Cache: in.cache})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		out, err := res.YAML()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		outs = append(outs, out)
		if in.cache != nil {
			results = append(results, res)
		}
	}
	for i, res := range c.last {
		if out, _ := res.YAML(); !bytes.Equal(out, c.lastOut[i]) {
			t.Errorf("%s: translating changed the result %d of the step before:\n%s", step, i, golden.LineDiff(string(c.lastOut[i]), string(out)))
		}
	}
	c.last, c.lastOut = results, outs[1:]
	for i, out := range outs[1:] {
		if !bytes.Equal(outs[0], out) {
			t.Errorf("%s: cached translation %d differs from a cold one:\n%s", step, i+1, golden.LineDiff(string(outs[0]), string(out)))
		}
	}
	return string(outs[0])
}

// checkOutputShows checks that the output of a step has want and, unless
// gone is empty, no longer has gone.
func checkOutputShows(t *testing.T, step, out, want, gone string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("%s: the output lacks %q", step, want)
	}
	if gone != "" && strings.Contains(out, gone) {
		t.Errorf("%s: the output still has %q", step, gone)
	}
}

// TestCacheReflectsChanges changes a revision step by step and translates
// each step with a warm Cache (over a Git-like FS and one without hashes)
// and without one: the outputs are the same bytes, and show the change.
func TestCacheReflectsChanges(t *testing.T) {
	c := newChangingRevision()
	c.set("gateway.yaml", []byte(benchGateway))
	c.set("backend.yaml", fmt.Appendf(nil, sharedBackend, "10.0.0.1"))
	for i := range 100 {
		c.set(fmt.Sprintf("routes/r%03d.yaml", i), fmt.Appendf(nil, sharedRoute, i, ""))
	}
	check := func(step, want, gone string) {
		t.Helper()
		checkOutputShows(t, step, c.check(t, step), want, gone)
	}
	check("first", "/p", "")
	c.set("routes/r042.yaml", fmt.Appendf(nil, sharedRoute, 42, "changed"))
	check("one route changed", "/pchanged", "")
	c.set("backend.yaml", fmt.Appendf(nil, sharedBackend, "10.9.9.9"))
	check("the Backend of 100 routes changed", "10.9.9.9", "10.0.0.1")
	c.set("gateway.yaml", []byte(strings.Replace(benchGateway, "port: 80\n", "port: 8081\n", 1)))
	check("the Gateway listener changed", "8081", "portValue: 80\n")
	c.remove("routes/r007.yaml")
	check("a route file deleted", "- r8.example.com", "- r7.example.com")
}

// TestCacheEveryDocument puts each document of every golden case in a
// file of its own, then removes each file in turn and puts it back,
// translating every step with warm Caches and without: the outputs must
// be the same bytes. Every kind is so added and removed next to the
// others, with the Caches holding what the revision before gave.
func TestCacheEveryDocument(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	if testing.Short() && len(inputs) > 20 {
		inputs = inputs[:20]
	}
	separator := regexp.MustCompile(`(?m)^---\s*$`)
	for _, in := range inputs {
		base := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			docs := separator.Split(string(data), -1)
			c := newChangingRevision()
			c.plain = nil // the hashed Cache is enough here
			var names []string
			for i, d := range docs {
				name := fmt.Sprintf("doc-%02d.yaml", i)
				names = append(names, name)
				c.set(name, []byte(d))
			}
			c.check(t, "all")
			for i, name := range names {
				c.remove(name)
				c.check(t, fmt.Sprintf("without document %d", i))
				c.set(name, []byte(docs[i]))
				c.check(t, fmt.Sprintf("with document %d again", i))
			}
		})
	}
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
					t.Errorf("revision %s with a shared cache differs:\n%s", name, golden.LineDiff(string(want[name]), string(out)))
					return
				}
			}
		}()
	}
	wg.Wait()
}
