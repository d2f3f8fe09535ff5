package translate

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

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
	c := newIncrementalRevision()
	steps := append(incrementalRouteSteps(c), incrementalDecodeSteps(c)...)
	for _, s := range steps {
		before := c.decodedRevisions()
		s.change()
		out := c.check(t, s.name)
		c.checkPatched(t, s.name, before)
		checkOutputShows(t, s.name, out, s.want, s.gone)
	}
}

// newIncrementalRevision is incrementalBase, its ReferenceGrant, the
// shared Backends and 20 routes.
func newIncrementalRevision() *changingRevision {
	c := newChangingRevision()
	c.set("base.yaml", []byte(incrementalBase))
	c.set("grant.yaml", []byte(incrementalGrant))
	c.set("shared.yaml", fmt.Appendf(nil, incrementalShared, "10.0.0.1"))
	for i := range 20 {
		c.set(fmt.Sprintf("routes/r%02d.yaml", i), incrementalRouteFile(i, ""))
	}
	return c
}

// incrementalStep is a step of TestCacheIncrementalChanges: a change of
// the revision, a string the output must then have and, unless empty, one
// it must no longer have.
type incrementalStep struct {
	name       string
	change     func()
	want, gone string
}

// incrementalRouteSteps add, change, move, copy and remove routes and
// what they refer to.
func incrementalRouteSteps(c *changingRevision) []incrementalStep {
	return []incrementalStep{
		{"first", func() {}, "failover/httproute/apps/r5/rule/2", ""},
		{"a route changed", func() { c.set("routes/r04.yaml", incrementalRouteFile(4, "-v2")) }, "/own-v2", ""},
		{"the same again", func() {}, "/own-v2", ""},
		{"a route added", func() { c.set("routes/r20.yaml", incrementalRouteFile(20, "")) }, "r20.example.com", ""},
		{"a route deleted", func() { c.remove("routes/r07.yaml") }, "r8.example.com", "r7.example.com"},
		{"a route moved to another file", func() {
			c.remove("routes/r08.yaml")
			c.set("moved/r08.yaml", incrementalRouteFile(8, ""))
		}, "file: moved/r08.yaml", "file: routes/r08.yaml"},
		{"a second copy of a route", func() { c.set("a-copy.yaml", incrementalRouteFile(9, "-copy")) }, "is defined twice", ""},
		{"the copy removed", func() { c.remove("a-copy.yaml") }, "r9.example.com", "is defined twice"},
		{"the Backend of every route changed", func() { c.set("shared.yaml", fmt.Appendf(nil, incrementalShared, "10.9.9.9")) }, "10.9.9.9", "10.0.0.1"},
		{"a route's own Backend removed", func() {
			c.set("routes/r11.yaml", bytes.SplitN(incrementalRouteFile(11, ""), []byte("---\n"), 2)[0])
		}, "BackendNotFound", ""},
		{"and its Backend added again", func() { c.set("routes/r11.yaml", incrementalRouteFile(11, "")) }, "10.1.0.11", "BackendNotFound"},
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
}

// incrementalDecodeSteps are changes that decoding patches
// (decodecache.go), or must not, and changes of the status of routes.
func incrementalDecodeSteps(c *changingRevision) []incrementalStep {
	return []incrementalStep{
		{"a route and its Backend changed", func() {
			c.set("routes/r04.yaml", bytes.ReplaceAll(incrementalRouteFile(4, "-v5"), []byte("10.1.0.4"), []byte("10.8.0.4")))
		}, "10.8.0.4", "/own-v2"},
		{"only Backends changed", func() { c.set("shared.yaml", fmt.Appendf(nil, incrementalShared, "10.7.7.7")) }, "10.7.7.7", "10.9.9.9"},
		{"two routes changed, one added, one deleted", func() {
			c.set("routes/r01.yaml", incrementalRouteFile(1, "-v6"))
			c.set("routes/r13.yaml", incrementalRouteFile(13, "-v6"))
			c.set("routes/r21.yaml", incrementalRouteFile(21, ""))
			c.remove("routes/r14.yaml")
		}, "r21.example.com", "r14.example.com"},
		{"a route file renamed", func() {
			c.remove("routes/r15.yaml")
			c.set("a/r15.yaml", incrementalRouteFile(15, ""))
		}, "file: a/r15.yaml", "file: routes/r15.yaml"},
		{"a later copy of a route", func() { c.set("z-copy.yaml", incrementalRouteFile(9, "-copy")) }, "is defined twice", "/own-copy"},
		{"the first copy deleted", func() { c.remove("routes/r09.yaml") }, "/own-copy", "is defined twice"},
		{"the second copy deleted", func() { c.remove("z-copy.yaml") }, "r10.example.com", "r9.example.com"},
		{"the second copy again", func() { c.set("z-copy.yaml", incrementalRouteFile(9, "-copy")) }, "/own-copy", ""},
		{"a route with an unknown field", func() {
			c.set("routes/r12.yaml", bytes.Replace(incrementalRouteFile(12, "-v7"), []byte("  parentRefs:"), []byte("  colour: red\n  parentRefs:"), 1))
		}, "colour", ""},
		{"the field removed", func() { c.set("routes/r12.yaml", incrementalRouteFile(12, "-v7")) }, "/own-v7", "colour"},
		{"a route that cannot be typed", func() {
			c.set("routes/r16.yaml", bytes.Replace(incrementalRouteFile(16, ""), []byte("hostnames: [r16"), []byte("hostnames: 7\n  x: [r16"), 1))
		}, "cannot use", "r16.example.com"},
		{"a copy of it", func() { c.set("routes/r16b.yaml", incrementalRouteFile(16, "-b")) }, "r16.example.com", ""},
		{"it typed again", func() { c.set("routes/r16.yaml", incrementalRouteFile(16, "")) }, "is defined twice", "cannot use"},
		{"its copy deleted", func() { c.remove("routes/r16b.yaml") }, "r16.example.com", "is defined twice"},
		{"a Service in a route file", func() {
			c.set("routes/r17.yaml", append(incrementalRouteFile(17, ""), "---\napiVersion: v1\nkind: Service\nmetadata: {name: extra, namespace: apps}\nspec: {ports: [{port: 81}]}\n"...))
		}, "/own", ""},
		{"and removed", func() { c.set("routes/r17.yaml", incrementalRouteFile(17, "-v8")) }, "/own-v8", ""},
		{"a file of another kind only", func() { c.set("base.yaml", []byte(incrementalBase)) }, "r21.example.com", ""},
		{"a route after it", func() { c.set("routes/r18.yaml", incrementalRouteFile(18, "-v9")) }, "/own-v9", ""},
		// Routes the same objects whose status changes: their parents
		// are not those of the last translation.
		{"the shared Backends removed", func() { c.remove("shared.yaml") }, "BackendNotFound", "10.7.7.7"},
		{"the shared Backends added again", func() { c.set("shared.yaml", fmt.Appendf(nil, incrementalShared, "10.7.7.7")) }, "10.7.7.7", "BackendNotFound"},
		{"a route after that", func() { c.set("routes/r18.yaml", incrementalRouteFile(18, "-v10")) }, "/own-v10", "BackendNotFound"},
	}
}

// incrementalPatched are the steps that change only files of HTTPRoutes
// and Backends decode accepts as they are: both Caches patch what
// decoding gave before.
var incrementalPatched = map[string]bool{
	"a route changed": true, "the same again": true, "a route added": true, "a route deleted": true,
	"a route moved to another file": true, "the Backend of every route changed": true,
	"a route's own Backend removed": true, "and its Backend added again": true, "a route changed under a policy": true,
	"the second copy deleted": true, "a route changed after": true, "a route and its Backend changed": true,
	"only Backends changed": true, "two routes changed, one added, one deleted": true,
	"a route file renamed": true, "the second copy again": true, "a route after it": true,
	"the shared Backends removed": true, "the shared Backends added again": true, "a route after that": true,
}

// caches are the Caches of c, the hashed one first.
func (c *changingRevision) caches() []*Cache {
	return []*Cache{c.hashed, c.plain}
}

// decodedRevisions are the revisions the Caches of c decoded last, nil
// for none.
func (c *changingRevision) decodedRevisions() []*Resources {
	var before []*Resources
	for _, cache := range c.caches() {
		if cache.decoded == nil {
			before = append(before, nil)
		} else {
			before = append(before, cache.decoded.res)
		}
	}
	return before
}

// checkPatched checks that each Cache of c patched the revision it
// decoded before (kept it as before) just where incrementalPatched says.
func (c *changingRevision) checkPatched(t *testing.T, step string, before []*Resources) {
	t.Helper()
	for i, cache := range c.caches() {
		if got := cache.decoded.res == before[i]; got != incrementalPatched[step] {
			t.Errorf("%s: cache %d patched the decoded revision: %v, want %v", step, i, got, incrementalPatched[step])
		}
	}
}
