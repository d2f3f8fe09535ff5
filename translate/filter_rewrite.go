package translate

import (
	"fmt"
	"regexp"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// URLRewrite: replace the Host header (host_rewrite_literal) and the path
// before forwarding. The path helpers here serve RequestRedirect too.

func validateRewrite(field string, f *gwapiv1.HTTPURLRewriteFilter) []error {
	var errs []error
	if f.Hostname != nil && !validHostname(string(*f.Hostname), false) {
		errs = append(errs, fmt.Errorf("field %s.hostname: %q is not a valid hostname (lowercase RFC 1123, no wildcard)", field, *f.Hostname))
	}
	return append(errs, validatePathModifier(field+".path", f.Path)...)
}

// validatePathModifier checks the CEL rules of HTTPPathModifier: the type
// and the one value field agree.
func validatePathModifier(field string, p *gwapiv1.HTTPPathModifier) []error {
	if p == nil {
		return nil
	}
	var errs []error
	switch p.Type {
	case gwapiv1.FullPathHTTPPathModifier:
		if p.ReplaceFullPath == nil {
			errs = append(errs, fmt.Errorf("field %s.replaceFullPath: must be specified when type is ReplaceFullPath", field))
		}
		if p.ReplacePrefixMatch != nil {
			errs = append(errs, fmt.Errorf("field %s.replacePrefixMatch: type must be ReplacePrefixMatch when replacePrefixMatch is set", field))
		}
	case gwapiv1.PrefixMatchHTTPPathModifier:
		if p.ReplacePrefixMatch == nil {
			errs = append(errs, fmt.Errorf("field %s.replacePrefixMatch: must be specified when type is ReplacePrefixMatch", field))
		}
		if p.ReplaceFullPath != nil {
			errs = append(errs, fmt.Errorf("field %s.replaceFullPath: type must be ReplaceFullPath when replaceFullPath is set", field))
		}
	default:
		return []error{fmt.Errorf("field %s.type: %q is not one of ReplaceFullPath, ReplacePrefixMatch", field, p.Type)}
	}
	for _, v := range []*string{p.ReplaceFullPath, p.ReplacePrefixMatch} {
		if v != nil && len(*v) > 1024 {
			errs = append(errs, fmt.Errorf("field %s: the path is longer than 1024 characters", field))
		}
	}
	return errs
}

// pathModifier copies a valid HTTPPathModifier into the IR. An empty full
// path means "/": a request path cannot be empty.
func pathModifier(p *gwapiv1.HTTPPathModifier) *ir.PathModifier {
	switch {
	case p == nil:
		return nil
	case p.Type == gwapiv1.FullPathHTTPPathModifier:
		v := *p.ReplaceFullPath
		if v == "" {
			v = "/"
		}
		return &ir.PathModifier{Type: ir.ReplaceFullPath, Value: v}
	default:
		return &ir.PathModifier{Type: ir.ReplacePrefixMatch, Value: *p.ReplacePrefixMatch}
	}
}

func urlRewrite(f *gwapiv1.HTTPURLRewriteFilter) *ir.URLRewrite {
	rw := &ir.URLRewrite{Path: pathModifier(f.Path)}
	if f.Hostname != nil {
		rw.Hostname = string(*f.Hostname)
	}
	return rw
}

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
