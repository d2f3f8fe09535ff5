package policies

import (
	"net/url"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// extAuth's Envoy configuration, as Envoy Gateway's: one ext_authz filter
// per SecurityPolicy with extAuth in force on a listener's routes, named
// ExtAuthzFilterName/POLICY, disabled; the routes under the policy enable
// it with their check settings (context extensions) in
// typed_per_filter_config.

// ExtAuthzFilterName is the name of Envoy's external authorization filter.
const ExtAuthzFilterName = "envoy.filters.http.ext_authz"

func extAuthzFilterName(s *ir.Security) string { return ExtAuthzFilterName + "/" + s.Policy }

// ExtAuthz is the ext_authz filters of SecurityPolicy extAuth (a
// feature.Feature).
type ExtAuthz struct{ feature.Base }

// HTTPFilters are the listener's ext_authz filters, one per policy with
// extAuth in force on its routes, disabled, sorted by name.
func (ExtAuthz) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	return disabledFilters(l.VirtualHosts, func(r *ir.Route, add func(string, *ir.ExtAuth)) {
		if r.Security != nil && r.Security.ExtAuth != nil {
			add(extAuthzFilterName(r.Security), r.Security.ExtAuth)
		}
	}, func(e *ir.ExtAuth) proto.Message { return extAuthzConfig(e) })
}

// extAuthzConfig is the filter's configuration for one policy's extAuth.
func extAuthzConfig(e *ir.ExtAuth) *extauthzv3.ExtAuthz {
	cfg := &extauthzv3.ExtAuthz{
		TransportApiVersion: corev3.ApiVersion_V3,
		FailureModeAllow:    e.FailOpen,
		ClearRouteCache:     e.RecomputeRoute,
	}
	if len(e.HeadersToExtAuth) > 0 {
		cfg.AllowedHeaders = headerList(e.HeadersToExtAuth)
	}
	if e.MaxRequestBytes > 0 {
		cfg.WithRequestBody = &extauthzv3.BufferSettings{MaxRequestBytes: e.MaxRequestBytes}
	}
	if e.StatusOnError != 0 {
		cfg.StatusOnError = &typev3.HttpStatus{Code: typev3.StatusCode(e.StatusOnError)}
	}
	timeout := durationpb.New(e.Timeout.Std())
	if e.GRPC {
		cfg.Services = &extauthzv3.ExtAuthz_GrpcService{GrpcService: &corev3.GrpcService{
			TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{
				ClusterName: e.Cluster, Authority: e.Authority,
			}},
			Timeout: timeout,
		}}
		return cfg
	}
	// Envoy sends the check to the cluster; the URI's host only names the
	// authority (http: the cluster's TLS, if any, still applies).
	path := e.HTTP.PathPrefix
	if e.HTTP.PathOverride != "" {
		path = e.HTTP.PathOverride
	}
	svc := &extauthzv3.HttpService{
		ServerUri: &corev3.HttpUri{
			Uri:              (&url.URL{Scheme: "http", Host: e.Authority, Path: path}).String(),
			HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: e.Cluster},
			Timeout:          timeout,
		},
		PathPrefix:   e.HTTP.PathPrefix,
		PathOverride: e.HTTP.PathOverride,
	}
	if len(e.HTTP.HeadersToBackend) > 0 {
		svc.AuthorizationResponse = &extauthzv3.AuthorizationResponse{AllowedUpstreamHeaders: headerList(e.HTTP.HeadersToBackend)}
	}
	cfg.Services = &extauthzv3.ExtAuthz_HttpService{HttpService: svc}
	return cfg
}

// headerList matches the named headers, ignoring case.
func headerList(names []string) *matcherv3.ListStringMatcher {
	l := &matcherv3.ListStringMatcher{}
	for _, n := range names {
		l.Patterns = append(l.Patterns, &matcherv3.StringMatcher{
			MatchPattern: &matcherv3.StringMatcher_Exact{Exact: n}, IgnoreCase: true,
		})
	}
	return l
}

// Route enables the ext_authz filter of r's policy on r, with its check
// settings.
func (ExtAuthz) Route(out *routev3.Route, r *ir.Route) {
	if r.Security == nil || r.Security.ExtAuth == nil {
		return
	}
	feature.SetFilterConfig(out, extAuthzFilterName(r.Security), mustAny(&extauthzv3.ExtAuthzPerRoute{
		Override: &extauthzv3.ExtAuthzPerRoute_CheckSettings{CheckSettings: &extauthzv3.CheckSettings{
			ContextExtensions: r.Security.ExtAuth.ContextExtensions,
		}},
	}))
}
