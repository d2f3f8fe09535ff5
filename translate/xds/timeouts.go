package xds

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// applyTimeouts sets a route action's timeout and retry policy.
func applyTimeouts(ra *routev3.RouteAction, r *ir.Route) {
	if r.Timeout != nil {
		ra.Timeout = durationpb.New(r.Timeout.Std())
	}
	if r.Retry == nil && r.BackendTimeout == nil {
		return
	}
	// Without a retry stanza, the policy only bounds the single try.
	rp := &routev3.RetryPolicy{NumRetries: wrapperspb.UInt32(0)}
	if r.BackendTimeout != nil {
		rp.PerTryTimeout = durationpb.New(r.BackendTimeout.Std())
	}
	if rt := r.Retry; rt != nil {
		// The spec asks to retry connection errors (disconnect, reset,
		// timeout, TCP failure) whenever retry is configured.
		rp.RetryOn = "connect-failure,refused-stream,reset"
		if len(rt.Codes) > 0 {
			rp.RetryOn += ",retriable-status-codes"
			rp.RetriableStatusCodes = rt.Codes
		}
		rp.NumRetries = wrapperspb.UInt32(rt.Attempts)
		if rt.Backoff != nil && rt.Backoff.Std() > 0 {
			rp.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(rt.Backoff.Std())}
		}
	}
	ra.RetryPolicy = rp
}
