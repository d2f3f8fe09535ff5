package policies

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy cors: the policy's CORS becomes the CORS policy of the
// routes it is in force on, which Envoy's cors filter applies as it does an
// HTTPRoute CORS filter's (translate, filter_cors.go: an origin with "*"
// becomes an anchored, case-insensitive regex, as Envoy Gateway turns
// wildcards into regexes; the others match exactly).
//
// A route's own HTTPRoute CORS filter takes precedence over the policy's,
// whole, as in Envoy Gateway (its cors HTTP filter takes the route's CORS
// when there is one, else the SecurityPolicy's).
//
// Envoy Gateway sends Access-Control-Max-Age only when maxAge is set;
// sluice's CORS always carries one, so an unset maxAge is 5 seconds, what
// the Fetch standard has a browser assume when the header is absent. "*"
// among allowMethods or allowHeaders stands for all, alone (Envoy reads "*"
// in a list as a literal).

// spAccessFields are the SecurityPolicy spec fields cors.go and
// extauth.go implement.
var spAccessFields = map[string]bool{"cors": true, "extAuth": true}

// defaultCORSMaxAge is what a browser assumes without Access-Control-Max-Age.
const defaultCORSMaxAge = 5

// corsOriginPattern is the CRD pattern of an Origin.
var corsOriginPattern = regexp.MustCompile(`^(\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/(\*|(\*\.)?(([\w-]+\.?)+)?[\w-]+)(:\d{1,5})?)$`)

// corsSpec checks spec.cors and writes it into f; it returns the
// problems, each naming its field.
func corsSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []error {
	c := p.Spec.CORS
	if c == nil {
		return nil
	}
	const field = "spec.cors"
	var errs fields.List
	out := &ir.CORS{
		AllowMethods:     starAlone(c.AllowMethods),
		AllowHeaders:     starAlone(c.AllowHeaders),
		ExposeHeaders:    c.ExposeHeaders,
		AllowCredentials: c.AllowCredentials != nil && *c.AllowCredentials,
		MaxAgeSeconds:    defaultCORSMaxAge,
	}
	for i, o := range c.AllowOrigins {
		if len(o) < 1 || len(o) > 253 || !corsOriginPattern.MatchString(string(o)) {
			errs.Add(fmt.Sprintf("%s.allowOrigins[%d]", field, i), "%q is not an origin (\"*\", SCHEME://HOST[:PORT], HOST may start with \"*.\" or be \"*\")", o)
		} else if _, re := ir.OriginMatch(string(o)); re != "" && o != "*" {
			if err := fields.Regex(re, in.RegexProgramSize); err != nil {
				errs.Check(fields.Wrap(fmt.Sprintf("%s.allowOrigins[%d]", field, i), fmt.Errorf("as the regex Envoy matches: %w", err)))
			}
		}
		out.AllowOrigins = append(out.AllowOrigins, string(o))
	}
	if m := c.MaxAge; m != nil {
		d, err := fields.Duration(field+".maxAge", string(*m), 0)
		errs.Check(err)
		out.MaxAgeSeconds = uint32(d / time.Second)
	}
	if len(errs) == 0 {
		f.security.CORS = out
	}
	return errs
}

// starAlone returns ["*"] when list holds "*", else list.
func starAlone(list []string) []string {
	if slices.Contains(list, "*") {
		return []string{"*"}
	}
	return list
}

// routeCORS is the CORS of a route with CORS own (from an HTTPRoute
// filter, or nil) under a SecurityPolicy doing s: its own wins.
func routeCORS(own *ir.CORS, s *ir.Security) *ir.CORS {
	if own != nil || s == nil {
		return own
	}
	return s.CORS
}
