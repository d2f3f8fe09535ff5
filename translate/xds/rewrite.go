package xds

import (
	"regexp"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// applyRewrite sets the rewrite fields of a route action.
func applyRewrite(ra *routev3.RouteAction, rw *ir.URLRewrite, match ir.PathMatch) {
	if rw == nil {
		return
	}
	if rw.Hostname != "" {
		ra.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: rw.Hostname}
	}
	applyExtRewrite(ra, rw) // Envoy Gateway's HTTPRouteFilter (httproutefilter_xds.go)
	if rw.Path == nil {
		return
	}
	if rw.Path.Type == ir.ReplaceFullPath {
		// Envoy matches the pattern against the path without the query
		// string, which is kept.
		ra.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{
			Pattern:      &matcherv3.RegexMatcher{Regex: "^/.*$"},
			Substitution: rw.Path.Value,
		}
		return
	}
	prefix, regex := prefixReplacement(match.Prefix, rw.Path.Value)
	if regex != nil {
		ra.RegexRewrite = regex
	} else {
		ra.PrefixRewrite = prefix
	}
}

// prefixReplacement implements ReplacePrefixMatch with Gateway API's path
// element semantics, given the route's PathPrefix match and the
// replacement: "/foo" → "/xyz" turns "/foo/bar" into "/xyz/bar", and "/foo"
// → "/" turns it into "/bar" (not "//bar"). It returns Envoy's
// prefix_rewrite, or a regex rewrite where a prefix rewrite would get that
// wrong.
func prefixReplacement(matchPrefix, replace string) (string, *matcherv3.RegexMatchAndSubstitute) {
	// The route matches the prefix without trailing slashes (see
	// buildRoute); so are replacements read.
	prefix := strings.TrimRight(matchPrefix, "/")
	repl := strings.TrimRight(replace, "/")
	switch {
	case prefix == "":
		// The route matches every path, "/" included: put the
		// replacement's path elements in front.
		return repl + "/", nil
	case repl == "":
		// Drop the prefix and the slashes after it; what is left is
		// rooted at "/".
		return "", &matcherv3.RegexMatchAndSubstitute{
			Pattern:      &matcherv3.RegexMatcher{Regex: "^" + regexp.QuoteMeta(prefix) + "/*"},
			Substitution: "/",
		}
	default:
		return repl, nil
	}
}
