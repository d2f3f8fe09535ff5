package translate

import (
	"fmt"
	"slices"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// RequestHeaderModifier and ResponseHeaderModifier: set, add and remove
// headers. On a rule they become the route's request_headers_to_add /
// _to_remove (and response_*); on a backendRef, the same fields of that
// weighted cluster.

// validateHeaderFilter checks the CRD schema of an HTTPHeaderFilter.
// Envoy refuses to modify the Host header (and pseudo-headers, which the
// name pattern excludes), so that is rejected here rather than NACKed.
// A header named twice is not an error: as in Envoy Gateway, the first
// action on a name counts (mergeHeaders).
func validateHeaderFilter(field string, f *gwapiv1.HTTPHeaderFilter) []error {
	var errs []error
	check := func(f, name string) {
		if !headerName.MatchString(name) || len(name) > 256 {
			errs = append(errs, fmt.Errorf("field %s: %q is not a valid header name", f, name))
		} else if strings.EqualFold(name, "host") {
			errs = append(errs, fmt.Errorf("field %s: the Host header cannot be modified here; use a URLRewrite filter's hostname", f))
		}
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

// validHeaderValue returns why v cannot be a header value, or "". An
// empty value is allowed, as Envoy Gateway allows it (Envoy then leaves
// the header out).
func validHeaderValue(v string) string {
	if len(v) > 4096 {
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
	return mergeHeaders(nil, f)
}

// mergeHeaders adds a valid HTTPHeaderFilter to m (a new one when nil):
// the filters of one list may repeat a header modifier, and a filter may
// name a header twice. As Envoy Gateway does, of the adds and sets of a
// name (compared case-insensitively) the first counts, a filter's adds
// before its sets, and a name is removed once.
func mergeHeaders(m *ir.HeaderModifier, f *gwapiv1.HTTPHeaderFilter) *ir.HeaderModifier {
	if m == nil {
		m = &ir.HeaderModifier{}
	}
	named := func(name string) bool {
		for _, list := range [][]ir.Header{m.Add, m.Set} {
			for _, h := range list {
				if strings.EqualFold(h.Name, name) {
					return true
				}
			}
		}
		return false
	}
	for _, h := range f.Add {
		if !named(string(h.Name)) {
			m.Add = append(m.Add, ir.Header{Name: string(h.Name), Value: h.Value})
		}
	}
	for _, h := range f.Set {
		if !named(string(h.Name)) {
			m.Set = append(m.Set, ir.Header{Name: string(h.Name), Value: h.Value})
		}
	}
	for _, name := range f.Remove {
		if !slices.ContainsFunc(m.Remove, func(r string) bool { return strings.EqualFold(r, name) }) {
			m.Remove = append(m.Remove, name)
		}
	}
	return m
}
