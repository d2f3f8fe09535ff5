package policies

import (
	"encoding/json"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy: attachment (attach.go), validation and status
// here, one file per feature for what it configures:
// responseoverride.go (spec.responseOverride). A policy whose spec is
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
}

// btpFeatures is what one valid policy does to the routes it is in force on.
type btpFeatures struct {
	responseOverride *ir.ResponseOverride
	// ignored names the spec fields sluice does not implement.
	ignored []string
}

// ApplyBackendTrafficPolicies validates the policies, attaches them to
// their targets and writes what each does into the IR routes it is in
// force on (found by ir.Route.Origin). It returns the status of every
// policy, in input order.
func ApplyBackendTrafficPolicies(in BackendTrafficInput, gateways []*ir.Gateway) []*Status {
	statuses := make([]*Status, len(in.Policies))
	var valid []Policy
	var features []*btpFeatures
	var index []int // of valid in in.Policies
	for i, p := range in.Policies {
		f, err := btpSpec(p, in.ConfigMap)
		if err != "" {
			statuses[i] = &Status{Kind: KindBackendTrafficPolicy, Namespace: p.Namespace, Name: p.Name,
				Conditions: []Condition{{Type: CondAccepted, Status: "False", Reason: ReasonInvalid, Message: err}}}
			continue
		}
		valid = append(valid, Policy{Kind: KindBackendTrafficPolicy, Namespace: p.Namespace, Name: p.Name,
			Created: p.CreationTimestamp.Time, Targets: p.Spec.PolicyTargetReferences})
		features = append(features, f)
		index = append(index, i)
	}
	att := Attach(valid, in.Targets)
	forEachRoute(gateways, func(r *ir.Route) {
		o := r.Origin
		j := att.Effective(o.Kind, o.Namespace, o.Name, Parent{Namespace: o.GatewayNamespace, Name: o.GatewayName, Listener: o.Listener})
		if j >= 0 {
			r.ResponseOverride = features[j].responseOverride
		}
	})
	for j, i := range index {
		st := att.Status(j)
		if ign := features[j].ignored; len(ign) > 0 {
			note := "; field " + ign[0] + " is not supported by sluice and is ignored"
			if len(ign) > 1 {
				note = "; fields " + strings.Join(ign, ", ") + " are not supported by sluice and are ignored"
			}
			for a := range st.Ancestors {
				for c := range st.Ancestors[a].Conditions {
					if cd := &st.Ancestors[a].Conditions[c]; cd.Type == CondAccepted && cd.Status == "True" {
						cd.Message = strings.TrimSuffix(cd.Message, ".") + note
					}
				}
			}
		}
		statuses[i] = st
	}
	return statuses
}

// btpSpec checks a policy's spec and returns what it does, or why it is
// invalid.
func btpSpec(p *egv1a1.BackendTrafficPolicy, configMap func(namespace, name string) *corev1.ConfigMap) (*btpFeatures, string) {
	f := &btpFeatures{ignored: unsupportedFields(p.Spec)}
	ro, errs := responseOverride(p, configMap)
	if len(errs) > 0 {
		return nil, strings.Join(errs, "; ")
	}
	f.responseOverride = ro
	return f, ""
}

// btpImplemented are the spec fields sluice implements.
var btpImplemented = map[string]bool{
	"targetRef": true, "targetRefs": true, "targetSelectors": true,
	"responseOverride": true,
}

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
