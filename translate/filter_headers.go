package translate

import (
	"fmt"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// RequestHeaderModifier and ResponseHeaderModifier: set, add and remove
// headers. On a rule they become the route's request_headers_to_add /
// _to_remove (and response_*); on a backendRef, the same fields of that
// weighted cluster.

// validateHeaderFilter checks the CRD schema of an HTTPHeaderFilter and the
// spec's rule that one filter names each header once. Envoy refuses to
// modify the Host header (and pseudo-headers, which the name pattern
// excludes), so that is rejected here rather than NACKed.
func validateHeaderFilter(field string, f *gwapiv1.HTTPHeaderFilter) []error {
	var errs []error
	seen := map[string]string{} // lowercase name → field that named it first
	check := func(f, name string) {
		if !headerName.MatchString(name) || len(name) > 256 {
			errs = append(errs, fmt.Errorf("field %s: %q is not a valid header name", f, name))
			return
		}
		lower := strings.ToLower(name)
		if lower == "host" {
			errs = append(errs, fmt.Errorf("field %s: the Host header cannot be modified here; use a URLRewrite filter's hostname", f))
		}
		if first, ok := seen[lower]; ok {
			errs = append(errs, fmt.Errorf("field %s: header %q is already modified by %s; only one action per header name is allowed", f, name, first))
			return
		}
		seen[lower] = f
	}
	for _, list := range []struct {
		name    string
		headers []gwapiv1.HTTPHeader
	}{{"set", f.Set}, {"add", f.Add}} {
		if len(list.headers) > 16 {
			errs = append(errs, fmt.Errorf("field %s.%s: %d entries are more than the 16 allowed", field, list.name, len(list.headers)))
		}
		for i, h := range list.headers {
			hf := fmt.Sprintf("%s.%s[%d]", field, list.name, i)
			check(hf+".name", string(h.Name))
			if err := validHeaderValue(h.Value); err != "" {
				errs = append(errs, fmt.Errorf("field %s.value: %s", hf, err))
			}
		}
	}
	if len(f.Remove) > 16 {
		errs = append(errs, fmt.Errorf("field %s.remove: %d entries are more than the 16 allowed", field, len(f.Remove)))
	}
	for i, name := range f.Remove {
		check(fmt.Sprintf("%s.remove[%d]", field, i), name)
	}
	return errs
}

// validHeaderValue returns why v cannot be a header value, or "".
func validHeaderValue(v string) string {
	switch {
	case v == "":
		return "must not be empty"
	case len(v) > 4096:
		return "is longer than 4096 characters"
	}
	for _, c := range v {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Sprintf("%q contains a control character", v)
		}
	}
	return ""
}

// headerModifier copies a valid HTTPHeaderFilter into the IR.
func headerModifier(f *gwapiv1.HTTPHeaderFilter) *ir.HeaderModifier {
	m := &ir.HeaderModifier{Remove: f.Remove}
	for _, h := range f.Set {
		m.Set = append(m.Set, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	for _, h := range f.Add {
		m.Add = append(m.Add, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	return m
}
