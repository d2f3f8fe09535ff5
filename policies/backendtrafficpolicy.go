package policies

import (
	"encoding/json"
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

// BackendTrafficInput is what ApplyBackendTrafficPolicies reads.
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

// btpFeatures is what one valid policy does to the routes it is in force on.
type btpFeatures struct {
	responseOverride *ir.ResponseOverride
	healthCheck      *healthCheck
	// route is what the policy sets on each route (btp_route.go);
	// cluster what it sets on each route's clusters (btp_cluster.go).
	route   *ir.RouteTraffic
	cluster *ir.ClusterTraffic
	// notes are remarks on how the policy applied, for its status.
	notes map[string]bool
	// ignored names the spec fields sluice does not implement;
	// tcpIgnored and udpIgnored the set ones that do not apply to TCP
	// and TLS routes, and to UDP routes (btp_l4.go).
	ignored                []string
	tcpIgnored, udpIgnored []string
}

// ApplyBackendTrafficPolicies validates the policies, attaches them to
// their targets and writes what each does into the IR routes it is in
// force on (found by ir.Route.Origin, and the Origin of TCP proxies and
// UDP listeners). It returns the status of every
// policy, in input order.
func ApplyBackendTrafficPolicies(in BackendTrafficInput, gateways []*ir.Gateway) []*status.Object {
	statuses := make([]*status.Object, len(in.Policies))
	var valid []Policy
	var features []*btpFeatures
	var index []int // of valid in in.Policies
	for i, p := range in.Policies {
		f, errs := btpSpec(p, in.ConfigMap, in.RegexProgramSize)
		if len(errs) > 0 {
			statuses[i] = invalidSpec(KindBackendTrafficPolicy, p.Namespace, p.Name, errs)
			continue
		}
		valid = append(valid, Policy{Kind: KindBackendTrafficPolicy, Namespace: p.Namespace, Name: p.Name,
			Created: p.CreationTimestamp.Time, Targets: p.Spec.PolicyTargetReferences, RouteKinds: L4RouteKinds})
		features = append(features, f)
		index = append(index, i)
	}
	att := Attach(valid, in.Targets)
	keys := make([]string, len(valid))
	for j, p := range valid {
		keys[j] = p.key()
	}
	effective := func(o *ir.RouteOrigin) int {
		return att.Effective(o.Kind, o.Namespace, o.Name, Parent{Namespace: o.GatewayNamespace, Name: o.GatewayName, Listener: o.Listener})
	}
	for _, g := range gateways {
		byName := make(map[string]*ir.Cluster, 2*len(g.Clusters)) // room for a copy of each
		for _, c := range g.Clusters {
			byName[c.Name] = c
		}
		replaced := make(map[string]bool, len(g.Clusters))
		hosts := routeHosts(g)
		forEachRoute([]*ir.Gateway{g}, func(r *ir.Route) {
			o := r.Origin
			j := att.Effective(o.Kind, o.Namespace, o.Name, Parent{Namespace: o.GatewayNamespace, Name: o.GatewayName, Listener: o.Listener})
			if j < 0 {
				return
			}
			r.ResponseOverride = features[j].responseOverride
			r.Traffic = features[j].route
			features[j].applyClusters(g, r, hosts[r], valid[j].key(), byName, replaced)
		})
		applyL4(g, effective, features, keys, byName, replaced)
		if len(replaced) > 0 {
			pruneClusters(g, replaced)
		}
	}
	for j, i := range index {
		st := att.Status(j)
		addNotes(st, features[j])
		statuses[i] = st
	}
	return statuses
}

// addNotes appends to the Accepted conditions of a policy the fields it
// ignores and the notes on how it applied.
func addNotes(st *status.Object, f *btpFeatures) {
	var note string
	if ign := f.ignored; len(ign) > 0 {
		note = "; field " + ign[0] + " is not supported by sluice and is ignored"
		if len(ign) > 1 {
			note = "; fields " + strings.Join(ign, ", ") + " are not supported by sluice and are ignored"
		}
	}
	notes := make([]string, 0, len(f.notes))
	for n := range f.notes {
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
	f := &btpFeatures{ignored: unsupportedFields(p.Spec), notes: map[string]bool{}}
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

// forEachRoute calls fn for every HTTP route of the gateways, in order.
func forEachRoute(gateways []*ir.Gateway, fn func(*ir.Route)) {
	each := func(vhs []*ir.VirtualHost) {
		for _, vh := range vhs {
			for _, r := range vh.Routes {
				fn(r)
			}
		}
	}
	for _, g := range gateways {
		for _, l := range g.Listeners {
			each(l.VirtualHosts)
			for _, c := range l.TLSChains {
				each(c.VirtualHosts)
			}
		}
	}
}
