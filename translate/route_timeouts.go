package translate

import (
	"fmt"
	"time"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// Rule timeouts and retry. timeouts.request is the route timeout, which in
// Envoy covers every try; timeouts.backendRequest is the per-try timeout
// of the retry policy; retry sets which failures are retried, how often
// and after how long.

func validateTimeouts(path string, t *gwapiv1.HTTPRouteTimeouts) []error {
	if t == nil {
		return nil
	}
	var errs []error
	var req, backend time.Duration
	var err error
	if t.Request != nil {
		if req, err = fields.GatewayDuration(path+".request", string(*t.Request)); err != nil {
			errs = append(errs, err)
		}
	}
	if t.BackendRequest != nil {
		if backend, err = fields.GatewayDuration(path+".backendRequest", string(*t.BackendRequest)); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && t.Request != nil && t.BackendRequest != nil && req != 0 && backend > req {
		errs = append(errs, fields.Invalid(path, "backendRequest timeout cannot be longer than request timeout"))
	}
	return errs
}

func validateRetry(path string, r *gwapiv1.HTTPRouteRetry) []error {
	if r == nil {
		return nil
	}
	var errs []error
	seen := map[gwapiv1.HTTPRouteRetryStatusCode]bool{}
	for i, c := range r.Codes {
		cf := fmt.Sprintf("%s.codes[%d]", path, i)
		if err := fields.Range(cf, int64(c), 400, 599); err != nil {
			errs = append(errs, err)
		} else if seen[c] {
			errs = append(errs, fields.Invalid(cf, "%d is listed twice", c))
		}
		seen[c] = true
	}
	if r.Attempts != nil {
		if err := fields.AtLeast(path+".attempts", int64(*r.Attempts), 1); err != nil {
			errs = append(errs, err)
		}
	}
	if r.Backoff != nil {
		if _, err := fields.GatewayDuration(path+".backoff", string(*r.Backoff)); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// irDuration parses a validated duration; nil stays nil.
func irDuration(d *gwapiv1.Duration) *ir.Duration {
	if d == nil {
		return nil
	}
	out := ir.Duration(fields.MustGatewayDuration(string(*d)))
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
