package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// ClientTrafficPolicy. (scaffold: to be implemented)

// KindClientTrafficPolicy is the policy kind.
const KindClientTrafficPolicy = "ClientTrafficPolicy"

// ClientTrafficInput is what ApplyClientTrafficPolicies reads.
type ClientTrafficInput struct {
	// Policies in a stable order (namespace, name).
	Policies  []*egv1a1.ClientTrafficPolicy
	Targets   Targets
	Secret    func(namespace, name string) *corev1.Secret
	ConfigMap func(namespace, name string) *corev1.ConfigMap
	// SecretGranted reports whether a ReferenceGrant lets
	// ClientTrafficPolicies of policyNS use the Secret.
	SecretGranted func(policyNS, secretNS, secretName string) bool
}

// ApplyClientTrafficPolicies validates the policies, attaches them to
// their Gateways and listeners and writes what each does into
// ir.Listener.Client. It returns the status of every policy, in input
// order.
func ApplyClientTrafficPolicies(in ClientTrafficInput, gateways []*ir.Gateway) []*Status {
	return nil
}
