package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy circuitBreaker: the thresholds of the cluster's
// default priority. Unset counts take the CRD's defaults, 1024 each
// (for maxParallelRetries too, where Envoy's own default is 3);
// maxRequestsPerConnection goes into the cluster's HTTP protocol options
// (btp_connection.go), perEndpoint.maxConnections into its per-host
// thresholds, retryBudget (which takes precedence over
// maxParallelRetries in Envoy) next to the thresholds.

// cbDefault is the CRD's default of each count.
const cbDefault = 1024

func (v *specValidator) circuitBreaker(field string, cb *egv1a1.CircuitBreaker) *ir.CircuitBreaker {
	if cb == nil {
		return nil
	}
	out := &ir.CircuitBreaker{
		MaxConnections:      v.count(field+".maxConnections", cb.MaxConnections, cbDefault),
		MaxPendingRequests:  v.count(field+".maxPendingRequests", cb.MaxPendingRequests, cbDefault),
		MaxParallelRequests: v.count(field+".maxParallelRequests", cb.MaxParallelRequests, cbDefault),
		MaxParallelRetries:  v.count(field+".maxParallelRetries", cb.MaxParallelRetries, cbDefault),
	}
	if cb.MaxRequestsPerConnection != nil {
		n := v.count(field+".maxRequestsPerConnection", cb.MaxRequestsPerConnection, 0)
		out.MaxRequestsPerConnection = &n
	}
	if pe := cb.PerEndpoint; pe != nil {
		n := v.count(field+".perEndpoint.maxConnections", pe.MaxConnections, cbDefault)
		out.PerEndpointMaxConnections = &n
	}
	if rb := cb.RetryBudget; rb != nil {
		out.RetryBudget = &ir.RetryBudget{
			Percent:        v.fraction(field+".retryBudget.percent", rb.Percent.Numerator, rb.Percent.Denominator),
			MinConcurrency: deref32(rb.MinRetryConcurrency, 3),
		}
	}
	return out
}

// fraction checks a Gateway API Fraction and returns it as a percentage.
func (v *specValidator) fraction(field string, num int32, den *int32) float64 {
	d := int32(100)
	if den != nil {
		d = *den
	}
	switch {
	case num < 0:
		v.errs.Add(field+".numerator", "must be >= 0")
	case d < 1:
		v.errs.Add(field+".denominator", "must be >= 1")
	case num > d:
		v.errs.Add(field, "numerator must be less than or equal to denominator")
	default:
		return float64(num) * 100 / float64(d)
	}
	return 0
}

// circuitBreakers are Envoy's thresholds for cb.
func circuitBreakers(cb *ir.CircuitBreaker) *clusterv3.CircuitBreakers {
	t := &clusterv3.CircuitBreakers_Thresholds{
		Priority:           corev3.RoutingPriority_DEFAULT,
		MaxConnections:     wrapperspb.UInt32(cb.MaxConnections),
		MaxPendingRequests: wrapperspb.UInt32(cb.MaxPendingRequests),
		MaxRequests:        wrapperspb.UInt32(cb.MaxParallelRequests),
		MaxRetries:         wrapperspb.UInt32(cb.MaxParallelRetries),
	}
	if rb := cb.RetryBudget; rb != nil {
		t.RetryBudget = &clusterv3.CircuitBreakers_Thresholds_RetryBudget{
			BudgetPercent:       &typev3.Percent{Value: rb.Percent},
			MinRetryConcurrency: wrapperspb.UInt32(rb.MinConcurrency),
		}
	}
	out := &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{t}}
	if n := cb.PerEndpointMaxConnections; n != nil {
		out.PerHostThresholds = []*clusterv3.CircuitBreakers_Thresholds{{MaxConnections: wrapperspb.UInt32(*n)}}
	}
	return out
}
