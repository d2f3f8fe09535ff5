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
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	for i, out := range outs[1:] {
		if !bytes.Equal(outs[0], out) {
			t.Errorf("%s: cached translation %d differs from a cold one:\n%s", step, i+1, lineDiff(string(outs[0]), string(out)))
		}
	}
	return string(outs[0])
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
		out := c.check(t, step)
		if !strings.Contains(out, want) {
			t.Errorf("%s: the output lacks %q", step, want)
		}
		if gone != "" && strings.Contains(out, gone) {
			t.Errorf("%s: the output still has %q", step, gone)
		}
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

// incrementalBase is a revision with what incremental translation keeps
// track of: routes to Backends of their own namespace and to a Service of
// another (allowed by a ReferenceGrant), a shared Backend, failover to a
// fallback Backend, two listeners, one of them with a hostname.
const incrementalBase = `apiVersion: gateway.networking.k8s.io/v1
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
  namespace: apps
spec:
  gatewayClassName: eg
  listeners:
    - {name: http, protocol: HTTP, port: 80}
    - {name: admin, protocol: HTTP, port: 80, hostname: admin.example.com}
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: backends
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: api-1
  namespace: backends
  labels: {kubernetes.io/service-name: api}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
  - addresses: [10.2.0.1]
`

const incrementalGrant = `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: apps-to-api
  namespace: backends
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: apps}]
  to: [{group: "", kind: Service}]
`

// incrementalRoute is route i: its own Backend, the shared one, the
// Service api of namespace backends, and from every fifth on, a fallback
// Backend. Arguments: index, a path suffix.
const incrementalRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r%[1]d
  namespace: apps
spec:
  parentRefs: [{name: eg}]
  hostnames: [r%[1]d.example.com, admin.example.com]
  rules:
    - matches: [{path: {value: /own%[2]s}}]
      backendRefs:
        - {group: gateway.envoyproxy.io, kind: Backend, name: own-%[1]d}
        - {group: gateway.envoyproxy.io, kind: Backend, name: shared, weight: 2}
    - matches: [{path: {value: /api}, headers: [{name: x-r, value: "%[1]d"}]}]
      backendRefs:
        - {name: api, namespace: backends, port: 80}
%[3]s---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: own-%[1]d
  namespace: apps
spec:
  endpoints: [{ip: {address: 10.1.0.%[1]d, port: 8080}}]
`

const incrementalFallbackRule = `    - matches: [{path: {value: /failover}}]
      backendRefs:
        - {group: gateway.envoyproxy.io, kind: Backend, name: own-%[1]d}
        - {group: gateway.envoyproxy.io, kind: Backend, name: standby}
`

const incrementalShared = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: shared
  namespace: apps
spec:
  endpoints: [{ip: {address: %s, port: 8080}}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: standby
  namespace: apps
spec:
  fallback: true
  endpoints: [{fqdn: {hostname: standby.example.com, port: 443}}]
`

const incrementalPolicy = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: passive
  namespace: apps
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  healthCheck:
    passive:
      consecutive5XxErrors: 7
      baseEjectionTime: 1m
`

func incrementalRouteFile(i int, suffix string) []byte {
	extra := ""
	if i%5 == 0 {
		extra = fmt.Sprintf(incrementalFallbackRule, i)
	}
	return fmt.Appendf(nil, incrementalRoute, i, suffix, extra)
}

// TestCacheIncrementalChanges makes the changes incremental translation
// must see through, one after the other, each translated with warm
// Caches and without: every output is the same bytes and shows the
// change.
func TestCacheIncrementalChanges(t *testing.T) {
	c := newChangingRevision()
	c.set("base.yaml", []byte(incrementalBase))
	c.set("grant.yaml", []byte(incrementalGrant))
	c.set("shared.yaml", fmt.Appendf(nil, incrementalShared, "10.0.0.1"))
	for i := range 20 {
		c.set(fmt.Sprintf("routes/r%02d.yaml", i), incrementalRouteFile(i, ""))
	}
	steps := []struct {
		name       string
		change     func()
		want, gone string
	}{
		{"first", func() {}, "failover/httproute/apps/r5/rule/2", ""},
		{"a route changed", func() { c.set("routes/r04.yaml", incrementalRouteFile(4, "-v2")) }, "/own-v2", ""},
		{"the same again", func() {}, "/own-v2", ""},
		{"a route added", func() { c.set("routes/r20.yaml", incrementalRouteFile(20, "")) }, "r20.example.com", ""},
		{"a route deleted", func() { c.remove("routes/r07.yaml") }, "r8.example.com", "r7.example.com"},
		{"a route moved to another file", func() {
			c.remove("routes/r08.yaml")
			c.set("moved/r08.yaml", incrementalRouteFile(8, ""))
		}, "file: moved/r08.yaml", "file: routes/r08.yaml"},
		{"a second copy of a route", func() { c.set("a-copy.yaml", incrementalRouteFile(9, "-copy")) }, "already defined", ""},
		{"the copy removed", func() { c.remove("a-copy.yaml") }, "r9.example.com", "already defined"},
		{"the Backend of every route changed", func() { c.set("shared.yaml", fmt.Appendf(nil, incrementalShared, "10.9.9.9")) }, "10.9.9.9", "10.0.0.1"},
		{"a route's own Backend removed", func() {
			c.set("routes/r11.yaml", bytes.SplitN(incrementalRouteFile(11, ""), []byte("---\n"), 2)[0])
		}, "BackendNotFound", ""},
		{"and added again", func() { c.set("routes/r11.yaml", incrementalRouteFile(11, "")) }, "10.1.0.11", "BackendNotFound"},
		{"the Gateway listener changed", func() {
			c.set("base.yaml", []byte(strings.Replace(incrementalBase, "port: 80}\n", "port: 8081}\n", 1)))
		}, "portValue: 8081", ""},
		{"the ReferenceGrant removed", func() { c.remove("grant.yaml") }, "RefNotPermitted", ""},
		{"and added again", func() { c.set("grant.yaml", []byte(incrementalGrant)) }, "service/backends/api/80", "RefNotPermitted"},
		{"a policy added", func() { c.set("policy.yaml", []byte(incrementalPolicy)) }, "consecutive5xx: 7", ""},
		{"a route changed under a policy", func() { c.set("routes/r03.yaml", incrementalRouteFile(3, "-v3")) }, "/own-v3", ""},
		{"the policy removed", func() { c.remove("policy.yaml") }, "/own-v3", "consecutive5xx: 7"},
		{"a route changed after", func() { c.set("routes/r02.yaml", incrementalRouteFile(2, "-v4")) }, "/own-v4", ""},
	}
	for _, s := range steps {
		s.change()
		out := c.check(t, s.name)
		if !strings.Contains(out, s.want) {
			t.Errorf("%s: the output lacks %q", s.name, s.want)
		}
		if s.gone != "" && strings.Contains(out, s.gone) {
			t.Errorf("%s: the output still has %q", s.name, s.gone)
		}
	}
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
					t.Errorf("revision %s with a shared cache differs:\n%s", name, lineDiff(string(want[name]), string(out)))
					return
				}
			}
		}()
	}
	wg.Wait()
}
