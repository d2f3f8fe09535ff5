package xds

import (
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

const corsFilterName = "envoy.filters.http.cors"

// allMethods is what "*" stands for where the spec forbids answering "*".
const allMethods = "GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH"

// corsPerRoute is a route's typed_per_filter_config entry for the cors
// filter.
func corsPerRoute(c *ir.CORS) *anypb.Any {
	p := &corsv3.CorsPolicy{
		AllowMethods:  strings.Join(c.AllowMethods, ", "),
		AllowHeaders:  strings.Join(c.AllowHeaders, ", "),
		ExposeHeaders: strings.Join(c.ExposeHeaders, ", "),
		MaxAge:        strconv.FormatUint(uint64(c.MaxAgeSeconds), 10),
	}
	if c.AllowCredentials {
		p.AllowCredentials = wrapperspb.Bool(true)
		// With credentials, the answer must name methods, not "*".
		if p.AllowMethods == "*" {
			p.AllowMethods = allMethods
		}
	}
	for _, o := range c.AllowOrigins {
		p.AllowOriginStringMatch = append(p.AllowOriginStringMatch, originMatcher(o))
	}
	return mustAny(p)
}

// originMatcher matches the Origin header against one allowed origin
// (ir.OriginMatch).
func originMatcher(o string) *matcherv3.StringMatcher {
	if o == "*" {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: ".*"}}}
	}
	exact, re := ir.OriginMatch(o)
	if re == "" {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: exact}, IgnoreCase: true}
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: re}}}
}

// corsFeature is the cors filter of HTTPRoute CORS filters and
// SecurityPolicy cors (a feature.Feature).
type corsFeature struct{ feature.Base }

// HTTPFilters is the listener's cors filter, if one of its routes has a
// CORS policy. It has no policy of its own; the routes carry theirs.
func (corsFeature) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			if r.CORS != nil {
				return []*hcmv3.HttpFilter{{Name: corsFilterName, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&corsv3.Cors{})}}}
			}
		}
	}
	return nil
}

// Route gives a route its CORS policy.
func (corsFeature) Route(out *routev3.Route, r *ir.Route) {
	if r.CORS != nil {
		feature.SetFilterConfig(out, corsFilterName, corsPerRoute(r.CORS))
	}
}
