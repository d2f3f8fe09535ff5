package translate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/status"
)

// EnvoyPatchPolicy: RFC 6902 JSON patches on the final xDS of a Gateway,
// Envoy Gateway's escape hatch for what its API cannot say.
//
//   - A policy targets a Gateway of its own namespace (spec.targetRef),
//     or, for Gateways merged into one fleet (EnvoyProxy mergeGateways,
//     mergegateways.go), their GatewayClass; the patched fleet is then
//     served under every member's key. One that names another kind, a
//     Gateway sluice does not serve or a member of a merged fleet, is not
//     accepted.
//   - Policies on one Gateway apply in ascending spec.priority, then by
//     creationTimestamp, then namespace/name, as Envoy Gateway sorts them.
//   - Each patch finds its resource by type URL and name, patches its
//     protojson form (proto field names, as Envoy Gateway marshals it:
//     /filter_chains/0/...) and reads it back; "add" with an empty path
//     adds a whole new resource (envoypatch_apply.go).
//   - Unlike Envoy Gateway, which applies the patches of a policy one by
//     one and skips those that fail, sluice applies a policy's patches all
//     or none: a failing patch (missing resource, failed test, a result
//     that is not a valid resource, a snapshot that is no longer valid or
//     consistent) leaves the xDS as the policies before it made it, and
//     the policy is Programmed=False naming the patch. A half-applied
//     patch set is a configuration nobody wrote.

// Condition and reasons of EnvoyPatchPolicy status (Envoy Gateway's
// api/v1alpha1).
const (
	reasonTargetNotFound   = string(gwapiv1.PolicyReasonTargetNotFound)
	reasonResourceNotFound = string(egv1a1.PolicyReasonResourceNotFound)
)

// patchResourceKinds are the resource types a patch may name, by type
// URL, with the kind that messages print.
var patchResourceKinds = map[egv1a1.EnvoyResourceType]string{
	egv1a1.ListenerEnvoyResourceType:              "Listener",
	egv1a1.RouteConfigurationEnvoyResourceType:    "RouteConfiguration",
	egv1a1.ClusterEnvoyResourceType:               "Cluster",
	egv1a1.ClusterLoadAssignmentEnvoyResourceType: "ClusterLoadAssignment",
	egv1a1.SecretEnvoyResourceType:                "Secret",
}

// applyEnvoyPatches applies the EnvoyPatchPolicies to the xDS of their
// Gateways and gives each policy its status.
func (t *translator) applyEnvoyPatches(gateways []*GatewayResult) {
	if len(t.res.EnvoyPatchPolicies) == 0 {
		return
	}
	// A Gateway is found by its key; a merged fleet (mergegateways.go)
	// only by its GatewayClass, as Envoy Gateway has it.
	byKey := map[string]*GatewayResult{}
	for _, g := range gateways {
		if class := t.mergedClass(g); class != "" {
			byKey[patchClassKey(class)] = g
		} else {
			byKey[g.Key()] = g
		}
	}
	for _, p := range sortedPatchPolicies(t.res.EnvoyPatchPolicies) {
		s := t.statusOf(egv1a1.KindEnvoyPatchPolicy, p.Namespace, p.Name)
		if msg := checkPatchPolicy(p); msg != "" {
			s.Conditions = append(s.Conditions, status.New(status.CondAccepted, false, status.ReasonInvalid, msg))
			continue
		}
		g, reason, msg := t.patchTarget(p, byKey)
		if g == nil {
			s.Conditions = append(s.Conditions, status.New(status.CondAccepted, false, reason, msg))
			continue
		}
		ancestorRef := g.Key()
		if p.Spec.TargetRef.Kind == "GatewayClass" {
			ancestorRef = string(p.Spec.TargetRef.Name)
		}
		ancestor := status.Ancestor{AncestorRef: ancestorRef, Conditions: []status.Condition{
			status.New(status.CondAccepted, true, status.ReasonAccepted, "Policy has been accepted."),
		}}
		patched, fail := patchGateway(g, p.Spec.JSONPatches)
		if fail == nil {
			fail = t.keepCredentials(g, patched)
		}
		if fail != nil {
			ancestor.Conditions = append(ancestor.Conditions, status.New(status.CondProgrammed, false, fail.reason, fail.message+"; no patch of the policy is applied"))
		} else {
			*g = *patched
			ancestor.Conditions = append(ancestor.Conditions, status.New(status.CondProgrammed, true, status.ReasonProgrammed, "Patches have been successfully applied."))
		}
		s.Ancestors = append(s.Ancestors, ancestor)
	}
}

// sortedPatchPolicies orders policies as they apply: ascending priority,
// then the older first, then by namespace and name.
func sortedPatchPolicies(in []*egv1a1.EnvoyPatchPolicy) []*egv1a1.EnvoyPatchPolicy {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b *egv1a1.EnvoyPatchPolicy) int {
		switch {
		case a.Spec.Priority != b.Spec.Priority:
			return cmp.Compare(a.Spec.Priority, b.Spec.Priority)
		case !a.CreationTimestamp.Equal(&b.CreationTimestamp):
			if a.CreationTimestamp.Before(&b.CreationTimestamp) {
				return -1
			}
			return 1
		case a.Namespace != b.Namespace:
			return strings.Compare(a.Namespace, b.Namespace)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// patchTarget finds the served Gateway a policy targets, or says why
// there is none (reason and message naming the field).
func (t *translator) patchTarget(p *egv1a1.EnvoyPatchPolicy, byKey map[string]*GatewayResult) (*GatewayResult, string, string) {
	ref := p.Spec.TargetRef
	const field = "spec.targetRef"
	switch {
	case string(ref.Group) != gwapiv1.GroupName || (ref.Kind != "Gateway" && ref.Kind != "GatewayClass"):
		return nil, status.ReasonInvalid, fmt.Sprintf("field %s: %s/%s is not supported; an EnvoyPatchPolicy targets a %s/Gateway, or the GatewayClass of merged Gateways", field, ref.Group, ref.Kind, gwapiv1.GroupName)
	case ref.Kind == "GatewayClass":
		if g := byKey[patchClassKey(string(ref.Name))]; g != nil {
			return g, "", ""
		}
		return nil, reasonTargetNotFound, fmt.Sprintf("field %s.name: GatewayClass %s does not exist, is not managed by sluice or does not merge its Gateways (EnvoyProxy spec.mergeGateways); target a Gateway instead", field, ref.Name)
	}
	if g := byKey[p.Namespace+"/"+string(ref.Name)]; g != nil {
		return g, "", ""
	}
	if t.mergedGateway(p.Namespace, string(ref.Name)) {
		return nil, reasonTargetNotFound, fmt.Sprintf("field %s.name: Gateway %s/%s is merged with the other Gateways of its class into one fleet; target the GatewayClass", field, p.Namespace, ref.Name)
	}
	return nil, reasonTargetNotFound, fmt.Sprintf("field %s.name: Gateway %s/%s does not exist or is not served by sluice", field, p.Namespace, ref.Name)
}

// checkPatchPolicy applies the CRD's schema, and names what sluice does
// not implement (jsonPath), or returns "".
func checkPatchPolicy(p *egv1a1.EnvoyPatchPolicy) string {
	if p.Spec.Type != egv1a1.JSONPatchEnvoyPatchType {
		return fmt.Sprintf("field spec.type: %q is not JSONPatch", p.Spec.Type)
	}
	for i, jp := range p.Spec.JSONPatches {
		field := fmt.Sprintf("spec.jsonPatches[%d]", i)
		if _, ok := patchResourceKinds[jp.Type]; !ok {
			return fmt.Sprintf("field %s.type: %q is not a Listener, RouteConfiguration, Cluster, ClusterLoadAssignment or Secret type URL", field, jp.Type)
		}
		switch jp.Operation.Op {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return fmt.Sprintf("field %s.operation.op: %q is not add, remove, replace, move, copy or test", field, jp.Operation.Op)
		}
		if jp.Operation.JSONPath != nil && *jp.Operation.JSONPath != "" {
			return fmt.Sprintf("field %s.operation.jsonPath: JSONPath expressions are not supported by sluice; use path (a JSON pointer)", field)
		}
	}
	return ""
}

// patchClassKey is the key under which applyEnvoyPatches finds the
// merged fleet of a GatewayClass; it cannot collide with a Gateway's
// NAMESPACE/NAME.
func patchClassKey(class string) string { return "GatewayClass " + class }

// keepCredentials gives patched, the Gateway g after patches, the
// credentials of g and of the revision's Secrets, for printing to redact
// wherever the patches put them (xds.Gateway.KeepCredentials).
func (t *translator) keepCredentials(g, patched *GatewayResult) *patchFailure {
	if t.secretValues == nil {
		t.secretValues = secretValues(t.res.Secrets)
	}
	if err := patched.KeepCredentials(g, t.secretValues); err != nil {
		return &patchFailure{status.ReasonInvalid, "the xDS cannot be printed: " + err.Error()}
	}
	return nil
}
