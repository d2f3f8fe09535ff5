// Package policies owns each Envoy Gateway policy kind end to end: how it
// attaches to its targets, its validation and status, and the Envoy
// filter configuration it produces, one file per feature.
//
//   - attach.go: policy attachment, shared by every kind: targetRef(s) and
//     targetSelectors, precedence (route over listener over Gateway:
//     Overridden), conflicts (the older wins: Conflicted), TargetNotFound.
//   - status.go: conditions and per-ancestor status (PolicyAncestorStatus).
//   - backendtrafficpolicy.go: BackendTrafficPolicy validation, attachment
//     and status; its features: responseoverride.go (custom_response),
//     healthcheck.go (active and passive health checks on per-policy
//     copies of the routes' clusters).
//   - securitypolicy.go: SecurityPolicy validation, attachment and status;
//     an invalid policy fails closed (its routes answer 500). Its
//     features: oidc.go and oidc_xds.go (oauth2, token endpoint
//     clusters, client and HMAC secrets over SDS), jwt.go (jwt_authn,
//     JWKS clusters), authz.go (RBAC).
//
// translate calls in once the routes are built (translator.run), with a
// view of the targets and the IR; policies write IR fields
// (ir.Route.ResponseOverride; ir.Cluster.HealthCheck and
// OutlierDetection, on clusters they add to ir.Gateway.Clusters) and
// give translate's xDS builder the protos of their own filters (CustomResponseFilters,
// CustomResponseRouteConfig), which it places in the one ordered HTTP
// filter list (translate/xds.go, httpFilters).
//
// It must not import translate (translate imports it); it may import
// translate/ir and the API type packages.
package policies
