package translate

import (
	"reflect"
	"slices"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/load"
	"github.com/sluice-gitops/sluice/translate/status"
	"github.com/sluice-gitops/sluice/translate/xds"
)

// Incremental translation: a commit that changes one route of thousands
// must not cost a translation of them all. With a Cache, an unchanged file
// gives the same typed objects (cache.go), so what translate builds from
// an object can be kept by the object's identity and used again, as long
// as everything else it was built from is unchanged too. Four things are
// kept, each in the tables of the last translation (incTables):
//
//   - the state of each Backend and Service port (its cluster and the
//     warnings building it gave), by t.backends key: a Backend's is
//     reused when the Backend is the same object; registering it again
//     gives its status and warnings again;
//   - the resolved rules of each HTTPRoute, with the lookups resolving
//     them made (the Backends and Service ports and their states, the
//     fallback Backends) and the warnings it gave: reused when the route
//     is the same object and every lookup, made again, gives what it gave;
//   - the virtual host of a host served by one HTTPRoute, by its resolved
//     rules (so by route), host, Gateway, owning listener, name and the
//     policies in force on the route (a policies.InForce, equal from one
//     translation to the next while the policies do the same);
//   - the xDS of virtual hosts and clusters, by IR object;
//   - the parents of each HTTPRoute's status: given again, shared with
//     the last result, when the route is the same object and attaching
//     it gives the same conditions.
//
// All of it is reused only when the environment is the same: every
// object that is neither an HTTPRoute nor a Backend (Gateways, Services,
// EndpointSlices, ReferenceGrants, filters, BackendTLSPolicies, ...), by
// identity, and the controller name. When any of it changed, nothing is
// reused and everything is recorded anew. Validating and attaching
// routes, their status, the listeners' counts, Backend status and all
// sorting are done on every translation.
//
// The route policies are attached before the IR is built, which is built
// with what they do (policies.go): a kept virtual host holds its routes
// as the policies made them. EnvoyPatchPolicies patch copies of the xDS.
// Kept objects are shared by the results of two translations and never
// changed after they are recorded.

// incTables are the kept results of one translation.
type incTables struct {
	env []any // envOf
	// states are the translator's backends: every state registered.
	states map[string]*backendState
	rules  map[*gwapiv1.HTTPRoute]*rulesMemo
	vhosts map[vhostKey]vhostMemo
	// parents are the parents of each HTTPRoute's status.
	parents map[*gwapiv1.HTTPRoute][]status.Parent
	// xds is what the IR → xDS stage kept of the virtual hosts and
	// clusters it built, by IR object (translate/xds).
	xds *xds.Kept
	// plan is the translation's route policies, whose values the next
	// one keeps where they are equal (policies.Plan), or nil.
	plan *policies.Plan
}

// rulesMemo is what resolveRules gave for one HTTPRoute.
type rulesMemo struct {
	rules    []ruleBackends
	resolved status.Condition
	deps     []resolveDep
	warnings []string // of the route itself (failover)
}

// resolveDep is one lookup made while resolving a route's rules.
type resolveDep struct {
	kind depKind
	// Backends: the state key, namespace and name. Services: the state
	// key, the Service and its port. Fallbacks: the Backend key and
	// object.
	ns, name string
	key      string
	svc      *corev1.Service
	sp       corev1.ServicePort
	proto    corev1.Protocol
	obj      *egv1a1.Backend
	imp      *load.ServiceImport
	state    *backendState // what the lookup gave
}

type depKind uint8

const (
	depBackend  depKind = iota // t.backend
	depService                 // t.serviceState
	depFallback                // t.isFallback
	depImport                  // t.serviceImportState
)

// resolveRecord gathers the lookups and warnings of one route while its
// rules are resolved; a nil *resolveRecord records nothing.
type resolveRecord struct {
	deps     []resolveDep
	warnings []string
}

func (r *resolveRecord) backend(key, ns, name string, b *backendState) {
	if r == nil {
		return
	}
	// Looking up a Backend a second time gives what the first gave: a
	// route whose rules share a Backend records it once.
	for i := range r.deps {
		if d := &r.deps[i]; d.kind == depBackend && d.key == key {
			return
		}
	}
	r.deps = append(r.deps, resolveDep{kind: depBackend, key: key, ns: ns, name: name, state: b})
}

func (r *resolveRecord) service(key string, svc *corev1.Service, sp corev1.ServicePort, proto corev1.Protocol, b *backendState) {
	if r != nil {
		r.deps = append(r.deps, resolveDep{kind: depService, key: key, svc: svc, sp: sp, proto: proto, state: b})
	}
}

func (r *resolveRecord) serviceImport(key string, si *load.ServiceImport, sp corev1.ServicePort, b *backendState) {
	if r != nil {
		r.deps = append(r.deps, resolveDep{kind: depImport, key: key, imp: si, sp: sp, state: b})
	}
}

func (r *resolveRecord) fallback(key string, obj *egv1a1.Backend) {
	if r != nil {
		r.deps = append(r.deps, resolveDep{kind: depFallback, key: key, obj: obj})
	}
}

func (r *resolveRecord) warn(msg string) {
	if r != nil {
		r.warnings = append(r.warnings, msg)
	}
}

// vhostKey and vhostMemo are what a virtual host of one route is built
// from: the route's resolved rules (by the identity of the first, which
// stands for the route too), the host, the Gateway, the listener that
// owns the host and the prefix of the name.
type vhostKey struct {
	rules *ruleBackends
	host  string
}

type vhostMemo struct {
	gateway          *gwapiv1.Gateway
	listener, prefix string
	// inForce are the policies the routes of vh were built with.
	inForce policies.InForce
	vh      *ir.VirtualHost
}

// startIncremental decides whether m records and whether it may reuse
// m.prev.inc: when it may not, m.prev.inc is nil.
func (m *memo) startIncremental(res *Resources, opts Options) {
	env := envOf(res, opts)
	var prev incTables
	if m.prev.inc != nil && sameIdentities(m.prev.inc.env, env) {
		prev = *m.prev.inc
	} else {
		m.prev.inc = nil
	}
	m.next.inc = &incTables{
		env:     env,
		rules:   make(map[*gwapiv1.HTTPRoute]*rulesMemo, len(prev.rules)),
		vhosts:  make(map[vhostKey]vhostMemo, len(prev.vhosts)),
		parents: make(map[*gwapiv1.HTTPRoute][]status.Parent, len(prev.parents)),
	}
	m.build = xds.NewMemo(prev.xds)
}

// envOf lists, by identity, what every kept result may depend on besides
// its own objects: every object of res that is neither an HTTPRoute nor
// a Backend (reflection keeps kinds added later in the list), and the
// controller name.
func envOf(res *Resources, opts Options) []any {
	env := []any{opts.ControllerName}
	v := reflect.ValueOf(res).Elem()
	typ := v.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Slice || f.Name == "HTTPRoutes" || f.Name == "Backends" {
			continue
		}
		list := v.Field(i)
		env = append(env, f.Name, list.Len())
		for j := range list.Len() {
			env = append(env, list.Index(j).Interface())
		}
	}
	return env
}

// sameIdentities reports whether two lists hold the same pointers (and
// equal strings and numbers) in the same order.
func sameIdentities(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// recording reports whether m keeps what this translation builds.
func (m *memo) recording() bool { return m != nil && m.next.inc != nil }

// lastPlan returns the route policies of the last translation, if m may
// reuse what it built, else nil.
func (m *memo) lastPlan() *policies.Plan {
	if m == nil || m.prev.inc == nil {
		return nil
	}
	return m.prev.inc.plan
}

// keepPlan records the route policies of this translation.
func (m *memo) keepPlan(p *policies.Plan) {
	if m.recording() {
		m.next.inc.plan = p
	}
}

// prevState returns the state the last translation had under key, if m
// may reuse it, else nil.
func (m *memo) prevState(key string) *backendState {
	if m == nil || m.prev.inc == nil {
		return nil
	}
	return m.prev.inc.states[key]
}

// resolveHTTPRules is resolveRules for an HTTPRoute, reusing the rules
// of the last translation when the route is the same object and every
// lookup made to resolve them gives what it gave.
func (t *translator) resolveHTTPRules(rt *gwapiv1.HTTPRoute) ([]ruleBackends, status.Condition) {
	m := t.memo
	if !m.recording() {
		return t.resolveRules("HTTPRoute", rt)
	}
	if m.prev.inc != nil {
		if e := m.prev.inc.rules[rt]; e != nil && t.replay(e) {
			m.next.inc.rules[rt] = e
			return e.rules, e.resolved
		}
	}
	rec := &resolveRecord{}
	t.rec = rec
	w0, s0 := len(t.warnings), t.stateWarnings
	rules, resolved := t.resolveRules("HTTPRoute", rt)
	t.rec = nil
	// Replaying gives the warnings of the route and of the states it
	// registers; should resolving give others, it is not kept.
	if len(t.warnings)-w0 == len(rec.warnings)+t.stateWarnings-s0 {
		m.next.inc.rules[rt] = &rulesMemo{rules: rules, resolved: resolved, deps: rec.deps, warnings: rec.warnings}
	}
	return rules, resolved
}

// replay makes the lookups of a route's resolution again, in order, with
// their effects (a state registered the first time, its status and
// warnings), and reports whether each gave what it gave before; then the
// route's own warnings are given again. The lookups made before one that
// differs are those resolving the route again makes first: nothing is done
// that the translation without memo would not do.
func (t *translator) replay(e *rulesMemo) bool {
	for i := range e.deps {
		d := &e.deps[i]
		switch d.kind {
		case depBackend:
			b, ok := t.backends[d.key]
			if !ok {
				b = t.newBackend(d.key, d.ns, d.name, d.state)
			}
			if b != d.state {
				return false
			}
		case depService:
			if t.serviceState(d.key, d.svc, d.sp, d.proto) != d.state {
				return false
			}
		case depImport:
			if t.serviceImportState(d.key, d.imp, d.sp) != d.state {
				return false
			}
		case depFallback:
			if t.res.idx().backends[d.key] != d.obj {
				return false
			}
		}
	}
	t.warnings = append(t.warnings, e.warnings...)
	return true
}

// lastParents returns the parents of the status the last translation
// gave the HTTPRoute of src, if m may reuse them, else nil.
func (m *memo) lastParents(src *attachedRoute) []status.Parent {
	if m == nil || m.prev.inc == nil || src.grpc != nil {
		return nil
	}
	return m.prev.inc.parents[src.route]
}

// keepParents records the parents of the status of the HTTPRoute of
// src. They are shared by the statuses of two results: their length is
// their capacity, so that an append copies them, and they are never
// changed otherwise.
func (m *memo) keepParents(src *attachedRoute, parents []status.Parent) {
	if m.recording() && src.grpc == nil && len(parents) > 0 {
		m.next.inc.parents[src.route] = slices.Clip(parents)
	}
}

// virtualHost returns the virtual host of vb, the one kept by the last
// translation when vb holds one HTTPRoute whose rules were reused and the
// same policies are in force on it.
func (t *translator) virtualHost(vb *vhostBuilder, g *gatewayState) *ir.VirtualHost {
	m := t.memo
	if !m.recording() || len(vb.routes) != 1 || vb.routes[0].grpc != nil {
		return vb.build(g, t.policies)
	}
	ar := vb.routes[0]
	k := vhostKey{rules: &ar.rules[0], host: vb.host}
	origin := vb.origin(ar, g)
	inForce := t.policies.InForce(&origin)
	if m.prev.inc != nil {
		if e, ok := m.prev.inc.vhosts[k]; ok && e.gateway == g.obj && e.listener == vb.listener && e.prefix == vb.prefix && e.inForce == inForce {
			m.next.inc.vhosts[k] = e
			return e.vh
		}
	}
	vh := vb.build(g, t.policies)
	m.next.inc.vhosts[k] = vhostMemo{gateway: g.obj, listener: vb.listener, prefix: vb.prefix, inForce: inForce, vh: vh}
	return vh
}
