package translate

import (
	"fmt"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// Filters on a backendRef (HTTPBackendRef.filters) apply only to the
// requests sent to that backend. Header modifiers become the headers
// fields of its weighted cluster; an ExtensionRef cannot be resolved, so
// the backend's share answers 500. Other filter types are not supported
// there yet, and reject the route.

// validateBackendFilters checks a backendRef's filter list.
func validateBackendFilters(field string, filters []gwapiv1.HTTPRouteFilter, maxRegex int) []error {
	errs := validateFilters(field, filters, maxRegex)
	for i, f := range filters {
		switch f.Type {
		case gwapiv1.HTTPRouteFilterRequestHeaderModifier, gwapiv1.HTTPRouteFilterResponseHeaderModifier, gwapiv1.HTTPRouteFilterExtensionRef:
		default:
			if _, known := filterTypes[f.Type]; known {
				errs = append(errs, fmt.Errorf("field %s[%d].type: %s is not supported on a backendRef yet; use it on the rule", field, i, f.Type))
			}
		}
	}
	return errs
}

// applyBackendFilters copies a backendRef's header filters into its IR
// backend. It returns false when a filter cannot be resolved (recorded in
// probs): then the backend must get no traffic but its share of 500s.
func applyBackendFilters(wb *ir.WeightedBackend, field string, filters []gwapiv1.HTTPRouteFilter, probs *refProblems) bool {
	ok := true
	for i, f := range filters {
		switch f.Type {
		case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
			wb.RequestHeaders = headerModifier(f.RequestHeaderModifier)
		case gwapiv1.HTTPRouteFilterResponseHeaderModifier:
			wb.ResponseHeaders = headerModifier(f.ResponseHeaderModifier)
		case gwapiv1.HTTPRouteFilterExtensionRef:
			probs.add(extensionRefProblem(fmt.Sprintf("%s[%d].extensionRef", field, i), f.ExtensionRef, "this backend's share of requests answers 500"))
			ok = false
		}
	}
	return ok
}
