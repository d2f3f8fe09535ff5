package xds

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// redirectCodes maps the status codes the CRD allows to Envoy's enum.
var redirectCodes = map[uint32]routev3.RedirectAction_RedirectResponseCode{
	301: routev3.RedirectAction_MOVED_PERMANENTLY,
	302: routev3.RedirectAction_FOUND,
	303: routev3.RedirectAction_SEE_OTHER,
	307: routev3.RedirectAction_TEMPORARY_REDIRECT,
	308: routev3.RedirectAction_PERMANENT_REDIRECT,
}

// buildRedirect returns Envoy's redirect action for a route.
//
// The port: the spec wants no port in Location when it is the well-known
// port of the scheme (http 80, https 443). An unset scheme is left so by
// the listener only on HTTP listeners: it means http here. Envoy leaves a
// port out when port_redirect is unset, so a well-known port is left unset.
func buildRedirect(r *ir.Route) *routev3.RedirectAction {
	rd := r.Redirect
	ra := &routev3.RedirectAction{HostRedirect: rd.Hostname, ResponseCode: redirectCodes[rd.StatusCode]}
	if rd.Scheme != "" {
		ra.SchemeRewriteSpecifier = &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: rd.Scheme}
	}
	scheme := rd.Scheme
	if scheme == "" {
		scheme = "http"
	}
	if !(scheme == "http" && rd.Port == 80) && !(scheme == "https" && rd.Port == 443) {
		ra.PortRedirect = rd.Port
	}
	if p := rd.Path; p != nil {
		if p.Type == ir.ReplaceFullPath {
			ra.PathRewriteSpecifier = &routev3.RedirectAction_PathRedirect{PathRedirect: p.Value}
		} else if prefix, regex := prefixReplacement(r.Path.Prefix, p.Value); regex != nil {
			ra.PathRewriteSpecifier = &routev3.RedirectAction_RegexRewrite{RegexRewrite: regex}
		} else {
			ra.PathRewriteSpecifier = &routev3.RedirectAction_PrefixRewrite{PrefixRewrite: prefix}
		}
	}
	return ra
}
