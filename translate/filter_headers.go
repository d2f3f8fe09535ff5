package translate

import (
	"slices"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// RequestHeaderModifier and ResponseHeaderModifier: set, add and remove
// headers. On a rule they become the route's request_headers_to_add /
// _to_remove (and response_*); on a backendRef, the same fields of that
// weighted cluster.

// validateHeaderFilter checks the CRD schema of an HTTPHeaderFilter
// (fields.HeaderFilter).
func validateHeaderFilter(field string, f *gwapiv1.HTTPHeaderFilter) []error {
	return fields.HeaderFilter(field, f)
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
