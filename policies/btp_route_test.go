package policies

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

func TestRetryDefaults(t *testing.T) {
	tests := map[string]struct {
		retry     egv1a1.Retry
		wantOn    []string
		wantCodes []uint32
		wantN     uint32
	}{
		"empty": {retry: egv1a1.Retry{}, wantN: 2,
			wantOn: []string{"cancelled", "connect-failure", "refused-stream", "retriable-status-codes", "unavailable"}, wantCodes: []uint32{503}},
		"codes only keep the default triggers": {retry: egv1a1.Retry{RetryOn: &egv1a1.RetryOn{HTTPStatusCodes: []egv1a1.HTTPStatus{502, 502}}}, wantN: 2,
			wantOn: []string{"cancelled", "connect-failure", "refused-stream", "retriable-status-codes", "unavailable"}, wantCodes: []uint32{502}},
		"triggers only drop the default codes": {retry: egv1a1.Retry{NumRetries: ptr(int32(0)), RetryOn: &egv1a1.RetryOn{Triggers: []egv1a1.TriggerEnum{"reset", "5xx", "reset"}}},
			wantOn: []string{"5xx", "reset"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := &specValidator{}
			got := v.retry("spec.retry", &tc.retry)
			if len(v.errs) > 0 {
				t.Fatal(v.errs)
			}
			if got.NumRetries != tc.wantN || !slices.Equal(got.RetryOn, tc.wantOn) || !slices.Equal(got.StatusCodes, tc.wantCodes) {
				t.Errorf("got %d %v %v, want %d %v %v", got.NumRetries, got.RetryOn, got.StatusCodes, tc.wantN, tc.wantOn, tc.wantCodes)
			}
		})
	}
}

func TestTrafficRouteActionPrecedence(t *testing.T) {
	d := func(s time.Duration) *ir.Duration { x := ir.Duration(s); return &x }
	traffic := &ir.RouteTraffic{
		RequestTimeout: d(30 * time.Second),
		Retry:          &ir.TrafficRetry{NumRetries: 3, RetryOn: []string{"5xx"}, PerTryTimeout: d(time.Second)},
	}
	// The policy alone.
	ra := &routev3.RouteAction{}
	RetryTimeout{}.RouteAction(ra, &ir.Route{Traffic: traffic})
	if ra.Timeout.AsDuration() != 30*time.Second || ra.RetryPolicy.GetNumRetries().GetValue() != 3 || ra.RetryPolicy.PerTryTimeout.AsDuration() != time.Second {
		t.Errorf("policy alone: %v", ra)
	}
	// The rule's timeout and retry win.
	own := &routev3.RouteAction{Timeout: nil, RetryPolicy: &routev3.RetryPolicy{RetryOn: "reset"}}
	RetryTimeout{}.RouteAction(own, &ir.Route{Traffic: traffic, Timeout: d(5 * time.Second), Retry: &ir.Retry{Attempts: 1}})
	if own.Timeout != nil || own.RetryPolicy.RetryOn != "reset" {
		t.Errorf("rule settings were replaced: %v", own)
	}
	// The rule's backendRequest is the per-try timeout of the policy's retry.
	ra = &routev3.RouteAction{}
	RetryTimeout{}.RouteAction(ra, &ir.Route{Traffic: traffic, Timeout: d(0), BackendTimeout: d(2 * time.Second)})
	if ra.Timeout != nil || ra.RetryPolicy.PerTryTimeout.AsDuration() != 2*time.Second || ra.RetryPolicy.RetryOn != "5xx" {
		t.Errorf("backendRequest: %v", ra)
	}
}

func TestRateLimitPathRegex(t *testing.T) {
	tests := map[string]struct {
		typ        gwapiv1.PathMatchType
		value      string
		match, not []string
	}{
		"prefix": {typ: gwapiv1.PathMatchPathPrefix, value: "/api/", match: []string{"/api", "/api/v1", "/api?x=1"}, not: []string{"/apix", "/other/api"}},
		"exact":  {typ: gwapiv1.PathMatchExact, value: "/a.b", match: []string{"/a.b", "/a.b?x=1"}, not: []string{"/axb", "/a.b/c"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := &specValidator{}
			m := v.pathMatch("p", &egv1a1.PathMatch{Type: &tc.typ, Value: tc.value})
			re := regexp.MustCompile(m.Regex)
			for _, p := range tc.match {
				if !re.MatchString(p) {
					t.Errorf("%q does not match %s", p, m.Regex)
				}
			}
			for _, p := range tc.not {
				if re.MatchString(p) {
					t.Errorf("%q matches %s", p, m.Regex)
				}
			}
		})
	}
}

func TestLocalRateLimitSpec(t *testing.T) {
	sel := []egv1a1.RateLimitSelectCondition{{Headers: []egv1a1.HeaderMatch{{Name: "x-a", Value: ptr("1")}}}}
	tests := map[string]struct {
		rules   []egv1a1.RateLimitRule
		wantErr string
		wantDef ir.TokenBucket
	}{
		"no default is unlimited": {
			rules:   []egv1a1.RateLimitRule{{ClientSelectors: sel, Limit: egv1a1.RateLimitValue{Requests: 1, Unit: "Hour"}}},
			wantDef: ir.TokenBucket{Requests: 1<<32 - 1, Interval: ir.Duration(time.Second)},
		},
		"rule unit must be a multiple of the default's": {
			rules: []egv1a1.RateLimitRule{
				{Limit: egv1a1.RateLimitValue{Requests: 10, Unit: "Hour"}},
				{ClientSelectors: sel, Limit: egv1a1.RateLimitValue{Requests: 1, Unit: "Minute"}},
			},
			wantErr: "field spec.rateLimit.local.rules[1].limit.unit: must be a multiple",
		},
		"unknown unit": {
			rules:   []egv1a1.RateLimitRule{{Limit: egv1a1.RateLimitValue{Requests: 1, Unit: "Fortnight"}}},
			wantErr: `field spec.rateLimit.local.rules[0].limit.unit: "Fortnight" is not one of`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rt, _, errs := routeTrafficSpec(egv1a1.BackendTrafficPolicySpec{RateLimit: &egv1a1.RateLimitSpec{Local: &egv1a1.LocalRateLimit{Rules: tc.rules}}}, 0)
			if tc.wantErr != "" {
				if len(errs) == 0 || !strings.HasPrefix(errs[0].Error(), tc.wantErr) {
					t.Fatalf("errors %q, want %q", errs, tc.wantErr)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if rt.RateLimit.Default != tc.wantDef {
				t.Errorf("default %+v, want %+v", rt.RateLimit.Default, tc.wantDef)
			}
		})
	}
}

func TestCompressorNames(t *testing.T) {
	v := &specValidator{}
	cs := v.compression([]*egv1a1.Compression{{Type: "Zstd"}, {Type: "Gzip"}}, nil)
	if len(v.errs) > 0 {
		t.Fatal(v.errs)
	}
	var names []string
	for _, c := range cs {
		names = append(names, compressorFilterName(c))
	}
	want := []string{"envoy.filters.http.compressor.zstd", "envoy.filters.http.compressor.gzip/fallback"}
	if !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
}

func TestFaultPercentage(t *testing.T) {
	if got := perMillion(0.0001).Numerator; got != 1 {
		t.Errorf("0.0001%% is %d per million, want 1", got)
	}
	if got := perMillion(100).Numerator; got != 1000000 {
		t.Errorf("100%% is %d per million", got)
	}
	v := &specValidator{}
	v.fault("f", &egv1a1.FaultInjection{Abort: &egv1a1.FaultInjectionAbort{GrpcStatus: ptr(int32(17))}})
	if len(v.errs) != 1 || !strings.Contains(v.errs[0].Error(), "f.abort.grpcStatus") {
		t.Errorf("errors %q", v.errs)
	}
}
