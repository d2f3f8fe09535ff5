package translate

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// policiesOnGateway are a BackendTrafficPolicy (route settings and, with
// a passive health check, copies of every cluster) and a
// ClientTrafficPolicy on the Gateway of incrementalBase. Argument: the
// number of retries.
const policiesOnGateway = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: gateway-traffic, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  retry: {numRetries: %d}
  healthCheck: {passive: {consecutive5XxErrors: 9}}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: gateway-client, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  timeout: {http: {idleTimeout: 61s}}
`

// policiesOnRoutes are a SecurityPolicy (CORS from an origin) and a
// BackendTrafficPolicy (fault injection) on routes of
// newIncrementalRevision. Arguments: the routes, the origin.
const policiesOnRoutes = `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: route-cors, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %[1]s}]
  cors: {allowOrigins: ["%[2]s"], allowMethods: [GET]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: route-faults, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: %[1]s}]
  faultInjection: {abort: {httpStatus: 418, percentage: 5}}
`

// TestCacheIncrementalPolicies makes the changes incremental translation
// must see through in a revision with policies on its Gateway and its
// routes, each translated with warm Caches and without: every output is
// the same bytes and shows the change.
func TestCacheIncrementalPolicies(t *testing.T) {
	c := newIncrementalRevision()
	c.set("gateway-policies.yaml", fmt.Appendf(nil, policiesOnGateway, 3))
	c.set("route-policies.yaml", fmt.Appendf(nil, policiesOnRoutes, "r3", "https://one.example.com"))
	for _, s := range []incrementalStep{
		{"first", func() {}, "numRetries: 3", ""},
		{"a route under a route policy changed", func() { c.set("routes/r03.yaml", incrementalRouteFile(3, "-p1")) }, "/own-p1", ""},
		{"a route under the Gateway's only changed", func() { c.set("routes/r06.yaml", incrementalRouteFile(6, "-p2")) }, "/own-p2", ""},
		{"the same again", func() {}, "https://one.example.com", ""},
		{"the route policies' target removed", func() { c.remove("routes/r03.yaml") }, "TargetNotFound", "https://one.example.com"},
		{"and added again", func() { c.set("routes/r03.yaml", incrementalRouteFile(3, "-p3")) }, "https://one.example.com", "TargetNotFound"},
		{"the route policies changed", func() {
			c.set("route-policies.yaml", fmt.Appendf(nil, policiesOnRoutes, "r3", "https://two.example.com"))
		}, "https://two.example.com", "https://one.example.com"},
		{"the route policies moved to another route", func() {
			c.set("route-policies.yaml", fmt.Appendf(nil, policiesOnRoutes, "r4", "https://two.example.com"))
		}, "https://two.example.com", ""},
		{"a route changed after", func() { c.set("routes/r04.yaml", incrementalRouteFile(4, "-p4")) }, "/own-p4", ""},
		{"the Gateway's policy changed", func() { c.set("gateway-policies.yaml", fmt.Appendf(nil, policiesOnGateway, 5)) }, "numRetries: 5", "numRetries: 3"},
		{"a route changed under it", func() { c.set("routes/r05.yaml", incrementalRouteFile(5, "-p5")) }, "/own-p5", "numRetries: 3"},
		{"the Gateway's policies removed", func() { c.remove("gateway-policies.yaml") }, "/own-p5", "numRetries: 5"},
		{"a route changed without them", func() { c.set("routes/r05.yaml", incrementalRouteFile(5, "-p6")) }, "/own-p6", "consecutive5xx: 9"},
		{"the Gateway's policies again", func() { c.set("gateway-policies.yaml", fmt.Appendf(nil, policiesOnGateway, 2)) }, "consecutive5xx: 9", "/own-p5"},
	} {
		s.change()
		out := c.check(t, s.name)
		checkOutputShows(t, s.name, out, s.want, s.gone)
	}
}

// TestCacheReusesUnderPolicies: with policies on the Gateway and on a
// route, a translation after one route changed keeps the xDS virtual
// hosts of the routes that did not (the same objects as the last
// result's) and builds the changed one's anew. (A changed policy is a
// change of the environment: nothing is kept, TestCacheIncrementalPolicies.)
func TestCacheReusesUnderPolicies(t *testing.T) {
	c := newIncrementalRevision()
	c.set("gateway-policies.yaml", fmt.Appendf(nil, policiesOnGateway, 3))
	c.set("route-policies.yaml", fmt.Appendf(nil, policiesOnRoutes, "r3", "https://one.example.com"))
	cache := NewCache()
	translate := func() map[string]*routev3.VirtualHost {
		res, err := Translate(c.fsys, Options{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]*routev3.VirtualHost{}
		for _, rc := range res.Gateway("apps", "eg").Routes {
			for _, vh := range rc.VirtualHosts {
				out[vh.Name] = vh
			}
		}
		return out
	}
	const r3, r6, r7 = "apps/eg/http/r3_example_com", "apps/eg/http/r6_example_com", "apps/eg/http/r7_example_com"
	first := translate()
	c.set("routes/r06.yaml", incrementalRouteFile(6, "-changed"))
	second := translate()
	if len(second) != len(first) || second[r6] == nil || second[r3] == nil || second[r7] == nil {
		t.Fatalf("virtual hosts %v, want those of %v", slices.Sorted(maps.Keys(second)), slices.Sorted(maps.Keys(first)))
	}
	if second[r6] == first[r6] {
		t.Errorf("the changed route's virtual host is the last one's")
	}
	if second[r3] != first[r3] || second[r7] != first[r7] {
		t.Errorf("unchanged routes under policies: virtual hosts built anew (r3 kept %v, r7 kept %v)",
			second[r3] == first[r3], second[r7] == first[r7])
	}
}
