package policies

import (
	"fmt"
	"slices"
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

// ExtensionInput is what a Plan reads of EnvoyExtensionPolicies.
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
// the clusters of its processors, or why it is invalid. It is not changed
// once eepSpec has made it: a Plan may hand it to the next one (plan.go).
type eepFeatures struct {
	ext      *ir.Extensions // nil: the routes get no extension
	clusters []*ir.Cluster
	invalid  []error
	// failClosed: the policy's routes answer 500.
	failClosed bool
	// ignored are backendSettings fields sluice does not apply.
	ignored []string
}

// eepPlan is the EnvoyExtensionPolicies of a revision, validated and
// attached before the IR is built (plan.go). Invalid policies attach too:
// their routes fail closed unless every failing entry has failOpen.
type eepPlan struct {
	keys     []string // NAMESPACE/NAME, in input order
	features []*eepFeatures
	att      *Attachments
	// byExt finds the features by their ir.Extensions.
	byExt map[*ir.Extensions]*eepFeatures
}

// newEEPPlan validates and attaches the policies of in. A policy whose
// features equal those it had in prev keeps prev's.
func newEEPPlan(in ExtensionInput, prev *eepPlan) *eepPlan {
	s := &eepPlan{keys: make([]string, len(in.Policies)), features: make([]*eepFeatures, len(in.Policies)),
		byExt: map[*ir.Extensions]*eepFeatures{}}
	attach := make([]Policy, len(in.Policies))
	for i, p := range in.Policies {
		s.keys[i] = p.Namespace + "/" + p.Name
		f := eepSpec(p, in)
		if prev != nil {
			if k := slices.Index(prev.keys, s.keys[i]); k >= 0 {
				f = interned(f, prev.features[k])
			}
		}
		s.features[i] = f
		if f.ext != nil {
			s.byExt[f.ext] = f
		}
		attach[i] = Policy{Kind: KindEnvoyExtensionPolicy, Namespace: p.Namespace, Name: p.Name,
			Created: p.CreationTimestamp.Time, Targets: p.Spec.PolicyTargetReferences}
	}
	s.att = Attach(attach, in.Targets)
	return s
}

// applyRoute writes what policy f runs into route r: its extensions, or,
// for an invalid policy that fails closed, a 500.
func (f *eepFeatures) applyRoute(r *ir.Route) {
	switch {
	case f.failClosed:
		failClosed(r)
	case f.ext != nil:
		r.Extensions = f.ext
	}
}

// finish adds to g the clusters of the processors of the policies in
// force on its routes. g.Clusters is left unsorted.
func (s *eepPlan) finish(g *ir.Gateway) {
	var last *ir.Extensions
	done := map[*eepFeatures]bool{}
	forEachVirtualHost(g, func(vh *ir.VirtualHost) {
		for _, r := range vh.Routes {
			if r.Extensions == nil || r.Extensions == last {
				continue
			}
			last = r.Extensions
			f := s.byExt[r.Extensions]
			if f == nil || done[f] {
				continue
			}
			done[f] = true
			for _, c := range f.clusters {
				addCluster(g, c)
			}
		}
	})
}

// status returns the status of every policy, in input order.
func (s *eepPlan) status() []*status.Object {
	statuses := make([]*status.Object, len(s.features))
	for i, f := range s.features {
		st := s.att.Status(i)
		if errs := f.invalid; len(errs) > 0 {
			then := "; the routes it is in force on answer 500"
			if !f.failClosed {
				then = "; the failing entries have failOpen and are skipped, the others run"
			}
			invalidate(st, fields.Reason(errs), fields.Message(errs)+then)
		} else if len(f.ignored) > 0 {
			addNotes(st, &btpFeatures{ignored: f.ignored}, nil)
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
