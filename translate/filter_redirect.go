package translate

import (
	"fmt"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// RequestRedirect: the rule answers with a redirect (Envoy's
// RedirectAction) instead of forwarding.

// redirectCodes maps the status codes the CRD allows to Envoy's enum.
var redirectCodes = map[uint32]routev3.RedirectAction_RedirectResponseCode{
	301: routev3.RedirectAction_MOVED_PERMANENTLY,
	302: routev3.RedirectAction_FOUND,
	303: routev3.RedirectAction_SEE_OTHER,
	307: routev3.RedirectAction_TEMPORARY_REDIRECT,
	308: routev3.RedirectAction_PERMANENT_REDIRECT,
}

func validateRedirect(field string, f *gwapiv1.HTTPRequestRedirectFilter) []error {
	var errs []error
	if f.Scheme != nil && *f.Scheme != "http" && *f.Scheme != "https" {
		errs = append(errs, fmt.Errorf("field %s.scheme: %q is not one of http, https", field, *f.Scheme))
	}
	if f.Hostname != nil && !validHostname(string(*f.Hostname), false) {
		errs = append(errs, fmt.Errorf("field %s.hostname: %q is not a valid hostname (lowercase RFC 1123, no wildcard)", field, *f.Hostname))
	}
	if f.Port != nil && (*f.Port < 1 || *f.Port > 65535) {
		errs = append(errs, fmt.Errorf("field %s.port: %d is not a port number (1-65535)", field, *f.Port))
	}
	if c := f.StatusCode; c != nil {
		if _, ok := redirectCodes[uint32(*c)]; !ok || *c < 0 {
			errs = append(errs, fmt.Errorf("field %s.statusCode: %d is not one of 301, 302, 303, 307, 308", field, *c))
		}
	}
	return append(errs, validatePathModifier(field+".path", f.Path)...)
}

// redirect copies a valid filter into the IR with the CRD default status
// code, 302.
func redirect(f *gwapiv1.HTTPRequestRedirectFilter) *ir.Redirect {
	r := &ir.Redirect{StatusCode: 302, Path: pathModifier(f.Path)}
	if f.Scheme != nil {
		r.Scheme = *f.Scheme
	}
	if f.Hostname != nil {
		r.Hostname = string(*f.Hostname)
	}
	if f.Port != nil {
		r.Port = uint32(*f.Port)
	}
	if f.StatusCode != nil {
		r.StatusCode = uint32(*f.StatusCode)
	}
	return r
}

// listenerRedirect completes a redirect without a scheme from the
// listener that serves it, as the spec of HTTPRequestRedirectFilter.Port
// asks: without a port too, the Location keeps the listener's port (left
// out by buildRedirect when it is the well-known port of the scheme);
// Envoy alone would drop it whenever the hostname changes. On an HTTPS
// listener the scheme is https, so that buildRedirect knows which port is
// the well-known one. rd is shared by the listeners of a rule: a changed
// one is a copy.
func listenerRedirect(rd *ir.Redirect, port uint32, https bool) *ir.Redirect {
	if rd.Scheme != "" || (!https && (rd.Port != 0 || port == 80)) {
		return rd
	}
	c := *rd
	if https {
		c.Scheme = "https"
	}
	if c.Port == 0 {
		c.Port = port
	}
	return &c
}

// buildRedirect returns Envoy's redirect action for a route.
//
// The port: the spec wants no port in Location when it is the well-known
// port of the scheme (http 80, https 443). An unset scheme is left so by
// listenerRedirect only on HTTP listeners: it means http here. Envoy leaves a port out when port_redirect is
// unset, so a well-known port is left unset.
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
