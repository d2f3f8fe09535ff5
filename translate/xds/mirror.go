package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// mirrorPolicies returns Envoy's mirror policies for a route.
func mirrorPolicies(ms []ir.Mirror) []*routev3.RouteAction_RequestMirrorPolicy {
	var out []*routev3.RouteAction_RequestMirrorPolicy
	for _, m := range ms {
		p := &routev3.RouteAction_RequestMirrorPolicy{Cluster: m.Cluster}
		if m.Fraction != nil {
			p.RuntimeFraction = &corev3.RuntimeFractionalPercent{DefaultValue: fractionalPercent(*m.Fraction)}
		}
		out = append(out, p)
	}
	return out
}

// fractionalPercent expresses a fraction in the nearest of Envoy's
// denominators: exactly when the denominator is 100, 10,000 or 1,000,000,
// otherwise rounded down to millionths.
func fractionalPercent(f ir.Fraction) *typev3.FractionalPercent {
	switch f.Denominator {
	case 100:
		return &typev3.FractionalPercent{Numerator: f.Numerator, Denominator: typev3.FractionalPercent_HUNDRED}
	case 10000:
		return &typev3.FractionalPercent{Numerator: f.Numerator, Denominator: typev3.FractionalPercent_TEN_THOUSAND}
	}
	n := uint64(f.Numerator) * 1000000 / uint64(f.Denominator)
	return &typev3.FractionalPercent{Numerator: uint32(n), Denominator: typev3.FractionalPercent_MILLION}
}
