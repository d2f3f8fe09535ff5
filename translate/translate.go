package translate

import (
	"io/fs"
	"sort"

	"github.com/sluice-gitops/sluice/translate/decrypt"
	"github.com/sluice-gitops/sluice/translate/status"
	"github.com/sluice-gitops/sluice/translate/xds"
)

// DefaultControllerName is the GatewayClass controllerName sluice manages
// unless told otherwise. It is Envoy Gateway's, so that Envoy Gateway
// repositories work unchanged.
const DefaultControllerName = "gateway.envoyproxy.io/gatewayclass-controller"

// Options tune a translation.
type Options struct {
	// ControllerName selects the GatewayClasses sluice manages.
	// Empty means DefaultControllerName.
	ControllerName string
	// Cache, if set, keeps the typed files of the last revision so that
	// the next one decodes only the files that changed, and what
	// translating it gave (cache.go).
	Cache *Cache
	// Limits bound what reading a revision may cost; zero fields are
	// load's defaults. A revision over them is a *ParseError wrapping a
	// *LimitError.
	Limits Limits
	// RegexProgramSize is the largest RE2 program size of a regex sent
	// to Envoy (its runtime re2.max_program_size.error_level); 0 means
	// Envoy's default, fields.DefaultRegexProgramSize. A larger regex
	// rejects its object, naming the field and the size.
	RegexProgramSize int
	// Decryption opens the revision's SOPS-encrypted files in memory
	// (translate/decrypt). Without it, a SOPS file rejects the revision.
	Decryption *decrypt.Keys
	// LiveEndpoints says that the endpoints of Services without
	// EndpointSlices in the repository come from elsewhere (sluice serve
	// in a cluster): such a Service does not warn, and each GatewayResult
	// lists it in LiveServices (live.go).
	LiveEndpoints bool
	// Files are the revision's files, for the objects that name one
	// (EnvoyExtensionPolicy wasm modules, extensionpolicy.go). Translate
	// sets them to the files it reads; without them, such objects are
	// rejected.
	Files fs.FS
}

// Result is the outcome of translating one revision.
type Result struct {
	// Gateways holds one entry per managed Gateway, by namespace and name.
	Gateways []*GatewayResult `json:"gateways" yaml:"gateways"`
	// Status holds the status of every object, by kind, namespace and name.
	Status []*status.Object `json:"status" yaml:"status"`
	// Warnings name problems that reject nothing (unknown kinds, unknown fields).
	Warnings []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// Rejected returns the statuses of the objects that were not accepted.
func (r *Result) Rejected() []*status.Object {
	var out []*status.Object
	for _, s := range r.Status {
		if s.Rejected() {
			out = append(out, s)
		}
	}
	return out
}

// Gateway returns the result for one Gateway, or nil.
func (r *Result) Gateway(namespace, name string) *GatewayResult {
	for _, g := range r.Gateways {
		if g.Namespace == namespace && g.Name == name {
			return g
		}
	}
	return nil
}

// Translate reads every .yaml, .yml and .json file of fsys as one revision
// (SOPS files decrypted with opts.Decryption) and translates it. The error is non-nil only when files cannot be read or
// parsed (each a *ParseError naming file and line); then no Result is given.
func Translate(fsys fs.FS, opts Options) (*Result, error) {
	fsys = opts.Decryption.FS(fsys)
	if opts.Files == nil {
		opts.Files = fsys // decrypted: a module may be SOPS-encrypted too
	}
	if opts.Cache != nil {
		return opts.Cache.translate(fsys, opts) // decodecache.go
	}
	res, warnings, err := readResources(fsys, opts.Limits)
	if err != nil {
		return nil, err
	}
	return TranslateResources(res, warnings, opts)
}

// TranslateResources translates typed objects (the Gateway API semantics
// and IR → xDS stages); Translate is this after reading files.
func TranslateResources(res *Resources, warnings []string, opts Options) (*Result, error) {
	if opts.ControllerName == "" {
		opts.ControllerName = DefaultControllerName
	}
	t := newTranslator(res, opts)
	t.memo = opts.Cache.startMemo(res, opts)
	t.warnings = append(t.warnings, warnings...)
	gateways := t.run()
	out := &Result{Warnings: t.warnings}
	for _, g := range gateways {
		if err := g.Validate(); err != nil {
			// A broken IR is a bug in translate; say so rather than serve it.
			t.warnings = append(t.warnings, "internal error: gateway "+g.Namespace+"/"+g.Name+": "+err.Error())
			continue
		}
		out.Gateways = append(out.Gateways, xds.Build(g, t.memo.xds()))
	}
	t.memo.finish(t.backends)
	t.applyEnvoyPatches(out.Gateways)
	t.liveServices(out.Gateways)
	out.Gateways = t.fanOutMerged(out.Gateways)
	out.Warnings = t.warnings
	out.Status = sortStatus(append(t.statusList, duplicateStatus(res.Duplicates)...))
	sort.Strings(out.Warnings)
	return out, nil
}
