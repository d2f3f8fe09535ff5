package policies

import (
	"math"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultcommonv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy faultInjection, through Envoy's fault filter as
// Envoy Gateway sets it: the listener's filter injects nothing; each
// route under a policy carries the policy's delay (fixedDelay, for a
// percentage of requests) and abort (an HTTP status or a gRPC status,
// for a percentage of requests). A percentage defaults to 100 (the CRD
// default) and is kept to a ten-thousandth of a percent.

// FaultFilterName is the name of Envoy's fault filter.
const FaultFilterName = "envoy.filters.http.fault"

func (v *specValidator) fault(field string, f *egv1a1.FaultInjection) *ir.Fault {
	if f == nil {
		return nil
	}
	out := &ir.Fault{}
	if f.Delay == nil && f.Abort == nil {
		v.errs.Add(field, "at least one of delay and abort must be set")
	}
	if d := f.Delay; d != nil {
		out.Delay = &ir.FaultDelay{Percentage: v.percentage(field+".delay.percentage", d.Percentage)}
		if d.FixedDelay == nil {
			v.errs.Add(field+".delay.fixedDelay", "must be set")
		} else if t := v.optDuration(field+".delay.fixedDelay", d.FixedDelay, fields.Positive); t != nil {
			out.Delay.Delay = *t
		}
	}
	if a := f.Abort; a != nil {
		out.Abort = &ir.FaultAbort{Percentage: v.percentage(field+".abort.percentage", a.Percentage)}
		switch {
		case a.HTTPStatus != nil && a.GrpcStatus != nil:
			v.errs.Add(field+".abort", "httpStatus and grpcStatus cannot both be set")
		case a.HTTPStatus != nil:
			// The CRD allows 600, which Envoy refuses.
			if s := *a.HTTPStatus; s < 200 || s > 599 {
				v.errs.Add(field+".abort.httpStatus", "%d is out of range 200-599", s)
			} else {
				out.Abort.HTTPStatus = uint32(s)
			}
		case a.GrpcStatus != nil:
			if s := *a.GrpcStatus; s < 0 || s > 16 {
				v.errs.Add(field+".abort.grpcStatus", "%d is out of range 0-16", s)
			} else {
				out.Abort.GRPC, out.Abort.GRPCStatus = true, uint32(s)
			}
		default:
			v.errs.Add(field+".abort", "one of httpStatus and grpcStatus must be set")
		}
	}
	return out
}

// percentage checks a fault percentage, 100 when unset.
func (v *specValidator) percentage(field string, p *float32) float32 {
	if p == nil {
		return 100
	}
	if err := fields.Percent(field, *p); err != nil {
		v.errs.Check(err)
		return 100
	}
	return *p
}

// Fault is the fault filter of BackendTrafficPolicy faultInjection (a
// feature.Feature).
type Fault struct{ feature.Base }

// HTTPFilters is the listener's fault filter, if one of its routes
// injects faults. It injects nothing itself.
func (Fault) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	if !anyRoute(l.VirtualHosts, func(t *ir.RouteTraffic) bool { return t.Fault != nil }) {
		return nil
	}
	return []*hcmv3.HttpFilter{{Name: FaultFilterName, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&faultv3.HTTPFault{})}}}
}

// Route gives a route under a policy the policy's faults.
func (Fault) Route(out *routev3.Route, r *ir.Route) {
	if r.Traffic != nil && r.Traffic.Fault != nil {
		feature.SetFilterConfig(out, FaultFilterName, mustAny(faultConfig(r.Traffic.Fault)))
	}
}

// faultConfig is a route's fault filter configuration.
func faultConfig(f *ir.Fault) *faultv3.HTTPFault {
	out := &faultv3.HTTPFault{}
	if d := f.Delay; d != nil {
		out.Delay = &faultcommonv3.FaultDelay{
			FaultDelaySecifier: &faultcommonv3.FaultDelay_FixedDelay{FixedDelay: durationpb.New(d.Delay.Std())},
			Percentage:         perMillion(d.Percentage),
		}
	}
	if a := f.Abort; a != nil {
		out.Abort = &faultv3.FaultAbort{Percentage: perMillion(a.Percentage)}
		if a.GRPC {
			out.Abort.ErrorType = &faultv3.FaultAbort_GrpcStatus{GrpcStatus: a.GRPCStatus}
		} else {
			out.Abort.ErrorType = &faultv3.FaultAbort_HttpStatus{HttpStatus: a.HTTPStatus}
		}
	}
	return out
}

// perMillion is a percentage as a fraction of a million.
func perMillion(p float32) *typev3.FractionalPercent {
	return &typev3.FractionalPercent{Numerator: uint32(math.Round(float64(p) * 10000)), Denominator: typev3.FractionalPercent_MILLION}
}

// anyRoute reports whether a route of vhs has traffic settings for which
// has is true.
func anyRoute(vhs []*ir.VirtualHost, has func(*ir.RouteTraffic) bool) bool {
	for _, vh := range vhs {
		for _, r := range vh.Routes {
			if r.Traffic != nil && has(r.Traffic) {
				return true
			}
		}
	}
	return false
}
