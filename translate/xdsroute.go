package translate

import (
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// invalidBackendCluster names no cluster: a weighted share sent to it
// finds no cluster and gets a 500, as the spec asks of invalid backendRefs.
const invalidBackendCluster = "invalid-backend-ref"

// buildRouteConfig returns the routes of a listener, reusing the virtual
// hosts m kept (m may be nil).
func buildRouteConfig(l *ir.Listener, m *memo) *routev3.RouteConfiguration {
	// Host headers may carry the port ("www.example.com:8888"); domains do not.
	rc := &routev3.RouteConfiguration{Name: l.Name, IgnorePortInHostMatching: true}
	rc.VirtualHosts = slices.Grow(rc.VirtualHosts, len(l.VirtualHosts))
	for _, vh := range l.VirtualHosts {
		v, specific := m.virtualHostXDS(vh)
		// A backendRef's header filters run after the rule's, so theirs
		// must win where both set a header.
		rc.MostSpecificHeaderMutationsWins = rc.MostSpecificHeaderMutationsWins || specific
		rc.VirtualHosts = append(rc.VirtualHosts, v)
	}
	rc.MaxDirectResponseBodySizeBytes = maxDirectBody(l)
	return rc
}

// buildVirtualHost returns the xDS of a virtual host and whether a
// backend of it has header filters.
func buildVirtualHost(vh *ir.VirtualHost) (*routev3.VirtualHost, bool) {
	v := &routev3.VirtualHost{Name: vh.Name, Domains: vh.Domains}
	v.Routes = slices.Grow(v.Routes, len(vh.Routes))
	specific := false
	for _, r := range vh.Routes {
		v.Routes = append(v.Routes, buildRoute(r))
		for _, b := range r.Backends {
			specific = specific || hasHeaders(b)
		}
	}
	return v, specific
}

func stringMatcher(exact, regex string) *matcherv3.StringMatcher {
	if regex != "" {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: regex}}}
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: exact}}
}

func buildRoute(r *ir.Route) *routev3.Route {
	m := &routev3.RouteMatch{}
	switch {
	case r.Path.Exact != "":
		m.PathSpecifier = &routev3.RouteMatch_Path{Path: r.Path.Exact}
	case r.Path.Regex != "":
		m.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: r.Path.Regex}}
	case r.Path.Prefix == "/" || r.Path.Prefix == "":
		m.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: "/"}
	default:
		// Gateway API prefixes match whole path elements: "/foo" matches
		// "/foo" and "/foo/bar", never "/foobar".
		p := r.Path.Prefix
		for len(p) > 1 && p[len(p)-1] == '/' {
			p = p[:len(p)-1]
		}
		m.PathSpecifier = &routev3.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: p}
	}
	if r.Method != "" {
		m.Headers = append(m.Headers, &routev3.HeaderMatcher{
			Name:                 ":method",
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: stringMatcher(r.Method, "")},
		})
	}
	for _, h := range r.Headers {
		m.Headers = append(m.Headers, &routev3.HeaderMatcher{
			Name:                 h.Name,
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: stringMatcher(h.Exact, h.Regex)},
		})
	}
	for _, q := range r.QueryParams {
		m.QueryParameters = append(m.QueryParameters, &routev3.QueryParameterMatcher{
			Name:                         q.Name,
			QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: stringMatcher(q.Exact, q.Regex)},
		})
	}
	out := &routev3.Route{Name: r.Name, Match: m}
	out.RequestHeadersToAdd, out.RequestHeadersToRemove = headerOptions(r.RequestHeaders)
	out.ResponseHeadersToAdd, out.ResponseHeadersToRemove = headerOptions(r.ResponseHeaders)
	if r.CORS != nil {
		out.TypedPerFilterConfig = map[string]*anypb.Any{corsFilterName: corsPerRoute(r.CORS)}
	}
	addSessionConfig(out, r)
	policies.SecurityRouteConfig(out, r)
	policies.TrafficRouteConfig(out, r)
	if name, cfg, ok := policies.CustomResponseRouteConfig(r); ok {
		if out.TypedPerFilterConfig == nil {
			out.TypedPerFilterConfig = map[string]*anypb.Any{}
		}
		out.TypedPerFilterConfig[name] = cfg
	}
	switch {
	case r.DirectStatus != 0:
		out.Action = &routev3.Route_DirectResponse{DirectResponse: directResponseAction(out, r)}
		return out
	case r.Redirect != nil:
		out.Action = &routev3.Route_Redirect{Redirect: buildRedirect(r)}
		return out
	}
	ra := &routev3.RouteAction{ClusterNotFoundResponseCode: routev3.RouteAction_INTERNAL_SERVER_ERROR}
	if r.GRPC {
		// gRPC clients read 503 as UNAVAILABLE, which the GRPCRoute
		// spec asks for the share of an invalid backend.
		ra.ClusterNotFoundResponseCode = routev3.RouteAction_SERVICE_UNAVAILABLE
	}
	if len(r.Backends) == 1 && !hasHeaders(r.Backends[0]) {
		ra.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: r.Backends[0].Cluster}
	} else {
		wc := &routev3.WeightedCluster{}
		for _, b := range r.Backends {
			name := b.Cluster
			if name == "" {
				name = invalidBackendCluster
			}
			cw := &routev3.WeightedCluster_ClusterWeight{Name: name, Weight: wrapperspb.UInt32(b.Weight)}
			cw.RequestHeadersToAdd, cw.RequestHeadersToRemove = headerOptions(b.RequestHeaders)
			cw.ResponseHeadersToAdd, cw.ResponseHeadersToRemove = headerOptions(b.ResponseHeaders)
			wc.Clusters = append(wc.Clusters, cw)
		}
		ra.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}
	}
	applyRewrite(ra, r.Rewrite, r.Path)
	ra.RequestMirrorPolicies = mirrorPolicies(r.Mirrors)
	applyTimeouts(ra, r)
	policies.LoadBalancerRouteConfig(ra, r)
	policies.TrafficRouteAction(ra, r)
	out.Action = &routev3.Route_Route{Route: ra}
	return out
}
