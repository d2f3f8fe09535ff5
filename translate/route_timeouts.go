package translate

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// Rule timeouts and retry. timeouts.request is the route timeout, which in
// Envoy covers every try; timeouts.backendRequest is the per-try timeout
// of the retry policy; retry sets which failures are retried, how often
// and after how long.

// durationPart is one number and unit of a Gateway API Duration (GEP-2257).
var durationPart = regexp.MustCompile(`([0-9]{1,5})(h|ms|m|s)`)

// durationUnits gives each unit its length and rank: units appear at most
// once each, largest first.
var durationUnits = map[string]struct {
	d    time.Duration
	rank int
}{"h": {time.Hour, 0}, "m": {time.Minute, 1}, "s": {time.Second, 2}, "ms": {time.Millisecond, 3}}

// parseDuration parses a Gateway API Duration: one to four number-unit
// pairs of h, m, s, ms in that order, each number of at most five digits,
// e.g. "1h", "10s", "1m30s", "500ms", "0s". Go's extras (fractions, "us",
// signs) are not part of the format.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a Gateway API duration (e.g. \"10s\", \"1m30s\", \"500ms\")", s)
	parts := durationPart.FindAllStringSubmatchIndex(s, -1)
	if len(parts) == 0 || len(parts) > 4 {
		return 0, bad
	}
	var total time.Duration
	pos, rank := 0, -1
	for _, p := range parts {
		if p[0] != pos {
			return 0, bad
		}
		n, _ := strconv.Atoi(s[p[2]:p[3]])
		u := durationUnits[s[p[4]:p[5]]]
		if u.rank <= rank {
			return 0, bad
		}
		rank, pos = u.rank, p[1]
		total += time.Duration(n) * u.d
	}
	if pos != len(s) {
		return 0, bad
	}
	return total, nil
}

func validateTimeouts(field string, t *gwapiv1.HTTPRouteTimeouts) []error {
	if t == nil {
		return nil
	}
	var errs []error
	var req, backend time.Duration
	var err error
	if t.Request != nil {
		if req, err = parseDuration(string(*t.Request)); err != nil {
			errs = append(errs, fmt.Errorf("field %s.request: %v", field, err))
		}
	}
	if t.BackendRequest != nil {
		if backend, err = parseDuration(string(*t.BackendRequest)); err != nil {
			errs = append(errs, fmt.Errorf("field %s.backendRequest: %v", field, err))
		}
	}
	if len(errs) == 0 && t.Request != nil && t.BackendRequest != nil && req != 0 && backend > req {
		errs = append(errs, fmt.Errorf("field %s: backendRequest timeout cannot be longer than request timeout", field))
	}
	return errs
}

func validateRetry(field string, r *gwapiv1.HTTPRouteRetry) []error {
	if r == nil {
		return nil
	}
	var errs []error
	seen := map[gwapiv1.HTTPRouteRetryStatusCode]bool{}
	for i, c := range r.Codes {
		switch {
		case c < 400 || c > 599:
			errs = append(errs, fmt.Errorf("field %s.codes[%d]: %d is out of range 400-599", field, i, c))
		case seen[c]:
			errs = append(errs, fmt.Errorf("field %s.codes[%d]: %d is listed twice", field, i, c))
		}
		seen[c] = true
	}
	if r.Attempts != nil && *r.Attempts < 1 {
		errs = append(errs, fmt.Errorf("field %s.attempts: %d must be at least 1", field, *r.Attempts))
	}
	if r.Backoff != nil {
		if _, err := parseDuration(string(*r.Backoff)); err != nil {
			errs = append(errs, fmt.Errorf("field %s.backoff: %v", field, err))
		}
	}
	return errs
}

// irDuration parses a validated duration; nil stays nil.
func irDuration(d *gwapiv1.Duration) *ir.Duration {
	if d == nil {
		return nil
	}
	v, _ := parseDuration(string(*d))
	out := ir.Duration(v)
	return &out
}

// routeTimeouts returns the route and per-try timeouts of a rule. When
// only backendRequest is given, the route timeout is disabled so that
// Envoy's 15s default does not cut a longer backend timeout short; each
// try is still bounded.
func routeTimeouts(t *gwapiv1.HTTPRouteTimeouts) (route, backend *ir.Duration) {
	if t == nil {
		return nil, nil
	}
	route, backend = irDuration(t.Request), irDuration(t.BackendRequest)
	if route == nil && backend != nil {
		zero := ir.Duration(0)
		route = &zero
	}
	return route, backend
}

// defaultRetryAttempts is the number of retries when retry.attempts is
// unset (Envoy Gateway's default).
const defaultRetryAttempts = 2

func routeRetry(r *gwapiv1.HTTPRouteRetry) *ir.Retry {
	if r == nil {
		return nil
	}
	out := &ir.Retry{Attempts: defaultRetryAttempts, Backoff: irDuration(r.Backoff)}
	if r.Attempts != nil {
		out.Attempts = uint32(*r.Attempts)
	}
	for _, c := range r.Codes {
		out.Codes = append(out.Codes, uint32(c))
	}
	return out
}

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
