package translate

import (
	"fmt"

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
