package policies

import (
	"fmt"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// EnvoyExtensionPolicy: attachment (attach.go), validation and status
// here; its features in extproc.go and extproc_xds.go (spec.extProc:
// ext_proc) and wasm.go and wasm_xds.go (spec.wasm: wasm).
//
// As in Envoy Gateway, a policy with neither extProc nor wasm is accepted
// and does nothing: on a route it replaces (overrides) a policy of the
// route's Gateway or listener, which is how a route opts out.
//
// An entry that cannot be translated (a backend that does not resolve, a
// Wasm module not in the repository, a field sluice does not implement)
// makes the policy Accepted=False, naming the field. Its routes then
// answer 500, as Envoy Gateway's do, unless every failing entry has
// failOpen: true; then the entries that translated run without the
// failing ones. Fields of the policy itself that sluice does not
// implement (lua, dynamicModule, mergeType) always fail closed.

// KindEnvoyExtensionPolicy is the policy kind.
const KindEnvoyExtensionPolicy = "EnvoyExtensionPolicy"

// ExtensionInput is what ApplyEnvoyExtensionPolicies reads.
type ExtensionInput struct {
	// Policies in a stable order (namespace, name).
	Policies []*egv1a1.EnvoyExtensionPolicy
	Targets  Targets
	// BackendCluster resolves extProc's backendRefs, with the policy as
	// the referrer of ReferenceGrants.
	BackendCluster BackendResolver
	// File reads a file of the revision by its slash-separated path from
	// the root of the repository (wasm.go); nil when there are no files.
	File func(path string) ([]byte, error)
}

// eepFeatures is what one policy does: the extensions of its routes and
// the clusters of its processors, or why it is invalid.
type eepFeatures struct {
	ext      *ir.Extensions // nil: the routes get no extension
	clusters []*ir.Cluster
	invalid  []error
	// failClosed: the policy's routes answer 500.
	failClosed bool
	// ignored are backendSettings fields sluice does not apply.
	ignored []string
}

// ApplyEnvoyExtensionPolicies validates the policies, attaches them to
// their targets and writes what each runs into the IR routes it is in
// force on (ir.Route.Extensions, found by ir.Route.Origin), adding its
// processors' clusters to the route's Gateway. It returns the status of
// every policy, in input order.
func ApplyEnvoyExtensionPolicies(in ExtensionInput, gateways []*ir.Gateway) []*status.Object {
	features := make([]*eepFeatures, len(in.Policies))
	attach := make([]Policy, len(in.Policies))
	for i, p := range in.Policies {
		features[i] = eepSpec(p, in)
		attach[i] = Policy{Kind: KindEnvoyExtensionPolicy, Namespace: p.Namespace, Name: p.Name,
			Created: p.CreationTimestamp.Time, Targets: p.Spec.PolicyTargetReferences}
	}
	att := Attach(attach, in.Targets)
	for _, g := range gateways {
		added := false
		forEachRoute([]*ir.Gateway{g}, func(r *ir.Route) {
			o := r.Origin
			j := att.Effective(o.Kind, o.Namespace, o.Name, Parent{Namespace: o.GatewayNamespace, Name: o.GatewayName, Listener: o.Listener})
			switch {
			case j < 0:
			case features[j].failClosed:
				failClosed(r)
			case features[j].ext != nil:
				r.Extensions = features[j].ext
				for _, c := range features[j].clusters {
					added = addCluster(g, c) || added
				}
			}
		})
		if added {
			sort.Slice(g.Clusters, func(a, b int) bool { return g.Clusters[a].Name < g.Clusters[b].Name })
		}
	}
	statuses := make([]*status.Object, len(in.Policies))
	for i := range in.Policies {
		st := att.Status(i)
		f := features[i]
		if errs := f.invalid; len(errs) > 0 {
			then := "; the routes it is in force on answer 500"
			if !f.failClosed {
				then = "; the failing entries have failOpen and are skipped, the others run"
			}
			invalidate(st, fields.Reason(errs), fields.Message(errs)+then)
		} else if len(f.ignored) > 0 {
			addNotes(st, &btpFeatures{ignored: f.ignored})
		}
		statuses[i] = st
	}
	return statuses
}

// eepImplemented are the spec fields sluice implements.
var eepImplemented = map[string]bool{
	"targetRef": true, "targetRefs": true, "targetSelectors": true, "extProc": true, "wasm": true,
}

// eepSpec checks a policy's spec and returns what it does.
func eepSpec(p *egv1a1.EnvoyExtensionPolicy, in ExtensionInput) *eepFeatures {
	name := strings.ToLower(KindEnvoyExtensionPolicy) + "/" + p.Namespace + "/" + p.Name
	f := &eepFeatures{}
	ext := &ir.Extensions{Policy: name}
	var closed fields.List // problems that fail closed whatever failOpen says
	for _, u := range unimplemented("spec", p.Spec, eepImplemented) {
		closed.Add(u, "is not supported by sluice")
	}
	if n := len(p.Spec.ExtProc) + len(p.Spec.Wasm); n > 16 {
		closed.Add("spec", "%d extProc and wasm entries are more than the 16 allowed", n)
	}
	var open fields.List // problems of entries with failOpen
	entry := func(failOpen *bool, errs []error) {
		if failOpen != nil && *failOpen {
			open = append(open, errs...)
		} else {
			closed = append(closed, errs...)
		}
	}
	for i, e := range p.Spec.ExtProc {
		field := fmt.Sprintf("spec.extProc[%d]", i)
		ep, c, ignored, errs := extProcSpec(field, fmt.Sprintf("%s/extproc/%d", name, i), i, p.Namespace, e, in)
		entry(e.FailOpen, errs)
		if len(errs) == 0 {
			ext.ExtProcs = append(ext.ExtProcs, ep)
			f.clusters = append(f.clusters, c)
			f.ignored = append(f.ignored, ignored...)
		}
	}
	for i, w := range p.Spec.Wasm {
		field := fmt.Sprintf("spec.wasm[%d]", i)
		wm, errs := wasmSpec(field, fmt.Sprintf("%s/wasm/%d", name, i), i, w, in)
		entry(w.FailOpen, errs)
		if len(errs) == 0 {
			ext.Wasms = append(ext.Wasms, wm)
		}
	}
	f.invalid = append(closed, open...)
	f.failClosed = len(closed) > 0
	if !f.failClosed && (len(ext.ExtProcs) > 0 || len(ext.Wasms) > 0) {
		f.ext = ext
	}
	return f
}
