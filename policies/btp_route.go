package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy features set on routes. (scaffold: to be implemented)

// btpRouteFields are the BackendTrafficPolicy spec fields this file's
// features implement.
var btpRouteFields = map[string]bool{}

// routeTrafficSpec checks the route features of a spec; it returns what
// they set (nil for none), the fields it ignores and the problems.
func routeTrafficSpec(spec egv1a1.BackendTrafficPolicySpec) (*ir.RouteTraffic, []string, []string) {
	return nil, nil, nil
}

// FaultFilter is the listener's fault filter, or nil.
func FaultFilter(vhs []*ir.VirtualHost) *hcmv3.HttpFilter { return nil }

// LocalRateLimitFilter is the listener's local_ratelimit filter, or nil.
func LocalRateLimitFilter(vhs []*ir.VirtualHost) *hcmv3.HttpFilter { return nil }

// CompressorFilters are the listener's compressor filters.
func CompressorFilters(vhs []*ir.VirtualHost) []*hcmv3.HttpFilter { return nil }

// TrafficRouteConfig applies r.Traffic to the xDS route out.
func TrafficRouteConfig(out *routev3.Route, r *ir.Route) {}
