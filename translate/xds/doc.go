// Package xds is the IR → xDS stage of translate: it turns the IR of one
// Gateway (translate/ir, as translate and the policies leave it) into the
// Gateway's xDS resources (Build → Gateway: listeners, routes, clusters,
// endpoints, secrets), and prints (Document) and snapshots (Snapshot)
// them.
//
// Every HTTP filter and policy contributes through one interface,
// feature.Feature (translate/feature): features.go lists them once, in
// HTTP filter chain order, and the builder calls each in that order
// (build.go for listeners and connection managers, route.go for routes,
// build.go's buildCluster for clusters). A new HTTP filter implements
// feature.Feature in its own file (package policies for a policy; here
// for the Gateway API's own filters: cors.go, session.go, the router in
// build.go) and takes its place in features.go; its golden case goes in
// translate/testdata/ir (irgolden_test.go: <case>.ir.yaml, one
// ir.Gateway, against <case>.xds.yaml), which tests this package alone.
//
// Files (one line each):
//   - build.go: Build, listeners, connection managers, clusters;
//     route.go: route configurations, virtual hosts, routes and actions,
//     with headers.go, mirror.go, redirect.go, rewrite.go, timeouts.go,
//     directresponse.go (HTTPRouteFilter direct responses, regex rewrites);
//   - l4.go: TLS, TCP and UDP listeners, SDS secrets; quic.go: the HTTP/3
//     listeners; upstream.go, failover.go, healthcheck.go: cluster TLS,
//     priorities and health checks;
//   - accesslog.go, filterorder.go: EnvoyProxy access logs and
//     filterOrder moves of the HTTP filter chain;
//   - memo.go: Memo and Kept, the xDS of IR objects kept from one
//     translation to the next (translate's Cache decides when it may be
//     reused: translate/incremental.go);
//   - document.go, snapshot.go, sds.go, validatedeep.go: printing,
//     go-control-plane snapshots and their checks (every resource and
//     every message packed in an Any validated); redact.go: credentials
//     redacted by value in the printing of a Gateway that an
//     EnvoyPatchPolicy changed (KeepCredentials).
//
// It must not import translate (translate imports it); it may import
// translate/ir, translate/feature, policies and Envoy's API packages.
package xds
