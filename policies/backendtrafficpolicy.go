package policies

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// BackendTrafficPolicy: attachment (attach.go), validation and status
// here, one file per feature for what it configures:
// responseoverride.go (spec.responseOverride), healthcheck.go
// (spec.healthCheck). It targets TCPRoutes, TLSRoutes and UDPRoutes too
// (btp_l4.go). A policy whose spec is
// invalid is Accepted=False, reason Invalid, naming the field, and is not
// attached at all: the less specific policies stay in force.

// KindBackendTrafficPolicy is the policy kind.
const KindBackendTrafficPolicy = "BackendTrafficPolicy"

// BackendTrafficInput is what a Plan reads of BackendTrafficPolicies.
type BackendTrafficInput struct {
	// Policies in a stable order (namespace, name).
	Policies []*egv1a1.BackendTrafficPolicy
	Targets  Targets
	// ConfigMap returns a ConfigMap by namespace and name, or nil.
	ConfigMap func(namespace, name string) *corev1.ConfigMap
	// RegexProgramSize bounds the RE2 program size of the regexes sent to
	// Envoy (fields.Regex; 0 is Envoy's default).
	RegexProgramSize int
}

// btpFeatures is what one valid policy does to the routes it is in force
// on. It is not changed once btpSpec has made it: a Plan may hand it to
// the next one (plan.go).
type btpFeatures struct {
	// key is the policy's NAMESPACE/NAME, which names its cluster copies.
	key              string
	responseOverride *ir.ResponseOverride
	healthCheck      *healthCheck
	// route is what the policy sets on each route (btp_route.go);
	// cluster what it sets on each route's clusters (btp_cluster.go).
	route   *ir.RouteTraffic
	cluster *ir.ClusterTraffic
	// ignored names the spec fields sluice does not implement;
	// tcpIgnored and udpIgnored the set ones that do not apply to TCP
	// and TLS routes, and to UDP routes (btp_l4.go).
	ignored                []string
	tcpIgnored, udpIgnored []string
}

// btpPlan is the BackendTrafficPolicies of a revision, validated and
// attached before the IR is built (plan.go).
type btpPlan struct {
	// statuses are those of the invalid policies, by input index, until
	// status adds the others'.
	statuses []*status.Object
	valid    []Policy
	features []*btpFeatures // of valid
	index    []int          // of valid in the input
	// suffixes name the cluster copies of each valid policy
	// (btp_cluster_copies.go).
	suffixes []string
	att      *Attachments
	// notes are, per valid policy, remarks on how it applied, for its
	// status.
	notes []map[string]bool
}

// newBTPPlan validates and attaches the policies of in. A policy whose
// features equal those it had in prev keeps prev's.
func newBTPPlan(in BackendTrafficInput, prev *btpPlan) *btpPlan {
	b := &btpPlan{statuses: make([]*status.Object, len(in.Policies))}
	for i, p := range in.Policies {
		f, errs := btpSpec(p, in.ConfigMap, in.RegexProgramSize)
		if len(errs) > 0 {
			b.statuses[i] = invalidSpec(KindBackendTrafficPolicy, p.Namespace, p.Name, errs)
			continue
		}
		b.valid = append(b.valid, Policy{Kind: KindBackendTrafficPolicy, Namespace: p.Namespace, Name: p.Name,
			Created: p.CreationTimestamp.Time, Targets: p.Spec.PolicyTargetReferences, RouteKinds: L4RouteKinds})
		if prev != nil {
			if k := slices.IndexFunc(prev.features, func(o *btpFeatures) bool { return o.key == f.key }); k >= 0 {
				f = interned(f, prev.features[k])
			}
		}
		b.features = append(b.features, f)
		b.suffixes = append(b.suffixes, copySuffix(f.key))
		b.index = append(b.index, i)
		b.notes = append(b.notes, map[string]bool{})
	}
	b.att = Attach(b.valid, in.Targets)
	return b
}

// applyRoute writes what policy f does into route r: its response
// override and route settings, and its cluster settings through copies
// of r's clusters (btp_cluster_copies.go).
func (f *btpFeatures) applyRoute(r *ir.Route) {
	r.ResponseOverride = f.responseOverride
	r.Traffic = f.route
	f.useCopies(r)
}

// finish gives gateway g the cluster copies its routes use, applies the
// policies to its TCP, TLS and UDP routes (btp_l4.go) and removes the
// clusters the copies replaced and nothing else uses. g.Clusters is left
// unsorted.
func (b *btpPlan) finish(g *ir.Gateway, copies *copyMemo) {
	uses, order := b.copyClusters(g, copies)
	if !hasL4(g) {
		// What nothing but HTTP routes use is known: prune it.
		kept := g.Clusters[:0]
		for i, u := range order {
			if !u.replaced || u.used {
				kept = append(kept, g.Clusters[i])
			}
		}
		g.Clusters = kept
		return
	}
	byName := make(map[string]*ir.Cluster, len(uses))
	replaced, used := map[string]bool{}, map[string]bool{}
	for name, u := range uses {
		byName[name] = u.c
		replaced[name], used[name] = u.replaced, u.used
	}
	effective := func(o *ir.RouteOrigin) int {
		return b.att.Effective(o.Kind, o.Namespace, o.Name, originParent(o))
	}
	keys := make([]string, len(b.valid))
	for j, p := range b.valid {
		keys[j] = p.key()
	}
	applyL4(g, effective, b.features, keys, b.notes, byName, replaced)
	pruneClusters(g, replaced, used)
}

// hasL4 reports whether g has TCP, TLS or UDP routes.
func hasL4(g *ir.Gateway) bool {
	for _, l := range g.Listeners {
		if l.TCP != nil || slices.ContainsFunc(l.TLSChains, func(c *ir.TLSChain) bool { return c.TCP != nil }) {
			return true
		}
	}
	return len(g.UDPListeners) > 0
}

// status returns the status of every policy, in input order.
func (b *btpPlan) status() []*status.Object {
	for j, i := range b.index {
		st := b.att.Status(j)
		addNotes(st, b.features[j], b.notes[j])
		b.statuses[i] = st
	}
	return b.statuses
}

// addNotes appends to the Accepted conditions of a policy the fields it
// ignores and the notes on how it applied.
func addNotes(st *status.Object, f *btpFeatures, applied map[string]bool) {
	var note string
	if ign := f.ignored; len(ign) > 0 {
		note = "; field " + ign[0] + " is not supported by sluice and is ignored"
		if len(ign) > 1 {
			note = "; fields " + strings.Join(ign, ", ") + " are not supported by sluice and are ignored"
		}
	}
	notes := make([]string, 0, len(applied))
	for n := range applied {
		notes = append(notes, n)
	}
	sort.Strings(notes)
	for _, n := range notes {
		note += "; " + n
	}
	if note == "" {
		return
	}
	for a := range st.Ancestors {
		for c := range st.Ancestors[a].Conditions {
			if cd := &st.Ancestors[a].Conditions[c]; cd.Type == status.CondAccepted && cd.Status == "True" {
				cd.Message = strings.TrimSuffix(cd.Message, ".") + note
			}
		}
	}
}

// btpSpec checks a policy's spec and returns what it does, or why it is
// invalid: every problem, each naming its field.
func btpSpec(p *egv1a1.BackendTrafficPolicy, configMap func(namespace, name string) *corev1.ConfigMap, maxRegex int) (*btpFeatures, []error) {
	f := &btpFeatures{key: p.Namespace + "/" + p.Name, ignored: unsupportedFields(p.Spec)}
	ro, errs := responseOverride(p, configMap)
	hc, ignored, hcErrs := healthCheckSpec(p.Spec.HealthCheck)
	rt, rtIgnored, rtErrs := routeTrafficSpec(p.Spec, maxRegex)
	ct, ctIgnored, ctErrs := clusterTrafficSpec(p.Spec)
	errs = append(errs, hcErrs...)
	errs = append(errs, rtErrs...)
	if errs = append(errs, ctErrs...); len(errs) > 0 {
		return nil, errs
	}
	f.responseOverride, f.healthCheck, f.route, f.cluster = ro, hc, rt, ct
	f.tcpIgnored, f.udpIgnored = l4Ignored(p.Spec)
	f.ignored = append(f.ignored, ignored...)
	f.ignored = append(f.ignored, rtIgnored...)
	f.ignored = append(f.ignored, ctIgnored...)
	sort.Strings(f.ignored)
	return f, nil
}

// btpImplemented are the spec fields sluice implements: the core ones and
// each feature file's.
var btpImplemented = unionSets(map[string]bool{
	"targetRef": true, "targetRefs": true, "targetSelectors": true,
	"responseOverride": true, "healthCheck": true,
}, btpRouteFields, btpClusterFields)

// unsupportedFields names the set top-level spec fields sluice does not
// implement, sorted.
func unsupportedFields(spec egv1a1.BackendTrafficPolicySpec) []string {
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		if !btpImplemented[k] && string(v) != "null" && string(v) != "{}" && string(v) != "[]" {
			out = append(out, "spec."+k)
		}
	}
	sort.Strings(out)
	return out
}
