package ir

import (
	"strings"
	"testing"
	"time"
)

func TestRouteTrafficValidate(t *testing.T) {
	minute := Duration(time.Minute)
	tests := map[string]struct {
		t       RouteTraffic
		wantErr string
	}{
		"valid": {t: RouteTraffic{
			RateLimit: &LocalRateLimit{Default: TokenBucket{Requests: 1, Interval: minute}, Rules: []RateLimitRule{
				{Index: 1, Methods: []RateLimitMatch{{Exact: "GET"}}, Limit: TokenBucket{Requests: 1, Interval: Duration(time.Hour)}},
			}},
			Fault:       &Fault{Abort: &FaultAbort{HTTPStatus: 503, Percentage: 100}},
			Compressors: []Compressor{{Type: "Gzip", ChooseFirst: true}},
		}},
		"interval not a multiple": {t: RouteTraffic{RateLimit: &LocalRateLimit{Default: TokenBucket{Requests: 1, Interval: minute}, Rules: []RateLimitRule{
			{Index: 2, Methods: []RateLimitMatch{{Exact: "GET"}}, Limit: TokenBucket{Requests: 1, Interval: Duration(time.Second)}},
		}}}, wantErr: "rate limit rule 2: interval 1s is not a multiple"},
		"rule selects nothing": {t: RouteTraffic{RateLimit: &LocalRateLimit{Default: TokenBucket{Requests: 1, Interval: minute}, Rules: []RateLimitRule{
			{Index: 0, Limit: TokenBucket{Requests: 1, Interval: minute}},
		}}}, wantErr: "selects nothing"},
		"unmasked CIDR": {t: RouteTraffic{RateLimit: &LocalRateLimit{Default: TokenBucket{Requests: 1, Interval: minute}, Rules: []RateLimitRule{
			{Index: 0, SourceCIDR: &RateLimitCIDR{CIDR: "10.1.0.0/8"}, Limit: TokenBucket{Requests: 1, Interval: minute}},
		}}}, wantErr: "not a masked CIDR"},
		"abort status":      {t: RouteTraffic{Fault: &Fault{Abort: &FaultAbort{HTTPStatus: 600}}}, wantErr: "out of 200-599"},
		"zero delay":        {t: RouteTraffic{Fault: &Fault{Delay: &FaultDelay{Percentage: 1}}}, wantErr: "fault delay must be positive"},
		"compressor twice":  {t: RouteTraffic{Compressors: []Compressor{{Type: "Gzip"}, {Type: "Gzip"}}}, wantErr: "listed twice"},
		"backoff max alone": {t: RouteTraffic{Retry: &TrafficRetry{RetryOn: []string{"5xx"}, MaxInterval: &minute}}, wantErr: "maxInterval needs a baseInterval"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.t.validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
