package translate

import (
	"fmt"
	"regexp"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// CORS: Envoy's cors HTTP filter sits in the listener's filter chain (only
// of listeners with a CORS route); each route carries its policy in
// typed_per_filter_config.

// corsOrigin is the CRD pattern of CORSOrigin.
var corsOrigin = regexp.MustCompile(`(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)`)

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
		if _, re := ir.OriginMatch(string(o)); re != "" && o != "*" && corsOrigin.MatchString(string(o)) {
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
