package ir

import (
	"errors"
	"fmt"
)

// Health checks of a cluster's endpoints (BackendTrafficPolicy
// healthCheck, in package policies): active checks that Envoy sends
// itself, and passive ones (outlier detection) that watch the answers to
// real requests. Envoy routes only to healthy endpoints and, in a failover
// cluster, moves traffic to the next priority as they fail.

// ActiveHealthCheck is Envoy's health_checks entry: one of HTTP, TCP or
// GRPC, every Interval, each check given Timeout.
type ActiveHealthCheck struct {
	Timeout  Duration `json:"timeout" yaml:"timeout"`
	Interval Duration `json:"interval" yaml:"interval"`
	// InitialJitter, when set, bounds the random wait before the first check.
	InitialJitter      *Duration        `json:"initialJitter,omitempty" yaml:"initialJitter,omitempty"`
	UnhealthyThreshold uint32           `json:"unhealthyThreshold" yaml:"unhealthyThreshold"`
	HealthyThreshold   uint32           `json:"healthyThreshold" yaml:"healthyThreshold"`
	HTTP               *HTTPHealthCheck `json:"http,omitempty" yaml:"http,omitempty"`
	TCP                *TCPHealthCheck  `json:"tcp,omitempty" yaml:"tcp,omitempty"`
	GRPC               *GRPCHealthCheck `json:"grpc,omitempty" yaml:"grpc,omitempty"`
}

// HTTPHealthCheck requests Path with Method (GET when empty); an endpoint
// is healthy when the status is one of ExpectedStatuses (200 when none)
// and the body holds Receive, if set.
type HTTPHealthCheck struct {
	Host              string   `json:"host,omitempty" yaml:"host,omitempty"`
	Path              string   `json:"path" yaml:"path"`
	Method            string   `json:"method,omitempty" yaml:"method,omitempty"`
	ExpectedStatuses  []uint32 `json:"expectedStatuses,omitempty" yaml:"expectedStatuses,omitempty"`
	RetriableStatuses []uint32 `json:"retriableStatuses,omitempty" yaml:"retriableStatuses,omitempty"`
	Send              *Payload `json:"send,omitempty" yaml:"send,omitempty"`
	Receive           *Payload `json:"receive,omitempty" yaml:"receive,omitempty"`
}

// TCPHealthCheck connects, writes Send (if set) and expects Receive (if
// set); without either, a connection is a success.
type TCPHealthCheck struct {
	Send    *Payload `json:"send,omitempty" yaml:"send,omitempty"`
	Receive *Payload `json:"receive,omitempty" yaml:"receive,omitempty"`
}

// GRPCHealthCheck calls grpc.health.v1.Health/Check for Service (the
// whole server when empty).
type GRPCHealthCheck struct {
	Service string `json:"service,omitempty" yaml:"service,omitempty"`
}

// Payload is bytes written or expected by a health check: Text or Binary.
type Payload struct {
	Text   string `json:"text,omitempty" yaml:"text,omitempty"`
	Binary []byte `json:"binary,omitempty" yaml:"binary,omitempty"`
}

// OutlierDetection ejects endpoints whose answers fail (passive health
// checks) for BaseEjectionTime, longer each time.
type OutlierDetection struct {
	// SplitExternalLocalOriginErrors counts connection failures and
	// timeouts (local origin) apart from the upstream's 5xx answers.
	SplitExternalLocalOriginErrors bool     `json:"splitExternalLocalOriginErrors,omitempty" yaml:"splitExternalLocalOriginErrors,omitempty"`
	Interval                       Duration `json:"interval" yaml:"interval"`
	// ConsecutiveLocalOriginFailures counts only with
	// SplitExternalLocalOriginErrors; zero leaves Envoy's default.
	ConsecutiveLocalOriginFailures uint32 `json:"consecutiveLocalOriginFailures,omitempty" yaml:"consecutiveLocalOriginFailures,omitempty"`
	// ConsecutiveGatewayErrors (502, 503, 504), when set, ejects too.
	ConsecutiveGatewayErrors *uint32  `json:"consecutiveGatewayErrors,omitempty" yaml:"consecutiveGatewayErrors,omitempty"`
	Consecutive5xx           uint32   `json:"consecutive5xx" yaml:"consecutive5xx"`
	BaseEjectionTime         Duration `json:"baseEjectionTime" yaml:"baseEjectionTime"`
	MaxEjectionPercent       uint32   `json:"maxEjectionPercent" yaml:"maxEjectionPercent"`
	// FailurePercentageThreshold, when set, ejects endpoints whose share
	// of failed requests reaches it.
	FailurePercentageThreshold *uint32 `json:"failurePercentageThreshold,omitempty" yaml:"failurePercentageThreshold,omitempty"`
	// AlwaysEjectOne ejects one endpoint even beyond MaxEjectionPercent.
	AlwaysEjectOne bool `json:"alwaysEjectOne,omitempty" yaml:"alwaysEjectOne,omitempty"`
}

// validateHealth checks what Envoy demands of a cluster's health checks.
func (c *Cluster) validateHealth() error {
	var errs []error
	if h := c.HealthCheck; h != nil {
		kinds := 0
		for _, set := range []bool{h.HTTP != nil, h.TCP != nil, h.GRPC != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			errs = append(errs, errors.New("an active health check is exactly one of http, tcp, grpc"))
		}
		if h.Timeout <= 0 || h.Interval <= 0 {
			errs = append(errs, errors.New("health check timeout and interval must be positive"))
		}
		if h.UnhealthyThreshold == 0 || h.HealthyThreshold == 0 {
			errs = append(errs, errors.New("health check thresholds must be at least 1"))
		}
		if h.HTTP != nil && h.HTTP.Path == "" {
			errs = append(errs, errors.New("an HTTP health check needs a path"))
		}
		if h.GRPC != nil && !c.HTTP2 {
			errs = append(errs, errors.New("a gRPC health check needs a cluster that speaks HTTP/2"))
		}
	}
	if o := c.OutlierDetection; o != nil {
		if o.Interval <= 0 || o.BaseEjectionTime <= 0 {
			errs = append(errs, errors.New("outlier detection interval and base ejection time must be positive"))
		}
		if o.MaxEjectionPercent > 100 || (o.FailurePercentageThreshold != nil && *o.FailurePercentageThreshold > 100) {
			errs = append(errs, errors.New("outlier detection percentages must be at most 100"))
		}
	}
	if p := c.HealthyPanicThreshold; p != nil && *p > 100 {
		errs = append(errs, fmt.Errorf("healthy panic threshold %d is more than 100", *p))
	}
	return errors.Join(errs...)
}
