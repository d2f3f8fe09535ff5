package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// The Envoy configuration of Envoy Gateway's HTTPRouteFilter
// (httproutefilter.go): direct responses with a body, and the rewrites
// Gateway API's URLRewrite does not have.

// envoyDirectBodyLimit is Envoy's default max_direct_response_body_size_bytes.
const envoyDirectBodyLimit = 4096

// directResponseAction answers with the route's status and body, and adds
// the direct response's headers to out, the content type last so it wins.
// The body is sent as written: Envoy Gateway would expand Envoy's command
// operators (%...%) in it, which a body with a stray "%" turns into a
// rejected route configuration.
func directResponseAction(out *routev3.Route, r *ir.Route) *routev3.DirectResponseAction {
	a := &routev3.DirectResponseAction{Status: r.DirectStatus}
	d := r.Direct
	if d == nil {
		return a
	}
	if d.Body != "" {
		a.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: d.Body}}
	}
	add, _ := headerOptions(d.Headers)
	out.ResponseHeadersToAdd = append(out.ResponseHeadersToAdd, add...)
	if d.ContentType != "" {
		out.ResponseHeadersToAdd = append(out.ResponseHeadersToAdd, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: "content-type", Value: d.ContentType},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	return a
}

// maxDirectBody raises Envoy's limit on direct response bodies (4 KiB)
// to the largest body of a listener's routes, or returns nil if none is
// larger: a ConfigMap may hold up to 1 MiB.
func maxDirectBody(l *ir.Listener) *wrapperspb.UInt32Value {
	largest := 0
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			if r.Direct != nil && len(r.Direct.Body) > largest {
				largest = len(r.Direct.Body)
			}
		}
	}
	if largest <= envoyDirectBodyLimit {
		return nil
	}
	return wrapperspb.UInt32(uint32(largest))
}

// applyExtRewrite sets the rewrites of an HTTPRouteFilter's urlRewrite.
func applyExtRewrite(ra *routev3.RouteAction, rw *ir.URLRewrite) {
	if rr := rw.PathRegex; rr != nil {
		ra.RegexRewrite = regexMatchAndSubstitute(rr)
	}
	switch {
	case rw.HostHeader != "":
		ra.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteHeader{HostRewriteHeader: rw.HostHeader}
	case rw.AutoHost:
		ra.HostRewriteSpecifier = &routev3.RouteAction_AutoHostRewrite{AutoHostRewrite: wrapperspb.Bool(true)}
	case rw.HostPathRegex != nil:
		ra.HostRewriteSpecifier = &routev3.RouteAction_HostRewritePathRegex{HostRewritePathRegex: regexMatchAndSubstitute(rw.HostPathRegex)}
	}
	ra.AppendXForwardedHost = rw.AppendXForwardedHost
}

func regexMatchAndSubstitute(rr *ir.RegexReplace) *matcherv3.RegexMatchAndSubstitute {
	return &matcherv3.RegexMatchAndSubstitute{
		Pattern:      &matcherv3.RegexMatcher{Regex: rr.Pattern},
		Substitution: rr.Substitution,
	}
}
