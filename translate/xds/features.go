package xds

import (
	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/feature"
)

// features are the HTTP filters and policies that contribute to xDS, each
// listed once. Their order is the order of a listener's HTTP filter
// chain, written down here and nowhere else; it follows Envoy Gateway
// 1.2's (internal/xds/translator/httpfilters.go, newOrderedHTTPFilter),
// and each comment says why a filter sits where it does. An EnvoyProxy's
// filterOrder may move filters afterwards (filterorder.go). The xDS
// builder asks every feature, in this order, for its listener filters
// (httpFilters), its route settings and route action edits (buildRoute)
// and its cluster edits (buildCluster).
//
// A new HTTP filter implements feature.Feature in its own file and takes
// its place in this list.
var features = []feature.Feature{
	// health_check (ClientTrafficPolicy healthCheck) answers the probe
	// before anything else can refuse it: the answer must depend only on
	// whether Envoy is draining (policies, clienttraffic_xds.go).
	policies.ClientHealthCheck{},
	// fault (BackendTrafficPolicy faultInjection) delays or aborts
	// requests as they arrive, before any other work is done for them
	// (policies, btp_fault.go).
	policies.Fault{},
	// cors (HTTPRoute CORS filter, SecurityPolicy cors) precedes
	// authentication: it answers preflight requests itself, which carry
	// no credentials, and the headers it adds must not depend on later
	// filters (filter_cors.go).
	corsFeature{},
	// ext_authz, then api_key_auth, then basic_auth (SecurityPolicy
	// extAuth, apiKeyAuth, basicAuth), as Envoy Gateway orders them; each
	// acts only on the routes configured for it (policies, extauth_xds.go,
	// apikeyauth.go, basicauth.go). Envoy Gateway 1.2 has no API key
	// authentication: 1.3 added it (envoyproxy/gateway#4986) between
	// ext_authz and basic_auth, where it is here.
	policies.ExtAuthz{},
	policies.APIKeyAuth{},
	policies.BasicAuth{},
	// oauth2 (SecurityPolicy oidc) follows cors, so that preflight
	// requests are not redirected to the provider, and precedes
	// jwt_authn, so that jwt_authn can read the ID token from the cookie
	// oauth2 sets (extractFrom.cookies). One disabled filter per policy;
	// its routes enable it (policies, oidc_xds.go).
	policies.OAuth2{},
	// jwt_authn (SecurityPolicy jwt) precedes authorization, which
	// matches the payload it stores in the request's metadata. It checks
	// only the routes that name a requirement (policies, jwt.go).
	policies.JWTAuthn{},
	// stateful_session (route rules' sessionPersistence) follows
	// authentication and precedes rbac, as in Envoy Gateway 1.2. It only
	// picks the upstream host (from the session cookie or header) and
	// writes the session into upstream responses, so the filters after it
	// may still refuse the request; its place matters for an EnvoyProxy's
	// filterOrder, whose moves are relative to other filters. Disabled
	// here; the routes with sessionPersistence enable it
	// (sessionpersistence.go).
	sessionFeature{},
	// rbac (SecurityPolicy authorization) comes after every
	// authentication filter. The listener's filter allows all; the routes
	// under a policy carry their rules (policies, authz.go).
	policies.RBAC{},
	// local_ratelimit (BackendTrafficPolicy rateLimit) counts only the
	// requests that passed authentication and authorization (policies,
	// btp_ratelimit.go).
	policies.LocalRateLimit{},
	// custom_response (BackendTrafficPolicy responseOverride) sits after
	// the filters that may answer a request themselves (authentication,
	// authorization, rate limits), as in Envoy Gateway 1.2. Local
	// replies pass through the whole encoder chain, so it rewrites
	// theirs as well as the upstream's responses. One disabled filter per
	// policy; the routes it is in force on enable it (policies,
	// responseoverride.go).
	policies.CustomResponse{},
	// compressor (BackendTrafficPolicy compression) sits next to the
	// router, so that it compresses the upstream's responses and the
	// custom responses above (policies, btp_compression.go).
	policies.Compressor{},
	// router must be the last filter: it forwards the request upstream
	// (xds.go).
	routerFeature{},

	// The policies below add no HTTP filter; they edit route actions and
	// clusters only, so their place after the router orders nothing but
	// those edits.

	// BackendTrafficPolicy loadBalancer consistentHash: the route's hash
	// policy (policies, btp_lb.go).
	policies.LoadBalancer{},
	// BackendTrafficPolicy retry and timeout.http.requestTimeout, where
	// the route sets none of its own (policies, btp_retry.go).
	policies.RetryTimeout{},
	// BackendTrafficPolicy cluster settings: loadBalancer,
	// circuitBreaker, connection settings (policies, btp_cluster.go).
	policies.ClusterTraffic{},
	// ClientTrafficPolicy connection settings: listeners (connection
	// limits, buffer sizes, proxy protocol, client IP detection),
	// connection managers (timeouts, HTTP options) and downstream TLS
	// (policies, clienttraffic_xds.go, ctp_listener.go).
	policies.ClientConnection{},
}
