package translate

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/sluice-gitops/sluice/translate/golden"
)

// TestCacheDeterministic translates every golden case without a cache,
// with a cold one and with a warm one: the three outputs are the same
// bytes, so translation does not change cached objects.
func TestCacheDeterministic(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	shared := NewCache() // warm from the case before, too
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		fsys := fstest.MapFS{filepath.Base(in): {Data: data}}
		var outs [][]byte
		cache := NewCache()
		for _, c := range []*Cache{nil, cache, cache, shared, shared, nil} {
			outs = append(outs, translateYAML(t, fsys, c, in))
		}
		for i, out := range outs[1:] {
			if !bytes.Equal(outs[0], out) {
				t.Errorf("%s: translation %d differs:\n%s", in, i+1, golden.LineDiff(string(outs[0]), string(out)))
			}
		}
	}
}

// countFS counts the files opened and may give them a content identity.
type countFS struct {
	fstest.MapFS
	mu     sync.Mutex // Translate opens files in parallel
	opened map[string]int
	hashes map[string]string // nil: no Hash method is used
}

func (c *countFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opened[name]++
	c.mu.Unlock()
	return c.MapFS.Open(name)
}

type hashCountFS struct{ *countFS }

func (h hashCountFS) Hash(name string) (string, error) { return h.hashes[name], nil }

func routeFile(header string) []byte {
	return []byte(strings.Replace(benchGateway, "name: eg\nspec:\n  gatewayClassName", "name: eg\n  labels: {v: \""+header+"\"}\nspec:\n  gatewayClassName", 1))
}

// TestCacheRereadsChanged: a file whose content changed is read and typed
// again; one whose Git hash is unchanged is not even opened; files of
// older revisions leave the cache.
func TestCacheRereadsChanged(t *testing.T) {
	for _, hashed := range []bool{false, true} {
		c := &countFS{MapFS: fstest.MapFS{}, opened: map[string]int{}, hashes: map[string]string{}}
		c.MapFS["gw.yaml"] = &fstest.MapFile{Data: routeFile("one")}
		c.hashes["gw.yaml"] = "h1"
		c.MapFS["b.yaml"] = &fstest.MapFile{Data: benchRouteFile(1, 0)}
		c.hashes["b.yaml"] = "b0"
		var fsys fs.FS = c
		if hashed {
			fsys = hashCountFS{c}
		}
		cache := NewCache()
		first := translateLabel(t, fsys, cache)
		if first != "one" {
			t.Fatalf("label %q, want one", first)
		}
		c.MapFS["gw.yaml"] = &fstest.MapFile{Data: routeFile("two")}
		c.hashes["gw.yaml"] = "h2"
		if got := translateLabel(t, fsys, cache); got != "two" {
			t.Errorf("hashed=%v: after a change the label is %q, want two", hashed, got)
		}
		if hashed && c.opened["b.yaml"] != 1 {
			t.Errorf("the unchanged b.yaml was opened %d times, want once", c.opened["b.yaml"])
		}
		delete(c.MapFS, "b.yaml")
		translateLabel(t, fsys, cache)
		if n := cache.Len(); n != 1 {
			t.Errorf("hashed=%v: the cache holds %d files, want 1", hashed, n)
		}
	}
}

// translateLabel returns label v of the Gateway default/eg as translated.
func translateLabel(t *testing.T, fsys fs.FS, cache *Cache) string {
	t.Helper()
	files, err := cache.files.Read(fsys, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := files.Decode()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rev.Objects().Gateways {
		if g.Name == "eg" {
			return g.Labels["v"]
		}
	}
	t.Fatal("no Gateway eg")
	return ""
}

// translateYAML translates fsys with cache (nil for none) and returns the
// Result's YAML; what names the case in a failure.
func translateYAML(t *testing.T, fsys fs.FS, cache *Cache, what string) []byte {
	t.Helper()
	res, err := Translate(fsys, Options{Cache: cache})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	out, err := res.YAML()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return out
}
