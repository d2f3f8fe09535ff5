package translate

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sluice-gitops/sluice/translate/ir"
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

// TestPolicyRouteFields checks that policies write no field of a route but
// policyRouteFields, which is all samePolicyFields compares, over every
// golden case translated with a Cache.
func TestPolicyRouteFields(t *testing.T) {
	allowed := map[string]bool{}
	for _, f := range policyRouteFields {
		allowed[f] = true
	}
	var mu sync.Mutex
	written := map[string]bool{}
	hook := func(before, after *ir.VirtualHost) {
		mu.Lock()
		defer mu.Unlock()
		for i := range min(len(before.Routes), len(after.Routes)) {
			a, b := reflect.ValueOf(before.Routes[i]).Elem(), reflect.ValueOf(after.Routes[i]).Elem()
			for f := range a.NumField() {
				if !reflect.DeepEqual(a.Field(f).Interface(), b.Field(f).Interface()) {
					written[a.Type().Field(f).Name] = true
				}
			}
		}
	}
	policyWritesHook.Store(&hook)
	defer policyWritesHook.Store(nil)
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Translate(fstest.MapFS{"in.yaml": {Data: data}}, Options{Cache: NewCache()}); err != nil && !strings.Contains(in, "invalid") {
			t.Logf("%s: %v", in, err)
		}
	}
	if len(written) == 0 {
		t.Fatal("no golden case has a policy write a route: the check checks nothing")
	}
	for _, f := range slices.Sorted(maps.Keys(written)) {
		if !allowed[f] {
			t.Errorf("policies write ir.Route.%s, which samePolicyFields does not compare: add it to policyRouteFields", f)
		}
	}
}

// TestSettlePolicies: a working copy that the policies left like last
// time's copy of the same virtual host (values equal, even if not the same
// objects) is replaced by last time's; one that differs in a field the
// policies write is kept.
func TestSettlePolicies(t *testing.T) {
	second, minute := ir.Duration(time.Second), ir.Duration(time.Minute)
	orig := &ir.VirtualHost{Name: "vh", Routes: []*ir.Route{{Name: "r", Backends: []ir.WeightedBackend{{Cluster: "c", Weight: 1}}}}}
	last := copyVirtualHost(orig)
	last.Routes[0].Traffic = &ir.RouteTraffic{RequestTimeout: &second}
	for name, tc := range map[string]struct {
		policy func(*ir.Route)
		reused bool
	}{
		"equal values":  {func(r *ir.Route) { r.Traffic = &ir.RouteTraffic{RequestTimeout: &second} }, true},
		"other timeout": {func(r *ir.Route) { r.Traffic = &ir.RouteTraffic{RequestTimeout: &minute} }, false},
		"no traffic":    {func(r *ir.Route) {}, false},
		"other backends": {func(r *ir.Route) {
			r.Traffic, r.Backends = last.Routes[0].Traffic, []ir.WeightedBackend{{Cluster: "c/btp/p", Weight: 1}}
		}, false},
	} {
		m := &memo{prev: memoTables{inc: &incTables{afterPolicies: map[*ir.VirtualHost]*ir.VirtualHost{orig: last}}},
			next: memoTables{inc: &incTables{afterPolicies: map[*ir.VirtualHost]*ir.VirtualHost{}}}}
		slot := copyVirtualHost(orig)
		tc.policy(slot.Routes[0])
		work := slot
		m.settlePolicies([]vhostCopy{{orig: orig, slot: &slot}})
		if got := slot == last; got != tc.reused {
			t.Errorf("%s: last time's copy reused = %v, want %v", name, got, tc.reused)
		}
		if !tc.reused && (slot != work || m.next.inc.afterPolicies[orig] != work) {
			t.Errorf("%s: the working copy is not kept", name)
		}
	}
}
