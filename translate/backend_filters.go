package translate

import (
	"fmt"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// Filters on a backendRef (HTTPBackendRef.filters) apply only to the
// requests sent to that backend. Header modifiers become the headers
// fields of its weighted cluster; an ExtensionRef cannot be resolved, and
// the other filter types are not supported there yet: then the route is
// accepted (as in Envoy Gateway) with ResolvedRefs False, and the
// backend's share of requests answers 500.

// validateBackendFilters checks a backendRef's filter list.
func validateBackendFilters(field string, filters []gwapiv1.HTTPRouteFilter, maxRegex int) []error {
	return validateFilters(field, filters, maxRegex)
}

// applyBackendFilters copies a backendRef's header filters into its IR
// backend. It returns false when a filter cannot be resolved (recorded in
// probs): then the backend must get no traffic but its share of 500s.
func applyBackendFilters(wb *ir.WeightedBackend, field string, filters []gwapiv1.HTTPRouteFilter, probs *refProblems) bool {
	ok := true
	for i, f := range filters {
		switch f.Type {
		case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
			wb.RequestHeaders = mergeHeaders(wb.RequestHeaders, f.RequestHeaderModifier)
		case gwapiv1.HTTPRouteFilterResponseHeaderModifier:
			wb.ResponseHeaders = mergeHeaders(wb.ResponseHeaders, f.ResponseHeaderModifier)
		case gwapiv1.HTTPRouteFilterExtensionRef:
			probs.add(extensionRefProblem(fmt.Sprintf("%s[%d].extensionRef", field, i), f.ExtensionRef, "this backend's share of requests answers 500"))
			ok = false
		default:
			probs.add(status.ReasonUnsupportedRefValue, fmt.Sprintf("field %s[%d].type: %s is not supported on a backendRef yet (use it on the rule); this backend's share of requests answers 500", field, i, f.Type))
			ok = false
		}
	}
	return ok
}
