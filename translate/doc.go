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
//     and the policies (package policies, policies.go);
//   - IR → xDS: xds*.go, through the features (below).
//
// IR → xDS goes through one interface, feature.Feature (translate/feature):
// features.go lists every HTTP filter and policy once, in HTTP filter
// chain order; xds.go and xdsroute.go loop over that list. A new HTTP
// filter implements feature.Feature in its own file (here, or in package
// policies for a policy) and takes its place in features.go. Its IR → xDS
// golden case goes in testdata/ir (irgolden_test.go: <case>.ir.yaml, one
// ir.Gateway, against <case>.xds.yaml).
//
// Files added for features (one line each):
//   - envoypatchpolicy.go, envoypatch_apply.go, envoypatch_types.go:
//     EnvoyPatchPolicy, JSON patches on the final xDS of a Gateway, and
//     the Envoy extension types a patch may name in a typed config.
//   - accesslog.go, filterorder.go: EnvoyProxy access logs and filterOrder.
//   - mergegateways.go, mergegateways_ir.go: EnvoyProxy mergeGateways,
//     the Gateways of a class as one fleet (conflicts across members,
//     the merged IR, one result per member key).
//   - incremental.go: what a Cache keeps between revisions so that
//     unchanged routes and Backends are not resolved, built or marshalled
//     again (their status and cluster registration are replayed);
//     incremental_policies.go: the same with policies, which are given
//     working copies of what a Cache keeps.
//   - xds_quic.go: the QUIC listener of an HTTPS port with
//     ClientTrafficPolicy http3, and the Alt-Svc header on its routes.
//   - decodecache.go: a Cache has load patch the decoded revision before
//     when only files of HTTPRoutes and Backends changed, and the index
//     follows the Backends that changed.
//
// The status types and condition reasons are translate/status's, shared
// with policies; status.go names those a Result holds. Field checks
// (Gateway API durations, ranges) and their errors are translate/fields's,
// shared with policies too.
//
// It must not import serve or sync.
package translate
