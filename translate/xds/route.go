package xds

import (
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// invalidBackendCluster names no cluster: a weighted share sent to it
// finds no cluster and gets a 500, as the spec asks of invalid backendRefs.
const invalidBackendCluster = "invalid-backend-ref"

// buildRouteConfig returns the routes of a listener, reusing the virtual
// hosts m kept (m may be nil).
func buildRouteConfig(l *ir.Listener, m *Memo) *routev3.RouteConfiguration {
	// Host headers may carry the port ("www.example.com:8888"); domains do not.
	rc := &routev3.RouteConfiguration{Name: l.Name, IgnorePortInHostMatching: true}
	rc.VirtualHosts = slices.Grow(rc.VirtualHosts, len(l.VirtualHosts))
	for _, vh := range l.VirtualHosts {
		v, specific := m.virtualHost(vh)
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

// buildRoute returns the xDS route of r: its match, headers, the
// settings of every feature (features.go) and its action.
func buildRoute(r *ir.Route) *routev3.Route {
	out := &routev3.Route{Name: r.Name, Match: routeMatch(r)}
	out.RequestHeadersToAdd, out.RequestHeadersToRemove = headerOptions(r.RequestHeaders)
	out.ResponseHeadersToAdd, out.ResponseHeadersToRemove = headerOptions(r.ResponseHeaders)
	for _, f := range features {
		f.Route(out, r)
	}
	switch {
	case r.DirectStatus != 0:
		out.Action = &routev3.Route_DirectResponse{DirectResponse: directResponseAction(out, r)}
		return out
	case r.Redirect != nil:
		out.Action = &routev3.Route_Redirect{Redirect: buildRedirect(r)}
		return out
	}
	out.Action = &routev3.Route_Route{Route: routeAction(r)}
	return out
}

// routeMatch is the xDS match of r: path, method, headers and query
// parameters.
func routeMatch(r *ir.Route) *routev3.RouteMatch {
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
	return m
}

// routeAction is the action of a route r that forwards to its backends'
// clusters, with the edits of every feature.
func routeAction(r *ir.Route) *routev3.RouteAction {
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
	for _, f := range features {
		f.RouteAction(ra, r)
	}
	return ra
}
