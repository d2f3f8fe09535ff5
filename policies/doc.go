// Package policies owns each Envoy Gateway policy kind end to end: how it
// attaches to its targets, its validation and status, and the Envoy
// filter configuration it produces, one file per feature.
//
//   - attach.go: policy attachment, shared by every kind: targetRef(s) and
//     targetSelectors, precedence (route over listener over Gateway:
//     Overridden), conflicts (the older wins: Conflicted), TargetNotFound.
//   - backendtrafficpolicy.go: BackendTrafficPolicy validation, attachment
//     and status; its features: responseoverride.go (custom_response),
//     healthcheck.go (active and passive health checks).
//   - btp_cluster.go: BackendTrafficPolicy cluster settings, in
//     btp_lb.go (loadBalancer; hash policies on routes),
//     btp_circuitbreaker.go (circuitBreaker) and btp_connection.go
//     (tcpKeepalive, proxyProtocol, connection timeouts);
//     btp_cluster_copies.go puts them and healthCheck on per-policy
//     copies of the routes' clusters; btp_validate.go holds
//     specValidator, which collects the problems of a whole spec.
//   - btp_l4.go: BackendTrafficPolicy on TCPRoute, TLSRoute and UDPRoute
//     traffic (cluster copies for tcp_proxy and udp_proxy, source-IP
//     hash policies, status notes for the fields that do not apply).
//   - btp_route.go: BackendTrafficPolicy route settings (ir.Route.Traffic),
//     in btp_retry.go (retry, timeout.http.requestTimeout: route action),
//     btp_ratelimit.go (local rateLimit: local_ratelimit),
//     btp_fault.go (faultInjection: fault) and btp_compression.go
//     (compression, compressor: compressor).
//   - securitypolicy.go: SecurityPolicy validation, attachment and status;
//     an invalid policy fails closed (its routes answer 500). Its
//     features: oidc.go and oidc_xds.go (oauth2, token endpoint
//     clusters, client and HMAC secrets over SDS), jwt.go (jwt_authn,
//     JWKS clusters), authz.go (RBAC).
//   - cors.go: SecurityPolicy cors, as the routes' CORS policy (an
//     HTTPRoute's own CORS filter wins).
//   - extauth.go, extauth_xds.go: SecurityPolicy extAuth (ext_authz, one
//     disabled filter per policy, a cluster of its own for the service).
//   - basicauth.go: SecurityPolicy basicAuth (basic_auth, one disabled
//     filter per policy); basicauth_htpasswd.go checks the htpasswd list,
//     secretref.go follows the credential Secrets of basicAuth and
//     apiKeyAuth, basicauth_redact.go redacts both in printed xDS.
//   - apikeyauth.go: SecurityPolicy apiKeyAuth (api_key_auth, keys on the
//     routes); authz.go also matches principal headers.
//   - clienttrafficpolicy.go: ClientTrafficPolicy attachment per port and
//     status; ctp_spec.go and ctp_tls.go its validation into
//     ir.Listener.Client, clienttraffic_xds.go (connection managers, TLS
//     contexts, health_check) and ctp_listener.go (listener, chains) its
//     Envoy config; ctp_http3.go its http3 (which ports get a QUIC
//     listener, and the status notes).
//   - ctp_chains.go: ClientTrafficPolicy per TLS chain on a port shared by
//     HTTPS and TLS listeners; the port-wide settings that must agree.
//
// translate attaches the BackendTrafficPolicies and SecurityPolicies
// before it builds the IR (plan.go: Plan): it asks the Plan which
// policies are in force on each route as it builds it (InForce,
// comparable across translations) and has it write what they do
// (ApplyRoute), then adds what a Gateway needs (FinishGateway: cluster
// copies, L4 routes, JWKS/OIDC clusters and secrets).
// ClientTrafficPolicies, on listeners only, are applied to the built IR.
// The IR fields policies write: ir.Route.Traffic, ResponseOverride,
// LoadBalancer, Security and CORS (and Backends, renamed to cluster
// copies); ir.Cluster.HealthCheck, OutlierDetection and Traffic on the
// copies; ir.Listener.Client. Each policy's Envoy config is a
// feature.Feature (translate/feature) in the policy's own file (Fault,
// JWTAuthn, RBAC, CustomResponse, ClusterTraffic, ClientConnection, ...),
// which the xDS builder calls from its one ordered list
// (translate/xds/features.go). A new HTTP
// filter: a type embedding feature.Base in its feature's file, listed at
// its place in translate/xds/features.go.
//
// Its status (conditions, per-ancestor status, attachments) is written in
// translate/status's types, which translate puts into the Result as is.
// Validation reports each problem as a translate/fields error naming its
// field (fields.List collects them; durations, percentages and counts
// are checked there); a policy's Accepted=False message joins them.
//
// It must not import translate (translate imports it); it may import
// translate/ir, translate/status, translate/fields and the API type
// packages.
package policies
