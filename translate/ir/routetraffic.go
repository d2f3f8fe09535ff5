package ir

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
)

// RouteTraffic is what a BackendTrafficPolicy configures on a route
// itself (package policies, btp_route.go and the files it names): retries
// and the request timeout on the route action, and the route's own
// configuration of the local rate limit, fault and compressor filters.
type RouteTraffic struct {
	// Retry, when set, is the route's retry policy, unless the route's
	// own rule sets one (Route.Retry wins).
	Retry *TrafficRetry `json:"retry,omitempty" yaml:"retry,omitempty"`
	// RequestTimeout, when set, bounds the whole request, unless the
	// route's own rule sets timeouts (Route.Timeout wins).
	RequestTimeout *Duration `json:"requestTimeout,omitempty" yaml:"requestTimeout,omitempty"`
	// RateLimit, when set, limits the route's requests on each Envoy.
	RateLimit *LocalRateLimit `json:"rateLimit,omitempty" yaml:"rateLimit,omitempty"`
	// Fault, when set, delays or aborts some of the route's requests.
	Fault *Fault `json:"fault,omitempty" yaml:"fault,omitempty"`
	// Compressors compress the route's responses, in order of preference.
	Compressors []Compressor `json:"compressors,omitempty" yaml:"compressors,omitempty"`
}

// TrafficRetry is a retry policy in Envoy's terms.
type TrafficRetry struct {
	NumRetries uint32 `json:"numRetries" yaml:"numRetries"`
	// RetryOn are Envoy's retry conditions (x-envoy-retry-on and
	// x-envoy-retry-grpc-on names), sorted.
	RetryOn []string `json:"retryOn" yaml:"retryOn"`
	// StatusCodes are retried under the retriable-status-codes condition.
	StatusCodes   []uint32  `json:"statusCodes,omitempty" yaml:"statusCodes,omitempty"`
	PerTryTimeout *Duration `json:"perTryTimeout,omitempty" yaml:"perTryTimeout,omitempty"`
	// BaseInterval and MaxInterval, when set, are the back-off between
	// tries; MaxInterval needs BaseInterval.
	BaseInterval *Duration `json:"baseInterval,omitempty" yaml:"baseInterval,omitempty"`
	MaxInterval  *Duration `json:"maxInterval,omitempty" yaml:"maxInterval,omitempty"`
	// AttemptsPerPriority, when not zero, is how many tries go to one
	// priority before the next (failover clusters).
	AttemptsPerPriority uint32 `json:"attemptsPerPriority,omitempty" yaml:"attemptsPerPriority,omitempty"`
}

// LocalRateLimit is a set of token buckets per route and Envoy: a request
// that matches rules takes a token from each of their buckets; one that
// matches none takes one from Default.
type LocalRateLimit struct {
	Default TokenBucket `json:"default" yaml:"default"`
	// DefaultHeadersOff turns the X-RateLimit response headers off for
	// the route (they are on by default, draft 03).
	DefaultHeadersOff bool            `json:"defaultHeadersOff,omitempty" yaml:"defaultHeadersOff,omitempty"`
	Rules             []RateLimitRule `json:"rules,omitempty" yaml:"rules,omitempty"`
}

// TokenBucket allows Requests per Interval.
type TokenBucket struct {
	Requests uint32   `json:"requests" yaml:"requests"`
	Interval Duration `json:"interval" yaml:"interval"`
}

// RateLimitRule selects requests by all of its matches (and any one of
// its Methods) and limits them.
type RateLimitRule struct {
	// Index is the rule's position in the policy, which names its
	// descriptor entries.
	Index       int              `json:"index" yaml:"index"`
	Headers     []RateLimitMatch `json:"headers,omitempty" yaml:"headers,omitempty"`
	Methods     []RateLimitMatch `json:"methods,omitempty" yaml:"methods,omitempty"`
	Path        *RateLimitMatch  `json:"path,omitempty" yaml:"path,omitempty"`
	SourceCIDR  *RateLimitCIDR   `json:"sourceCIDR,omitempty" yaml:"sourceCIDR,omitempty"`
	QueryParams []RateLimitMatch `json:"queryParams,omitempty" yaml:"queryParams,omitempty"`
	Limit       TokenBucket      `json:"limit" yaml:"limit"`
	// ShadowMode counts but never refuses.
	ShadowMode bool `json:"shadowMode,omitempty" yaml:"shadowMode,omitempty"`
	// XRateLimitHeaders, when set, overrides the X-RateLimit headers
	// for this rule: "Off" or "DraftVersion03".
	XRateLimitHeaders string `json:"xRateLimitHeaders,omitempty" yaml:"xRateLimitHeaders,omitempty"`
}

// RateLimitMatch matches a header, query parameter, method or path by one
// of Exact, Prefix or Regex, or (Distinct) gives each value of the header
// or query parameter a bucket of its own.
type RateLimitMatch struct {
	Name     string `json:"name,omitempty" yaml:"name,omitempty"`
	Exact    string `json:"exact,omitempty" yaml:"exact,omitempty"`
	Prefix   string `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	Regex    string `json:"regex,omitempty" yaml:"regex,omitempty"`
	Distinct bool   `json:"distinct,omitempty" yaml:"distinct,omitempty"`
	Invert   bool   `json:"invert,omitempty" yaml:"invert,omitempty"`
}

// RateLimitCIDR matches the client address; Distinct gives each address
// in the range a bucket of its own.
type RateLimitCIDR struct {
	// CIDR is a masked prefix, e.g. "10.0.0.0/8".
	CIDR     string `json:"cidr" yaml:"cidr"`
	Distinct bool   `json:"distinct,omitempty" yaml:"distinct,omitempty"`
	Invert   bool   `json:"invert,omitempty" yaml:"invert,omitempty"`
}

// Fault delays and/or aborts a share of requests.
type Fault struct {
	Delay *FaultDelay `json:"delay,omitempty" yaml:"delay,omitempty"`
	Abort *FaultAbort `json:"abort,omitempty" yaml:"abort,omitempty"`
}

// FaultDelay holds Percentage of requests for Delay.
type FaultDelay struct {
	Delay      Duration `json:"delay" yaml:"delay"`
	Percentage float32  `json:"percentage" yaml:"percentage"`
}

// FaultAbort answers Percentage of requests with HTTPStatus, or with a
// gRPC status (GRPCStatus) when GRPC is set.
type FaultAbort struct {
	HTTPStatus uint32  `json:"httpStatus,omitempty" yaml:"httpStatus,omitempty"`
	GRPC       bool    `json:"grpc,omitempty" yaml:"grpc,omitempty"`
	GRPCStatus uint32  `json:"grpcStatus,omitempty" yaml:"grpcStatus,omitempty"`
	Percentage float32 `json:"percentage" yaml:"percentage"`
}

// Compressor is one compression library for responses.
type Compressor struct {
	// Type is Gzip, Brotli or Zstd.
	Type string `json:"type" yaml:"type"`
	// ChooseFirst prefers this compressor when the client accepts several
	// equally.
	ChooseFirst bool `json:"chooseFirst,omitempty" yaml:"chooseFirst,omitempty"`
	// MinContentLength, when set, is the smallest response compressed
	// (Envoy's default: 30 bytes).
	MinContentLength *uint32 `json:"minContentLength,omitempty" yaml:"minContentLength,omitempty"`
}

// CompressorTypes are the compressor types Envoy is given libraries for.
var CompressorTypes = map[string]bool{"Gzip": true, "Brotli": true, "Zstd": true}

func (t *RouteTraffic) validate() error {
	var errs []error
	if rt := t.Retry; rt != nil {
		if len(rt.RetryOn) == 0 {
			errs = append(errs, errors.New("retry has no retry conditions"))
		}
		if rt.MaxInterval != nil && (rt.BaseInterval == nil || *rt.MaxInterval < *rt.BaseInterval) {
			errs = append(errs, errors.New("retry maxInterval needs a baseInterval no greater than it"))
		}
		if rt.BaseInterval != nil && *rt.BaseInterval <= 0 {
			errs = append(errs, errors.New("retry baseInterval must be positive"))
		}
	}
	if t.RequestTimeout != nil && *t.RequestTimeout < 0 {
		errs = append(errs, errors.New("request timeout is negative"))
	}
	if rl := t.RateLimit; rl != nil {
		errs = append(errs, rl.validate()...)
	}
	if f := t.Fault; f != nil {
		errs = append(errs, f.validate()...)
	}
	seen := map[string]bool{}
	for _, c := range t.Compressors {
		if !CompressorTypes[c.Type] {
			errs = append(errs, fmt.Errorf("compressor type %q is not Gzip, Brotli or Zstd", c.Type))
		}
		if seen[c.Type] {
			errs = append(errs, fmt.Errorf("compressor type %q is listed twice", c.Type))
		}
		seen[c.Type] = true
	}
	return errors.Join(errs...)
}

func (rl *LocalRateLimit) validate() []error {
	var errs []error
	base := rl.Default.Interval
	if base <= 0 {
		return []error{errors.New("rate limit default interval must be positive")}
	}
	for _, r := range rl.Rules {
		if r.Limit.Interval <= 0 || r.Limit.Interval%base != 0 {
			errs = append(errs, fmt.Errorf("rate limit rule %d: interval %s is not a multiple of the default's %s", r.Index, r.Limit.Interval.Std(), base.Std()))
		}
		matches := append(append([]RateLimitMatch{}, r.Headers...), r.QueryParams...)
		matches = append(matches, r.Methods...)
		if r.Path != nil {
			matches = append(matches, *r.Path)
		}
		for _, m := range matches {
			if m.Regex != "" {
				if _, err := regexp.Compile(m.Regex); err != nil {
					errs = append(errs, fmt.Errorf("rate limit rule %d: %w", r.Index, err))
				}
			}
		}
		if c := r.SourceCIDR; c != nil {
			if p, err := netip.ParsePrefix(c.CIDR); err != nil || p.Masked() != p {
				errs = append(errs, fmt.Errorf("rate limit rule %d: %q is not a masked CIDR", r.Index, c.CIDR))
			}
		}
		if len(matches) == 0 && r.SourceCIDR == nil {
			errs = append(errs, fmt.Errorf("rate limit rule %d selects nothing", r.Index))
		}
	}
	return errs
}

func (f *Fault) validate() []error {
	var errs []error
	if f.Delay == nil && f.Abort == nil {
		errs = append(errs, errors.New("fault has neither delay nor abort"))
	}
	if d := f.Delay; d != nil {
		if d.Percentage < 0 || d.Percentage > 100 {
			errs = append(errs, fmt.Errorf("fault delay percentage %v is out of 0-100", d.Percentage))
		}
		if d.Delay <= 0 {
			errs = append(errs, errors.New("fault delay must be positive"))
		}
	}
	if a := f.Abort; a != nil {
		if a.Percentage < 0 || a.Percentage > 100 {
			errs = append(errs, fmt.Errorf("fault abort percentage %v is out of 0-100", a.Percentage))
		}
		if !a.GRPC && (a.HTTPStatus < 200 || a.HTTPStatus > 599) {
			errs = append(errs, fmt.Errorf("fault abort status %d is out of 200-599", a.HTTPStatus))
		}
		if a.GRPC && a.GRPCStatus > 16 {
			errs = append(errs, fmt.Errorf("fault abort gRPC status %d is out of 0-16", a.GRPCStatus))
		}
	}
	return errs
}
