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
