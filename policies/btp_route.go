package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy features set on the route itself, one file each:
// btp_retry.go (spec.retry, spec.timeout.http.requestTimeout: the route
// action), btp_ratelimit.go (spec.rateLimit.local: local_ratelimit),
// btp_fault.go (spec.faultInjection: fault), btp_compression.go
// (spec.compression and spec.compressor: compressor). The filters sit in
// every listener that has a route using them and act only on those
// routes: each route carries its own configuration in
// typed_per_filter_config, so its rate limit buckets are its own, as in
// Envoy Gateway.
//
// An invalid field (what the CRD schema or its CEL rules reject, or what
// Envoy would refuse) makes the whole policy invalid, naming the field:
// it is then attached nowhere, and the routes keep what less specific
// policies give them.

// btpRouteFields are the BackendTrafficPolicy spec fields this file's
// features implement. timeout is shared with btp_cluster.go, which owns
// its connection sub-fields.
var btpRouteFields = map[string]bool{
	"retry": true, "timeout": true, "rateLimit": true, "faultInjection": true,
	"compression": true, "compressor": true,
}

// routeTrafficSpec checks the route features of a spec; it returns what
// they set (nil for none), the fields it ignores and the problems.
func routeTrafficSpec(spec egv1a1.BackendTrafficPolicySpec, maxRegex int) (*ir.RouteTraffic, []string, []error) {
	v := &specValidator{maxRegex: maxRegex}
	rt := &ir.RouteTraffic{
		Retry:          v.retry("spec.retry", spec.Retry),
		RequestTimeout: v.requestTimeout(spec.Timeout),
		RateLimit:      v.rateLimit("spec.rateLimit", spec.RateLimit),
		Fault:          v.fault("spec.faultInjection", spec.FaultInjection),
		Compressors:    v.compression(spec.Compression, spec.Compressor),
	}
	if len(v.errs) > 0 {
		return nil, nil, v.errs
	}
	if rt.Retry == nil && rt.RequestTimeout == nil && rt.RateLimit == nil && rt.Fault == nil && len(rt.Compressors) == 0 {
		return nil, v.ignored, nil
	}
	return rt, v.ignored, nil
}

func appendMissing(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
