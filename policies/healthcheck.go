package policies

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy healthCheck: active checks (HTTP, TCP, gRPC)
// become the cluster's health_checks, passive ones its outlier_detection,
// panicThreshold its healthy panic threshold; unset fields take the CRD's
// defaults.
//
// The checks go on the per-policy copies of the routes' clusters that
// carry all of a policy's cluster settings (btp_cluster_copies.go). A
// copy of a failover cluster keeps its priorities and its default
// outlier detection unless the policy sets passive checks.
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
func healthCheckSpec(h *egv1a1.HealthCheck) (*healthCheck, []string, []error) {
	if h == nil {
		return nil, nil, nil
	}
	v := &specValidator{}
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

// apply sets the checks on cluster c, a copy of cluster orig for a
// route of host (or ""). An HTTP check without a hostname sends the Host
// Envoy Gateway would: a Backend's hostname, else the route's (host, the first
// non-wildcard domain of its virtual host), else the first endpoint's
// address; never Envoy's default, the cluster name, which is not a valid
// Host. A gRPC check cannot run on a cluster that does not speak HTTP/2
// (only GRPCRoute backends do): such a copy gets no active check, and
// notes says so.
func (hc *healthCheck) apply(c *ir.Cluster, orig, host string, notes map[string]bool) {
	if hc.active != nil && (hc.active.GRPC == nil || c.HTTP2) {
		c.HealthCheck = hc.active
		if h := hc.active.HTTP; h != nil && h.Host == "" {
			active, http := *hc.active, *h
			http.Host = checkHost(c, host)
			active.HTTP = &http
			c.HealthCheck = &active
		}
	}
	hc.noteSkipped(c, orig, notes)
	if hc.passive != nil {
		c.OutlierDetection = hc.passive
	}
	if hc.panic != nil {
		c.HealthyPanicThreshold = hc.panic
	}
}

// noteSkipped notes that copy c of cluster orig gets no active check,
// when apply gives it none.
func (hc *healthCheck) noteSkipped(c *ir.Cluster, orig string, notes map[string]bool) {
	if hc.active != nil && hc.active.GRPC != nil && !c.HTTP2 {
		notes[fmt.Sprintf("spec.healthCheck.active: type GRPC is not applied to backend cluster %s, which does not speak HTTP/2", orig)] = true
	}
}

// checkHost is the Host of an HTTP health check of cluster c used by a
// route of host (or "").
func checkHost(c *ir.Cluster, host string) string {
	eps := c.Endpoints
	if len(c.Groups) > 0 {
		eps = c.Groups[0].Endpoints
	}
	var first string
	if len(eps) > 0 {
		first = eps[0].Host
	}
	switch {
	case c.DNS && first != "":
		return first
	case host != "":
		return host
	case strings.Contains(first, ":"):
		return "[" + first + "]"
	case first != "":
		return first
	}
	return "localhost"
}

func (v *specValidator) threshold(field string, n *uint32, def uint32) uint32 {
	if n == nil {
		return def
	}
	if *n < 1 {
		v.errs.Add(field, "must be at least 1")
	}
	return *n
}

// httpMethods are the methods Envoy's HTTP health checker takes (not
// CONNECT).
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"}

func (v *specValidator) active(field string, a *egv1a1.ActiveHealthCheck) *ir.ActiveHealthCheck {
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
		v.errs.Add(field+".overrides", "is not supported by sluice")
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
		v.errs.Add(field+".type", "is required; one of HTTP, TCP, GRPC")
		return out
	default:
		v.errs.Add(field+".type", "%q is not one of HTTP, TCP, GRPC", a.Type)
		return out
	}
	for _, t := range []egv1a1.ActiveHealthCheckerType{egv1a1.ActiveHealthCheckerTypeHTTP, egv1a1.ActiveHealthCheckerTypeTCP, egv1a1.ActiveHealthCheckerTypeGRPC} {
		name := strings.ToLower(string(t))
		switch {
		case t == a.Type && !has[t] && t != egv1a1.ActiveHealthCheckerTypeGRPC:
			v.errs.Add(fmt.Sprintf("%s.%s", field, name), "must be set for type %s", t)
		case t != a.Type && has[t]:
			v.errs.Add(fmt.Sprintf("%s.%s", field, name), "can only be set for type %s, not %s", t, a.Type)
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

func (v *specValidator) http(field string, h *egv1a1.HTTPActiveHealthChecker) *ir.HTTPHealthCheck {
	out := &ir.HTTPHealthCheck{Path: h.Path}
	switch {
	case h.Path == "":
		v.errs.Add(field+".path", "is required")
	case len(h.Path) > 1024:
		v.errs.Add(field+".path", "is longer than 1024 characters")
	case !strings.HasPrefix(h.Path, "/") || strings.ContainsFunc(h.Path, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		v.errs.Add(field+".path", "%q is not an absolute path without spaces or control characters", h.Path)
	}
	if h.Hostname != nil {
		if len(*h.Hostname) > 253 || !hostname.MatchString(*h.Hostname) {
			v.errs.Add(field+".hostname", "%q is not a lowercase DNS name", *h.Hostname)
		}
		out.Host = *h.Hostname
	}
	if h.Method != nil {
		m := strings.ToUpper(*h.Method)
		if !slices.Contains(httpMethods, m) {
			v.errs.Add(field+".method", "%q is not one of %s", *h.Method, strings.Join(httpMethods, ", "))
		}
		out.Method = m
	}
	out.ExpectedStatuses = v.statuses(field+".expectedStatuses", h.ExpectedStatuses)
	out.RetriableStatuses = v.statuses(field+".retriableStatuses", h.RetriableStatuses)
	out.Receive = v.payload(field+".expectedResponse", h.ExpectedResponse)
	if h.RequestBody != nil {
		if out.Method != "POST" && out.Method != "PUT" {
			v.errs.Add(field+".requestBody", "can only be set when method is POST or PUT")
		}
		out.Send = v.payload(field+".requestBody", h.RequestBody)
	}
	return out
}

func (v *specValidator) statuses(field string, codes []egv1a1.HTTPStatus) []uint32 {
	var out []uint32
	for i, c := range codes {
		if c < 100 || c > 599 {
			v.errs.Add(fmt.Sprintf("%s[%d]", field, i), "%d is not an HTTP status code (100-599)", c)
			continue
		}
		out = append(out, uint32(c))
	}
	return out
}

func (v *specValidator) payload(field string, p *egv1a1.ActiveHealthCheckPayload) *ir.Payload {
	if p == nil {
		return nil
	}
	switch p.Type {
	case egv1a1.ActiveHealthCheckPayloadTypeText:
		if p.Text == nil || p.Binary != nil {
			v.errs.Add(field, "type Text needs text and no binary")
			return nil
		}
		return &ir.Payload{Text: *p.Text}
	case egv1a1.ActiveHealthCheckPayloadTypeBinary:
		if p.Binary == nil || p.Text != nil {
			v.errs.Add(field, "type Binary needs binary and no text")
			return nil
		}
		return &ir.Payload{Binary: p.Binary}
	}
	v.errs.Add(field+".type", "%q is not one of Text, Binary", p.Type)
	return nil
}

func (v *specValidator) passive(field string, p *egv1a1.PassiveHealthCheck) *ir.OutlierDetection {
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
