package translate

import (
	"errors"
	"fmt"
	"io/fs"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyExtensionPolicy is package policies' (envoyextensionpolicy.go);
// translate gives it the targets, a resolver for extProc's backendRefs
// (policy_backends.go, ReferenceGrants from EnvoyExtensionPolicies) and
// the revision's files for wasm modules (Options.Files).

// applyExtensionPolicies runs the EnvoyExtensionPolicies over the built
// IR, after the other policy kinds (a route that fails closed for any of
// them answers 500 all the same).
func (t *translator) applyExtensionPolicies(gateways []*ir.Gateway, targets policies.Targets) {
	if len(t.res.EnvoyExtensionPolicies) == 0 {
		return
	}
	st := policies.ApplyEnvoyExtensionPolicies(policies.ExtensionInput{
		Policies:       t.res.EnvoyExtensionPolicies,
		Targets:        targets,
		BackendCluster: t.extensionPolicyBackend,
		File:           t.revisionFile(),
	}, gateways)
	for _, s := range st {
		t.policyStatus(s)
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
