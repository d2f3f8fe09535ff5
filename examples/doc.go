// Package examples holds runnable example repositories, one directory each
// (quickstart/ is the Envoy Gateway 1.2 host-mode quickstart; grpc/,
// session-persistence/, backend-tls/ and direct-response/ show GRPCRoute,
// the seed's cookie session persistence, BackendTLSPolicy and the seed's
// HTTPRouteFilter direct response; ipv6/ and failover/ the seed's
// EnvoyProxy ipFamily with an IPv6 Backend, and Backend failover with
// BackendTrafficPolicy health checks;
// response-override/ the seed's BackendTrafficPolicy responseOverride;
// envoy-patch/ EnvoyProxy access logs and filterOrder with
// EnvoyPatchPolicy JSON patches; basic-auth/ and ext-auth/ SecurityPolicy
// basicAuth, apiKeyAuth, header rules, cors and extAuth; traffic-policy/
// and load-balancing/ BackendTrafficPolicy's route and cluster features;
// l4-traffic-policy/ BackendTrafficPolicy on TCP, TLS and UDP routes;
// client-traffic/ ClientTrafficPolicy; http3/ its http3;
// client-traffic-chains/ its policies per HTTPS and TLS listener of a port;
// merged-gateways/ EnvoyProxy mergeGateways; extensions/
// EnvoyExtensionPolicy extProc and wasm, with a Wasm module in the
// repository; listener-sets/ a team's ListenerSet on a shared Gateway).
// grafana/ and prometheus/ hold a Grafana dashboard and Prometheus alert
// rules (with promtool tests), tested in cmd/sluice. sops/repo is basic-auth/ with its Secrets
// SOPS-encrypted for the test key sops/test-key.agekey (sops_test.go);
// systemd/ holds systemd units, checked with systemd-analyze
// (systemd_test.go). The
// test in this package loads every example as a revision and demands that
// every object is accepted and every snapshot is valid.
package examples
