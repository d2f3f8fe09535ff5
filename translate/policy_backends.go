package translate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// Backends of SecurityPolicies (extAuth's authorization service) are
// resolved as a route's backendRefs are (backend.go, service.go), with the
// policy as the referrer: a reference to another namespace needs a
// ReferenceGrant there that trusts SecurityPolicies of the policy's
// namespace.

// securityPolicyBackend resolves a backendRef of a SecurityPolicy in
// namespace policyNS to its cluster, or returns the problem naming field.
// The cluster is the one routes to the same backend use; the caller copies
// it before changing it.
func (t *translator) securityPolicyBackend(policyNS, field string, ref gwapiv1.BackendObjectReference) (*ir.Cluster, string) {
	if errs := validateBackendRef(field, ref); len(errs) > 0 {
		return nil, errs[0].Error()
	}
	to := refTo{kind: "Service", namespace: policyNS, name: string(ref.Name)}
	if ref.Group != nil {
		to.group = string(*ref.Group)
	}
	if ref.Kind != nil {
		to.kind = string(*ref.Kind)
	}
	if ref.Namespace != nil && *ref.Namespace != "" {
		to.namespace = string(*ref.Namespace)
	}
	service := to.group == "" && to.kind == "Service"
	if !service && (to.group != groupEG || to.kind != "Backend") {
		return nil, fmt.Sprintf("field %s.kind: %s/%s is not a supported backend kind (Service, gateway.envoyproxy.io/Backend)", field, to.group, to.kind)
	}
	from := refFrom{group: groupEG, kind: policies.KindSecurityPolicy, namespace: policyNS}
	if to.namespace != policyNS && !t.res.refGranted(from, to) {
		return nil, fmt.Sprintf("field %s.namespace: no ReferenceGrant in namespace %q allows SecurityPolicies of namespace %q to refer to %s", field, to.namespace, policyNS, to)
	}
	if service {
		c, _, msg := t.serviceCluster(to.namespace, to.name, ref.Port, corev1.ProtocolTCP, field)
		return c, msg
	}
	b := t.backend(to.namespace, to.name)
	switch {
	case b == nil:
		return nil, fmt.Sprintf("field %s.name: Backend %s/%s does not exist", field, to.namespace, to.name)
	case b.err != "":
		return nil, fmt.Sprintf("field %s: Backend %s/%s is invalid: %s", field, to.namespace, to.name, b.err)
	}
	return b.cluster, ""
}
