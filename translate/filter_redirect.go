package translate

import (
	"fmt"
	"slices"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// RequestRedirect: the rule answers with a redirect (Envoy's
// RedirectAction) instead of forwarding.

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
		if !slices.Contains([]int{301, 302, 303, 307, 308}, *c) { // Envoy's redirect codes (translate/xds)
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
