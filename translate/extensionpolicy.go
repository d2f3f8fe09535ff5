package translate

import (
	"errors"
	"fmt"
	"io/fs"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyExtensionPolicy is package policies' (envoyextensionpolicy.go),
// planned with the other route policies (policies.go); translate gives it
// the targets, a resolver for extProc's backendRefs (policy_backends.go,
// ReferenceGrants from EnvoyExtensionPolicies) and the revision's files
// for wasm modules (Options.Files).

// extensionInput is what the policies.Plan reads of EnvoyExtensionPolicies.
func (t *translator) extensionInput(targets policies.Targets) policies.ExtensionInput {
	return policies.ExtensionInput{
		Policies:       t.res.EnvoyExtensionPolicies,
		Targets:        targets,
		BackendCluster: t.extensionPolicyBackend,
		File:           t.revisionFile(),
	}
}

// extensionPolicyBackend resolves a backendRef of an EnvoyExtensionPolicy.
func (t *translator) extensionPolicyBackend(policyNS, field string, ref gwapiv1.BackendObjectReference) (*ir.Cluster, error) {
	return t.policyBackend(policies.KindEnvoyExtensionPolicy, policyNS, field, ref)
}

// revisionFile reads a file of the revision, or is nil without files.
func (t *translator) revisionFile() func(string) ([]byte, error) {
	files := t.opts.Files
	if files == nil {
		return nil
	}
	return func(name string) ([]byte, error) {
		st, err := fs.Stat(files, name)
		switch {
		case err != nil:
			return nil, err
		case !st.Mode().IsRegular():
			return nil, errors.New("not a regular file")
		case st.Size() > policies.MaxWasmBytes:
			return nil, fmt.Errorf("%d bytes, more than the %d a module may have", st.Size(), policies.MaxWasmBytes)
		}
		return fs.ReadFile(files, name)
	}
}
