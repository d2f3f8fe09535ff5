package translate

import (
	"fmt"
	"slices"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyProxy spec.filterOrder: moves in the HTTP filter chain that
// httpFilters (translate/xds/build.go) builds in its own documented order.

// orderableFilters are the filter names spec.filterOrder may use: the
// CRD's enum (the router is not one of them).
var orderableFilters = []egv1a1.EnvoyFilter{
	egv1a1.EnvoyFilterCustomResponse, egv1a1.EnvoyFilterHealthCheck, egv1a1.EnvoyFilterFault,
	egv1a1.EnvoyFilterCORS, egv1a1.EnvoyFilterCSRF, egv1a1.EnvoyFilterHeaderMutation,
	egv1a1.EnvoyFilterExtAuthz, egv1a1.EnvoyFilterAPIKeyAuth, egv1a1.EnvoyFilterBasicAuth,
	egv1a1.EnvoyFilterOAuth2, egv1a1.EnvoyFilterJWTAuthn, egv1a1.EnvoyFilterSessionPersistence,
	egv1a1.EnvoyFilterBuffer, egv1a1.EnvoyFilterLua, egv1a1.EnvoyFilterExtProc,
	egv1a1.EnvoyFilterWasm, egv1a1.EnvoyFilterDynamicModules, egv1a1.EnvoyFilterGeoIP,
	egv1a1.EnvoyFilterRBAC, egv1a1.EnvoyFilterLocalRateLimit, egv1a1.EnvoyFilterRateLimit,
	egv1a1.EnvoyFilterBandwidthLimit, egv1a1.EnvoyFilterGRPCWeb, egv1a1.EnvoyFilterGRPCStats,
	egv1a1.EnvoyFilterCredentialInjector, egv1a1.EnvoyFilterCompressor, egv1a1.EnvoyFilterDynamicForwardProxy,
}

// filterOrderSettings checks spec.filterOrder of an EnvoyProxy against
// the CRD (known filter names; exactly one of before and after) and
// returns its moves, or the problem naming the field.
func filterOrderSettings(order []egv1a1.FilterPosition) ([]ir.FilterMove, string) {
	var out []ir.FilterMove
	for i, p := range order {
		field := fmt.Sprintf("spec.filterOrder[%d]", i)
		switch {
		case p.Before == nil && p.After == nil:
			return nil, fmt.Sprintf("field %s: one of before or after must be set", field)
		case p.Before != nil && p.After != nil:
			return nil, fmt.Sprintf("field %s: only one of before or after may be set", field)
		}
		m := ir.FilterMove{Name: string(p.Name)}
		check := []struct {
			name string
			v    *egv1a1.EnvoyFilter
			dst  *string
		}{{"name", &p.Name, &m.Name}, {"before", p.Before, &m.Before}, {"after", p.After, &m.After}}
		for _, c := range check {
			if c.v == nil {
				continue
			}
			if !slices.Contains(orderableFilters, *c.v) {
				return nil, fmt.Sprintf("field %s.%s: %q is not an HTTP filter that can be ordered (the router stays last)", field, c.name, *c.v)
			}
			*c.dst = string(*c.v)
		}
		out = append(out, m)
	}
	return out, ""
}
