package translate

import (
	"errors"
	"strings"

	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// Backends of SecurityPolicies (extAuth's authorization service) and
// EnvoyExtensionPolicies (extProc's processor) are resolved as a route's
// backendRefs are (backend.go, service.go), with the policy as the
// referrer: a reference to another namespace needs a ReferenceGrant there
// that trusts policies of that kind of the policy's namespace.

// securityPolicyBackend resolves a backendRef of a SecurityPolicy in
// namespace policyNS to its cluster, or returns the problem naming field.
// The cluster is the one routes to the same backend use; the caller copies
// it before changing it.
func (t *translator) securityPolicyBackend(policyNS, field string, ref gwapiv1.BackendObjectReference) (*ir.Cluster, error) {
	return t.policyBackend(policies.KindSecurityPolicy, policyNS, field, ref)
}

// policyBackend resolves a backendRef of a policy of kind in namespace
// policyNS (SecurityPolicy extAuth, EnvoyExtensionPolicy extProc) to its
// cluster, or returns the problem naming field; the cluster is not to be
// changed.
func (t *translator) policyBackend(kind, policyNS, field string, ref gwapiv1.BackendObjectReference) (*ir.Cluster, error) {
	if errs := validateBackendRef(field, ref); len(errs) > 0 {
		return nil, errs[0]
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
		return nil, fields.Invalid(field+".kind", "%s/%s is not a supported backend kind (Service, gateway.envoyproxy.io/Backend)", to.group, to.kind)
	}
	from := refFrom{group: groupEG, kind: kind, namespace: policyNS}
	if to.namespace != policyNS && !t.res.refGranted(from, to) {
		return nil, fields.Invalid(field+".namespace", "no ReferenceGrant in namespace %q allows %s of namespace %q to refer to %s",
			to.namespace, strings.TrimSuffix(kind, "y")+"ies", policyNS, to)
	}
	if service {
		c, _, msg := t.serviceCluster(to.namespace, to.name, ref.Port, corev1.ProtocolTCP, field)
		if msg != "" {
			return nil, errors.New(msg)
		}
		return c, nil
	}
	b := t.backend(to.namespace, to.name)
	switch {
	case b == nil:
		return nil, fields.Invalid(field+".name", "Backend %s/%s does not exist", to.namespace, to.name)
	case b.err != "":
		return nil, fields.Invalid(field, "Backend %s/%s is invalid: %s", to.namespace, to.name, b.err)
	}
	return b.cluster, nil
}
