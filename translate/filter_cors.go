package translate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// CORS: Envoy's cors HTTP filter sits in the listener's filter chain (only
// of listeners with a CORS route); each route carries its policy in
// typed_per_filter_config.

const corsFilterName = "envoy.filters.http.cors"

// corsOrigin is the CRD pattern of CORSOrigin.
var corsOrigin = regexp.MustCompile(`(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)`)

// allMethods is what "*" stands for where the spec forbids answering "*".
const allMethods = "GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH"

func validateCORS(field string, f *gwapiv1.HTTPCORSFilter, maxRegex int) []error {
	var errs []error
	lists := []struct {
		name   string
		values []string
		max    int
		check  func(string) bool
		star   bool // "*" is allowed, alone
	}{
		{"allowOrigins", toStrings(f.AllowOrigins), 64, corsOrigin.MatchString, true},
		{"allowMethods", toStrings(f.AllowMethods), 9, func(m string) bool { return m == "*" || validMethods[gwapiv1.HTTPMethod(m)] }, true},
		{"allowHeaders", toStrings(f.AllowHeaders), 64, func(h string) bool { return h == "*" || headerName.MatchString(h) }, true},
		{"exposeHeaders", toStrings(f.ExposeHeaders), 64, func(h string) bool { return h == "*" || headerName.MatchString(h) }, false},
	}
	for _, l := range lists {
		if len(l.values) > l.max {
			errs = append(errs, fmt.Errorf("field %s.%s: %d entries are more than the %d allowed", field, l.name, len(l.values), l.max))
		}
		seen := map[string]bool{}
		for i, v := range l.values {
			switch {
			case !l.check(v):
				errs = append(errs, fmt.Errorf("field %s.%s[%d]: %q is not valid", field, l.name, i, v))
			case seen[v]:
				errs = append(errs, fmt.Errorf("field %s.%s[%d]: %q is listed twice", field, l.name, i, v))
			case l.star && v == "*" && len(l.values) > 1:
				errs = append(errs, fmt.Errorf("field %s.%s: cannot contain '*' alongside other values", field, l.name))
			}
			seen[v] = true
		}
	}
	if f.MaxAge < 0 {
		errs = append(errs, fmt.Errorf("field %s.maxAge: %d must be at least 1", field, f.MaxAge))
	}
	for i, o := range f.AllowOrigins {
		if _, re := ir.OriginMatch(string(o)); re != "" && corsOrigin.MatchString(string(o)) {
			if err := fields.Regex(re, maxRegex); err != nil {
				errs = append(errs, fmt.Errorf("field %s.allowOrigins[%d]: as the regex Envoy matches: %w", field, i, err))
			}
		}
	}
	return errs
}

func toStrings[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

// corsPolicy copies a valid filter into the IR with the CRD default
// maxAge, 5 seconds.
func corsPolicy(f *gwapiv1.HTTPCORSFilter) *ir.CORS {
	c := &ir.CORS{
		AllowOrigins:     toStrings(f.AllowOrigins),
		AllowMethods:     toStrings(f.AllowMethods),
		AllowHeaders:     toStrings(f.AllowHeaders),
		ExposeHeaders:    toStrings(f.ExposeHeaders),
		AllowCredentials: f.AllowCredentials != nil && *f.AllowCredentials,
		MaxAgeSeconds:    5,
	}
	if f.MaxAge > 0 {
		c.MaxAgeSeconds = uint32(f.MaxAge)
	}
	return c
}

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
