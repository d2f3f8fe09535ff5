package translate

import (
	"reflect"
	"slices"
	"sync/atomic"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// Incremental translation with policies. Policies write what they do into
// the routes of the built IR (policies.go), but the virtual hosts a Cache
// keeps (incremental.go) must never change. So, when the translation
// records, the policies are given working copies of the kept virtual
// hosts and their routes, and the copies are settled afterwards: a copy
// whose routes the policies left as they left the same virtual host last
// time is replaced by last time's, so that its xDS (kept by IR object) is
// reused too. Policies are recomputed on every translation; what their
// values are compared by is in samePolicyFields.

// vhostCopy is a working copy given to the policies: slot holds it,
// orig is the kept virtual host it copies.
type vhostCopy struct {
	orig *ir.VirtualHost
	slot **ir.VirtualHost
}

// policyCopies replaces, in gateways, every virtual host m keeps by a
// working copy, and returns them; nil when m does not record.
func (m *memo) policyCopies(gateways []*ir.Gateway) []vhostCopy {
	if !m.recording() {
		return nil
	}
	kept := make(map[*ir.VirtualHost]bool, len(m.next.inc.vhosts))
	for _, e := range m.next.inc.vhosts {
		kept[e.vh] = true
	}
	var out []vhostCopy
	copyAll := func(vhs []*ir.VirtualHost) []*ir.VirtualHost {
		var cloned []*ir.VirtualHost
		for i, vh := range vhs {
			if !kept[vh] {
				continue
			}
			if cloned == nil {
				cloned = slices.Clone(vhs)
			}
			cloned[i] = copyVirtualHost(vh)
			out = append(out, vhostCopy{orig: vh, slot: &cloned[i]})
		}
		if cloned == nil {
			return vhs
		}
		return cloned
	}
	for _, g := range gateways {
		for _, l := range g.Listeners {
			l.VirtualHosts = copyAll(l.VirtualHosts)
			for _, c := range l.TLSChains {
				c.VirtualHosts = copyAll(c.VirtualHosts)
			}
		}
	}
	return out
}

// copyVirtualHost copies vh and its routes (not what they point to:
// policies replace those rather than change them).
func copyVirtualHost(vh *ir.VirtualHost) *ir.VirtualHost {
	cp := *vh
	routes := make([]ir.Route, len(vh.Routes))
	cp.Routes = make([]*ir.Route, len(vh.Routes))
	for i, r := range vh.Routes {
		routes[i] = *r
		cp.Routes[i] = &routes[i]
	}
	return &cp
}

// settlePolicies keeps each working copy, or last time's copy of the same
// virtual host when the policies left its routes alike.
func (m *memo) settlePolicies(work []vhostCopy) {
	if len(work) == 0 {
		return
	}
	eq := valueEq{}
	hook := policyWritesHook.Load()
	for _, w := range work {
		cp := *w.slot
		if hook != nil {
			(*hook)(w.orig, cp)
		}
		if m.prev.inc != nil {
			if prev := m.prev.inc.afterPolicies[w.orig]; prev != nil && samePolicyRoutes(prev, cp, eq) {
				*w.slot, cp = prev, prev
			}
		}
		m.next.inc.afterPolicies[w.orig] = cp
	}
}

// policyWritesHook, set by a test, sees every virtual host before and
// after the policies.
var policyWritesHook atomic.Pointer[func(before, after *ir.VirtualHost)]

// samePolicyRoutes reports whether two copies of one virtual host hold
// routes that the policies made alike.
func samePolicyRoutes(a, b *ir.VirtualHost, eq valueEq) bool {
	if len(a.Routes) != len(b.Routes) {
		return false
	}
	for i := range a.Routes {
		if !samePolicyFields(a.Routes[i], b.Routes[i], eq) {
			return false
		}
	}
	return true
}

// policyRouteFields are the fields of ir.Route that policies write
// (TestPolicyRouteFields checks that they write no other); two copies of
// one route differ in nothing else.
var policyRouteFields = []string{"Backends", "DirectStatus", "Direct", "Redirect", "Rewrite", "Mirrors",
	"CORS", "ResponseOverride", "Security", "Traffic", "LoadBalancer", "Extensions"}

// samePolicyFields compares the policyRouteFields of two copies of one
// route.
func samePolicyFields(a, b *ir.Route, eq valueEq) bool {
	return slices.Equal(a.Backends, b.Backends) && a.DirectStatus == b.DirectStatus &&
		same(eq, a.Direct, b.Direct) && same(eq, a.Redirect, b.Redirect) && same(eq, a.Rewrite, b.Rewrite) &&
		(len(a.Mirrors) == 0 && len(b.Mirrors) == 0 || reflect.DeepEqual(a.Mirrors, b.Mirrors)) &&
		same(eq, a.CORS, b.CORS) && same(eq, a.ResponseOverride, b.ResponseOverride) &&
		same(eq, a.Security, b.Security) && same(eq, a.Traffic, b.Traffic) && same(eq, a.LoadBalancer, b.LoadBalancer) &&
		same(eq, a.Extensions, b.Extensions)
}

// valueEq remembers which pairs of values were found deeply equal: the
// policies of a translation share their values among the routes they
// apply to, so each pair is compared once.
type valueEq map[[2]any]bool

func same[T any](eq valueEq, a, b *T) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	k := [2]any{a, b}
	r, ok := eq[k]
	if !ok {
		r = reflect.DeepEqual(a, b)
		eq[k] = r
	}
	return r
}
