package policies

import (
	"fmt"
	"slices"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	previousprioritiesv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/priority/previous_priorities/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy retry and timeout.http.requestTimeout, on the
// route action as Envoy Gateway sets them.
//
// retry: numRetries (default 2); retryOn.triggers, Envoy's retry
// conditions, sorted and without repeats; retryOn.httpStatusCodes, the
// codes the retriable-status-codes condition retries. Without retryOn
// the conditions are connect-failure, refused-stream, unavailable,
// cancelled and retriable-status-codes with 503, Envoy Gateway's
// default; retryOn with codes but no triggers keeps those conditions
// with its codes; with triggers but no codes, no codes. Each retry goes
// to another host than the tries before it (previous_hosts, up to 5
// picks); perRetry.timeout bounds each try, perRetry.backOff sets the
// jittered back-off. numAttemptsPerPriority moves tries to the next
// priority of a failover cluster after that many.
//
// Precedence, as Envoy Gateway's (a route's own setting wins, field by
// field): an HTTPRoute rule's retry replaces the policy's retry whole;
// its timeouts.request (or, alone, backendRequest, which sets the route
// timeout too) replaces requestTimeout; its timeouts.backendRequest
// replaces perRetry.timeout.

// triggers are the retry conditions the CRD allows.
var triggers = map[egv1a1.TriggerEnum]bool{
	"5xx": true, "gateway-error": true, "reset": true, "reset-before-request": true,
	"connect-failure": true, "retriable-4xx": true, "refused-stream": true,
	"retriable-status-codes": true, "cancelled": true, "deadline-exceeded": true,
	"internal": true, "resource-exhausted": true, "unavailable": true,
}

// defaultRetryOn and defaultRetryCodes are Envoy Gateway's conditions
// when retryOn is unset.
var (
	defaultRetryOn    = []string{"cancelled", "connect-failure", "refused-stream", "retriable-status-codes", "unavailable"}
	defaultRetryCodes = []uint32{503}
)

const defaultNumRetries = 2

func (v *specValidator) retry(field string, r *egv1a1.Retry) *ir.TrafficRetry {
	if r == nil {
		return nil
	}
	out := &ir.TrafficRetry{NumRetries: defaultNumRetries, RetryOn: defaultRetryOn, StatusCodes: defaultRetryCodes}
	if n := r.NumRetries; n != nil {
		if *n < 0 {
			v.errs.Add(field+".numRetries", "%d must be >= 0", *n)
		} else {
			out.NumRetries = uint32(*n)
		}
	}
	if n := r.NumAttemptsPerPriority; n != nil {
		if *n < 0 {
			v.errs.Add(field+".numAttemptsPerPriority", "%d must be >= 0", *n)
		} else {
			out.AttemptsPerPriority = uint32(*n)
		}
	}
	if on := r.RetryOn; on != nil && (len(on.Triggers) > 0 || on.HTTPStatusCodes != nil) {
		if len(on.Triggers) > 0 {
			out.RetryOn = nil
			for i, t := range on.Triggers {
				if !triggers[t] {
					v.errs.Add(fmt.Sprintf("%s.retryOn.triggers[%d]", field, i), "%q is not a retry trigger (5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable)", t)
					continue
				}
				out.RetryOn = append(out.RetryOn, string(t))
			}
			slices.Sort(out.RetryOn)
			out.RetryOn = slices.Compact(out.RetryOn)
		}
		out.StatusCodes = nil
		for i, c := range on.HTTPStatusCodes {
			if c < 100 || c > 599 {
				v.errs.Add(fmt.Sprintf("%s.retryOn.httpStatusCodes[%d]", field, i), "%d is not an HTTP status code (100-599)", c)
				continue
			}
			out.StatusCodes = append(out.StatusCodes, uint32(c))
		}
		slices.Sort(out.StatusCodes)
		out.StatusCodes = slices.Compact(out.StatusCodes)
	}
	if p := r.PerRetry; p != nil {
		out.PerTryTimeout = v.optDuration(field+".perRetry.timeout", p.Timeout, 0)
		if b := p.BackOff; b != nil {
			out.BaseInterval = v.optDuration(field+".perRetry.backOff.baseInterval", b.BaseInterval, fields.Positive)
			out.MaxInterval = v.optDuration(field+".perRetry.backOff.maxInterval", b.MaxInterval, fields.Positive)
			switch {
			case b.MaxInterval != nil && b.BaseInterval == nil:
				// Envoy requires the base interval of a back-off.
				v.errs.Add(field+".perRetry.backOff.baseInterval", "must be set with maxInterval")
			case out.BaseInterval != nil && out.MaxInterval != nil && *out.MaxInterval < *out.BaseInterval:
				v.errs.Add(field+".perRetry.backOff.maxInterval", "must not be less than baseInterval")
			}
		}
	}
	return out
}

// requestTimeout checks spec.timeout.http.requestTimeout. The other
// HTTP timeouts of the route (maxStreamDuration, streamIdleTimeout) are
// not implemented; the connection ones are btp_cluster.go's.
func (v *specValidator) requestTimeout(t *egv1a1.Timeout) *ir.Duration {
	if t == nil || t.HTTP == nil {
		return nil
	}
	h := t.HTTP
	if h.MaxStreamDuration != nil {
		v.ignored = append(v.ignored, "spec.timeout.http.maxStreamDuration")
	}
	if h.StreamIdleTimeout != nil {
		v.ignored = append(v.ignored, "spec.timeout.http.streamIdleTimeout")
	}
	return v.optDuration("spec.timeout.http.requestTimeout", h.RequestTimeout, 0)
}

// RetryTimeout is BackendTrafficPolicy retry and
// timeout.http.requestTimeout, on the route action (a feature.Feature).
type RetryTimeout struct{ feature.Base }

// RouteAction applies r.Traffic's timeout and retry policy to the xDS
// route action ra, after the route's own (applyTimeouts), which win.
func (RetryTimeout) RouteAction(ra *routev3.RouteAction, r *ir.Route) {
	t := r.Traffic
	if t == nil {
		return
	}
	if t.RequestTimeout != nil && r.Timeout == nil {
		ra.Timeout = durationpb.New(t.RequestTimeout.Std())
	}
	if t.Retry != nil && r.Retry == nil {
		rp := retryPolicy(t.Retry)
		if r.BackendTimeout != nil {
			rp.PerTryTimeout = durationpb.New(r.BackendTimeout.Std())
		}
		ra.RetryPolicy = rp
	}
}

// retryPolicy is Envoy's retry policy for rt.
func retryPolicy(rt *ir.TrafficRetry) *routev3.RetryPolicy {
	rp := &routev3.RetryPolicy{
		RetryOn:              strings.Join(rt.RetryOn, ","),
		NumRetries:           wrapperspb.UInt32(rt.NumRetries),
		RetriableStatusCodes: rt.StatusCodes,
		RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{{
			Name:       "envoy.retry_host_predicates.previous_hosts",
			ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: mustAny(&previoushostsv3.PreviousHostsPredicate{})},
		}},
		HostSelectionRetryMaxAttempts: 5,
	}
	if rt.PerTryTimeout != nil {
		rp.PerTryTimeout = durationpb.New(rt.PerTryTimeout.Std())
	}
	if rt.BaseInterval != nil {
		rp.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(rt.BaseInterval.Std())}
		if rt.MaxInterval != nil {
			rp.RetryBackOff.MaxInterval = durationpb.New(rt.MaxInterval.Std())
		}
	}
	if rt.AttemptsPerPriority > 0 {
		rp.RetryPriority = &routev3.RetryPolicy_RetryPriority{
			Name: "envoy.retry_priorities.previous_priorities",
			ConfigType: &routev3.RetryPolicy_RetryPriority_TypedConfig{TypedConfig: mustAny(
				&previousprioritiesv3.PreviousPrioritiesConfig{UpdateFrequency: int32(rt.AttemptsPerPriority)})},
		}
	}
	return rp
}
