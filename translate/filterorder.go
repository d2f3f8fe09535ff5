package translate

import (
	"fmt"
	"slices"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyProxy spec.filterOrder: moves in the HTTP filter chain that
// httpFilters (xds.go) builds in its own documented order.

// routerFilter is the last filter of every chain; no move passes it.
const routerFilter = "envoy.filters.http.router"

// orderFilters applies the filterOrder of l's EnvoyProxy to fs, one
// move after the other, as Envoy Gateway does: every filter whose name
// starts with the move's name (per-policy filters carry a suffix) goes,
// in its current order, right before the first filter of the Before
// kind or right after the last filter of the After kind. A move whose
// filters or anchor are not in the chain does nothing. The router stays
// last.
func orderFilters(fs []*hcmv3.HttpFilter, l *ir.Listener) []*hcmv3.HttpFilter {
	if l.Proxy == nil || len(l.Proxy.FilterOrder) == 0 {
		return fs
	}
	var router []*hcmv3.HttpFilter
	if n := len(fs); n > 0 && fs[n-1].GetName() == routerFilter {
		fs, router = fs[:n-1:n-1], fs[n-1:]
	}
	for _, m := range l.Proxy.FilterOrder {
		fs = moveFilters(fs, m)
	}
	return append(fs, router...)
}

// moveFilters applies one move to fs and returns the new chain.
func moveFilters(fs []*hcmv3.HttpFilter, m ir.FilterMove) []*hcmv3.HttpFilter {
	is := func(f *hcmv3.HttpFilter, kind string) bool { return strings.HasPrefix(f.GetName(), kind) }
	var moving, rest []*hcmv3.HttpFilter
	for _, f := range fs {
		if is(f, m.Name) {
			moving = append(moving, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(moving) == 0 {
		return fs
	}
	at := -1
	switch {
	case m.Before != "":
		at = slices.IndexFunc(rest, func(f *hcmv3.HttpFilter) bool { return is(f, m.Before) })
	case m.After != "":
		if i := lastIndexFunc(rest, func(f *hcmv3.HttpFilter) bool { return is(f, m.After) }); i >= 0 {
			at = i + 1
		}
	}
	if at < 0 {
		return fs // no anchor (or the anchor is one of the moving filters)
	}
	return slices.Concat(rest[:at], moving, rest[at:])
}

func lastIndexFunc[T any](s []T, f func(T) bool) int {
	for i := len(s) - 1; i >= 0; i-- {
		if f(s[i]) {
			return i
		}
	}
	return -1
}

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
