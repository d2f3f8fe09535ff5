package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy healthCheck: active checks (HTTP, TCP, gRPC)
// become the cluster's health_checks, passive ones its outlier_detection,
// panicThreshold its healthy panic threshold; unset fields take the CRD's
// defaults.
//
// Envoy Gateway gives each route rule clusters of its own, so a policy's
// health checks concern its routes only. sluice gives each backend one
// cluster, which routes under different policies may share; so a route
// under a policy with a healthCheck is sent to copies of its clusters
// named "<cluster>/healthcheck/<policy namespace>/<policy name>", which
// carry the policy's checks, and routes under no such policy keep the
// plain cluster. A copy of a failover cluster keeps its priorities and
// its default outlier detection unless the policy sets passive checks.
// A cluster left without references is removed. Mirrors, TCP and UDP
// routes keep the plain clusters.
//
// An invalid healthCheck (the CRD's ranges, the fields each type
// requires, what Envoy would reject) makes the whole policy invalid: no
// health check is applied, which leaves the backends no more open than
// without the policy.

// healthCheck is what a policy's healthCheck does to a cluster.
type healthCheck struct {
	active  *ir.ActiveHealthCheck
	passive *ir.OutlierDetection
	panic   *uint32
}

// healthCheckSpec checks spec.healthCheck and returns its IR, the
// sub-fields sluice ignores, or the problems, each naming its field.
func healthCheckSpec(h *egv1a1.HealthCheck) (*healthCheck, []string, []string) {
	if h == nil {
		return nil, nil, nil
	}
	v := &hcValidator{}
	hc := &healthCheck{}
	if h.PanicThreshold != nil {
		v.percent("spec.healthCheck.panicThreshold", int64(*h.PanicThreshold))
		hc.panic = h.PanicThreshold
	}
	if h.Active != nil {
		hc.active = v.active("spec.healthCheck.active", h.Active)
	}
	if h.Passive != nil {
		hc.passive = v.passive("spec.healthCheck.passive", h.Passive)
	}
	if len(v.errs) > 0 {
		return nil, nil, v.errs
	}
	if hc.active == nil && hc.passive == nil && hc.panic == nil {
		return nil, v.ignored, nil
	}
	return hc, v.ignored, nil
}

type hcValidator struct {
	errs, ignored []string
}

func (v *hcValidator) bad(format string, args ...any) {
	v.errs = append(v.errs, "field "+fmt.Sprintf(format, args...))
}

func (v *hcValidator) percent(field string, n int64) {
	if n < 0 || n > 100 {
		v.bad("%s: %d is not a percentage (0-100)", field, n)
	}
}

// gwDuration is Gateway API's Duration format (GEP-2257).
var gwDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)

// duration parses a Gateway API duration, or returns def when d is nil.
// Envoy wants it positive.
func (v *hcValidator) duration(field string, d *gwapiv1.Duration, def time.Duration) ir.Duration {
	if d == nil {
		return ir.Duration(def)
	}
	s := string(*d)
	t, err := time.ParseDuration(s)
	switch {
	case !gwDuration.MatchString(s) || err != nil:
		v.bad("%s: %q is not a duration such as 1s, 500ms or 1m30s", field, s)
	case t <= 0:
		v.bad("%s: must be greater than 0", field)
	}
	return ir.Duration(t)
}

func (v *hcValidator) threshold(field string, n *uint32, def uint32) uint32 {
	if n == nil {
		return def
	}
	if *n < 1 {
		v.bad("%s: must be at least 1", field)
	}
	return *n
}

// httpMethods are the methods Envoy's HTTP health checker takes (not
// CONNECT).
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"}

func (v *hcValidator) active(field string, a *egv1a1.ActiveHealthCheck) *ir.ActiveHealthCheck {
	out := &ir.ActiveHealthCheck{
		Timeout:            v.duration(field+".timeout", a.Timeout, time.Second),
		Interval:           v.duration(field+".interval", a.Interval, 3*time.Second),
		UnhealthyThreshold: v.threshold(field+".unhealthyThreshold", a.UnhealthyThreshold, 3),
		HealthyThreshold:   v.threshold(field+".healthyThreshold", a.HealthyThreshold, 1),
	}
	if a.InitialJitter != nil {
		j := v.duration(field+".initialJitter", a.InitialJitter, 0)
		out.InitialJitter = &j
	}
	if a.Overrides != nil {
		v.bad("%s.overrides: is not supported by sluice", field)
	}
	if a.HealthCheckLog != nil {
		v.ignored = append(v.ignored, field+".healthCheckLog")
	}
	has := map[egv1a1.ActiveHealthCheckerType]bool{
		egv1a1.ActiveHealthCheckerTypeHTTP: a.HTTP != nil,
		egv1a1.ActiveHealthCheckerTypeTCP:  a.TCP != nil,
		egv1a1.ActiveHealthCheckerTypeGRPC: a.GRPC != nil,
	}
	switch a.Type {
	case egv1a1.ActiveHealthCheckerTypeHTTP, egv1a1.ActiveHealthCheckerTypeTCP, egv1a1.ActiveHealthCheckerTypeGRPC:
	case "":
		v.bad("%s.type: is required; one of HTTP, TCP, GRPC", field)
		return out
	default:
		v.bad("%s.type: %q is not one of HTTP, TCP, GRPC", field, a.Type)
		return out
	}
	for _, t := range []egv1a1.ActiveHealthCheckerType{egv1a1.ActiveHealthCheckerTypeHTTP, egv1a1.ActiveHealthCheckerTypeTCP, egv1a1.ActiveHealthCheckerTypeGRPC} {
		name := strings.ToLower(string(t))
		switch {
		case t == a.Type && !has[t] && t != egv1a1.ActiveHealthCheckerTypeGRPC:
			v.bad("%s.%s: must be set for type %s", field, name, t)
		case t != a.Type && has[t]:
			v.bad("%s.%s: can only be set for type %s, not %s", field, name, t, a.Type)
		}
	}
	switch a.Type {
	case egv1a1.ActiveHealthCheckerTypeHTTP:
		if a.HTTP != nil {
			out.HTTP = v.http(field+".http", a.HTTP)
		}
	case egv1a1.ActiveHealthCheckerTypeTCP:
		if a.TCP != nil {
			out.TCP = &ir.TCPHealthCheck{Send: v.payload(field+".tcp.send", a.TCP.Send), Receive: v.payload(field+".tcp.receive", a.TCP.Receive)}
		}
	default:
		out.GRPC = &ir.GRPCHealthCheck{}
		if a.GRPC != nil && a.GRPC.Service != nil {
			out.GRPC.Service = *a.GRPC.Service
		}
	}
	return out
}

// hostname is the CRD's pattern for http.hostname.
var hostname = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

func (v *hcValidator) http(field string, h *egv1a1.HTTPActiveHealthChecker) *ir.HTTPHealthCheck {
	out := &ir.HTTPHealthCheck{Path: h.Path}
	switch {
	case h.Path == "":
		v.bad("%s.path: is required", field)
	case len(h.Path) > 1024:
		v.bad("%s.path: is longer than 1024 characters", field)
	case !strings.HasPrefix(h.Path, "/") || strings.ContainsFunc(h.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		v.bad("%s.path: %q is not an absolute path without spaces or control characters", field, h.Path)
	}
	if h.Hostname != nil {
		if len(*h.Hostname) > 253 || !hostname.MatchString(*h.Hostname) {
			v.bad("%s.hostname: %q is not a lowercase DNS name", field, *h.Hostname)
		}
		out.Host = *h.Hostname
	}
	if h.Method != nil {
		m := strings.ToUpper(*h.Method)
		if !slices.Contains(httpMethods, m) {
			v.bad("%s.method: %q is not one of %s", field, *h.Method, strings.Join(httpMethods, ", "))
		}
		out.Method = m
	}
	out.ExpectedStatuses = v.statuses(field+".expectedStatuses", h.ExpectedStatuses)
	out.RetriableStatuses = v.statuses(field+".retriableStatuses", h.RetriableStatuses)
	out.Receive = v.payload(field+".expectedResponse", h.ExpectedResponse)
	if h.RequestBody != nil {
		if out.Method != "POST" && out.Method != "PUT" {
			v.bad("%s.requestBody: can only be set when method is POST or PUT", field)
		}
		out.Send = v.payload(field+".requestBody", h.RequestBody)
	}
	return out
}

func (v *hcValidator) statuses(field string, codes []egv1a1.HTTPStatus) []uint32 {
	var out []uint32
	for i, c := range codes {
		if c < 100 || c > 599 {
			v.bad("%s[%d]: %d is not an HTTP status code (100-599)", field, i, c)
			continue
		}
		out = append(out, uint32(c))
	}
	return out
}

func (v *hcValidator) payload(field string, p *egv1a1.ActiveHealthCheckPayload) *ir.Payload {
	if p == nil {
		return nil
	}
	switch p.Type {
	case egv1a1.ActiveHealthCheckPayloadTypeText:
		if p.Text == nil || p.Binary != nil {
			v.bad("%s: type Text needs text and no binary", field)
			return nil
		}
		return &ir.Payload{Text: *p.Text}
	case egv1a1.ActiveHealthCheckPayloadTypeBinary:
		if p.Binary == nil || p.Text != nil {
			v.bad("%s: type Binary needs binary and no text", field)
			return nil
		}
		return &ir.Payload{Binary: p.Binary}
	}
	v.bad("%s.type: %q is not one of Text, Binary", field, p.Type)
	return nil
}

func (v *hcValidator) passive(field string, p *egv1a1.PassiveHealthCheck) *ir.OutlierDetection {
	out := &ir.OutlierDetection{
		SplitExternalLocalOriginErrors: p.SplitExternalLocalOriginErrors != nil && *p.SplitExternalLocalOriginErrors,
		Interval:                       v.duration(field+".interval", p.Interval, 3*time.Second),
		ConsecutiveLocalOriginFailures: deref32(p.ConsecutiveLocalOriginFailures, 5),
		ConsecutiveGatewayErrors:       p.ConsecutiveGatewayErrors,
		Consecutive5xx:                 deref32(p.Consecutive5xxErrors, 5),
		BaseEjectionTime:               v.duration(field+".baseEjectionTime", p.BaseEjectionTime, 30*time.Second),
		MaxEjectionPercent:             10,
		FailurePercentageThreshold:     p.FailurePercentageThreshold,
		AlwaysEjectOne:                 p.AlwaysEjectOneEndpoint != nil && *p.AlwaysEjectOneEndpoint,
	}
	if m := p.MaxEjectionPercent; m != nil {
		v.percent(field+".maxEjectionPercent", int64(*m))
		out.MaxEjectionPercent = uint32(max(*m, 0))
	}
	if f := p.FailurePercentageThreshold; f != nil {
		v.percent(field+".failurePercentageThreshold", int64(*f))
	}
	return out
}

func deref32(p *uint32, def uint32) uint32 {
	if p == nil {
		return def
	}
	return *p
}
