// Package translate turns the files of one revision into xDS resources per
// Gateway plus Gateway API status.
//
// Translate is a pure function of the files it is given: it does no I/O
// beyond reading the fs.FS, and the same bytes in give the same bytes out
// (map iteration never decides order). An invalid object becomes a status
// condition and translation of the rest goes on; only YAML that cannot be
// parsed rejects a whole revision.
//
// It works in three stages:
//   - reading files: YAML/JSON documents → typed objects grouped by kind,
//     with their file and line (package translate/load, load.Objects;
//     translate/flatyaml re-indents flattened YAML; translate/decrypt
//     opens SOPS files with Options.Decryption's keys). Translate calls
//     load.Read, or a Cache (cache.go, decodecache.go) its load.Cache;
//     resources.go views load.Objects as Resources and gives load the
//     API server's checks of some kinds (service_validate.go,
//     referencegrant.go);
//   - Gateway API semantics: Resources → IR (translate/ir) and status
//     (translate/status): TranslateResources and translator.run
//     (gateway.go, httproute.go, grpcroute.go, l4route.go, backend.go,
//     service.go, irbuild*.go, ...), index.go finding objects by name,
//     and the policies (package policies, policies.go): route policies
//     are attached before the IR is built, which is built with what they
//     do (a policies.Plan);
//   - IR → xDS: package translate/xds (xds.Build, one Gateway at a time),
//     through the features it lists (translate/xds/features.go).
//
// IR → xDS goes through one interface, feature.Feature (translate/feature).
// A new HTTP filter implements it in its own file (in translate/xds for
// the Gateway API's filters, in package policies for a policy) and takes
// its place in translate/xds/features.go. Its IR → xDS golden case goes in
// testdata/ir (<case>.ir.yaml, one ir.Gateway, against <case>.xds.yaml),
// which translate/xds tests on its own. translate/golden holds the golden
// file helpers both stages' tests use.
//
// Files added for features (one line each):
//   - envoypatchpolicy.go, envoypatch_apply.go, envoypatch_types.go:
//     EnvoyPatchPolicy, JSON patches on the final xDS of a Gateway, and
//     the Envoy extension types a patch may name in a typed config.
//   - accesslog.go, filterorder.go: EnvoyProxy access logs and filterOrder
//     (their settings; translate/xds writes their xDS).
//   - mergegateways.go, mergegateways_ir.go: EnvoyProxy mergeGateways,
//     the Gateways of a class as one fleet (conflicts across members,
//     the merged IR, one result per member key).
//   - incremental.go: what a Cache keeps between revisions so that
//     unchanged routes and Backends are not resolved or built again
//     (their status and cluster registration are replayed), under
//     unchanged policies too (policies.InForce); the xDS of kept IR
//     objects is kept by translate/xds (xds.Memo).
//   - extensionpolicy.go: EnvoyExtensionPolicy's inputs (extProc backends,
//     the revision's files for Wasm modules, Options.Files).
//   - listenerset.go: ListenerSets, listeners a Gateway takes from other
//     namespaces, and routes' parentRefs to them.
//   - redact.go: the values of Secrets that printing redacts by value in
//     Gateways an EnvoyPatchPolicy changed (translate/xds/redact.go).
//   - budget limits (Options.Limits) are load's; regex program sizes
//     (Options.RegexProgramSize) are checked with translate/fields.
//   - serviceimport.go: multicluster.x-k8s.io ServiceImport backends,
//     their endpoints from EndpointSlices as a Service's.
//   - decodecache.go: a Cache has load patch the decoded revision before
//     when only files of HTTPRoutes and Backends changed, and the index
//     follows the Backends that changed.
//
// Result.Gateways are translate/xds's Gateways (GatewayResult, output.go);
// envoypatch*.go patch them, mergegateways.go fans merged ones out. The
// status types and condition reasons are translate/status's, shared
// with policies; status.go names those a Result holds. Field checks
// (Gateway API durations, ranges) and their errors are translate/fields's,
// shared with policies too.
//
// It must not import serve or sync.
package translate
