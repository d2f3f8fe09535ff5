package policies

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
)

// The Secrets SecurityPolicies read credentials from (basicAuth,
// apiKeyAuth, the oidc client secret): a
// core Secret in the policy's namespace, or in another one when a
// ReferenceGrant there allows SecurityPolicies of the policy's namespace
// to use it (Envoy Gateway's rule). A reference that cannot be followed
// makes the policy invalid, so its routes fail closed.

// credentialSecret follows ref, the reference at field of a policy in
// namespace ns, and returns the Secret's data (stringData winning, as in
// Kubernetes), or the problem, naming the reference's field. A problem
// never quotes the Secret's data.
func credentialSecret(field, ns string, ref gwapiv1.SecretObjectReference, in SecurityInput) (map[string][]byte, error) {
	if (ref.Group != nil && *ref.Group != "") || (ref.Kind != nil && *ref.Kind != "Secret") {
		return nil, fields.Invalid(field+".kind", "must name a core Secret")
	}
	if ref.Name == "" {
		return nil, fields.Invalid(field+".name", "must not be empty")
	}
	sns := ns
	if ref.Namespace != nil && *ref.Namespace != "" {
		sns = string(*ref.Namespace)
	}
	if sns != ns && (in.SecretGranted == nil || !in.SecretGranted(ns, sns, string(ref.Name))) {
		return nil, fields.Invalid(field+".namespace", "Secret %s/%s is in another namespace than the policy; no ReferenceGrant in namespace %q allows SecurityPolicies of namespace %q to use it", sns, ref.Name, sns, ns)
	}
	var s *corev1.Secret
	if in.Secret != nil {
		s = in.Secret(sns, string(ref.Name))
	}
	if s == nil {
		return nil, fields.Invalid(field+".name", "Secret %s/%s does not exist", sns, ref.Name)
	}
	data := make(map[string][]byte, len(s.Data)+len(s.StringData))
	for k, v := range s.Data {
		data[k] = v
	}
	for k, v := range s.StringData {
		data[k] = []byte(v)
	}
	return data, nil
}

// secretKeys returns the keys of a Secret's data, sorted.
func secretKeys(data map[string][]byte) []string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// secretRefName prints a reference as NAMESPACE/NAME, ns being the
// policy's namespace.
func secretRefName(ns string, ref gwapiv1.SecretObjectReference) string {
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	return ns + "/" + string(ref.Name)
}
