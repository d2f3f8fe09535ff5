package xds

import (
	"encoding/hex"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// applyHealth turns a cluster's health checking into Envoy's: active
// checks (health_checks), passive ones (outlier_detection) and the
// healthy panic threshold. Envoy Gateway's translation of
// BackendTrafficPolicy healthCheck, which package policies turns into
// the IR.
func applyHealth(cl *clusterv3.Cluster, c *ir.Cluster) {
	if h := c.HealthCheck; h != nil {
		cl.HealthChecks = []*corev3.HealthCheck{activeHealthCheck(h, c.HTTP2)}
	}
	if o := c.OutlierDetection; o != nil {
		cl.OutlierDetection = outlierDetection(o)
	}
	if p := c.HealthyPanicThreshold; p != nil {
		if cl.CommonLbConfig == nil {
			cl.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{}
		}
		cl.CommonLbConfig.HealthyPanicThreshold = &typev3.Percent{Value: float64(*p)}
	}
}

func activeHealthCheck(h *ir.ActiveHealthCheck, http2 bool) *corev3.HealthCheck {
	hc := &corev3.HealthCheck{
		Timeout:            durationpb.New(h.Timeout.Std()),
		Interval:           durationpb.New(h.Interval.Std()),
		UnhealthyThreshold: wrapperspb.UInt32(h.UnhealthyThreshold),
		HealthyThreshold:   wrapperspb.UInt32(h.HealthyThreshold),
	}
	if h.InitialJitter != nil {
		hc.InitialJitter = durationpb.New(h.InitialJitter.Std())
	}
	switch {
	case h.HTTP != nil:
		hh := &corev3.HealthCheck_HttpHealthCheck{
			Host:              h.HTTP.Host,
			Path:              h.HTTP.Path,
			ExpectedStatuses:  statusRanges(h.HTTP.ExpectedStatuses),
			RetriableStatuses: statusRanges(h.HTTP.RetriableStatuses),
			Send:              healthPayload(h.HTTP.Send),
		}
		if m := h.HTTP.Method; m != "" {
			hh.Method = corev3.RequestMethod(corev3.RequestMethod_value[m])
		}
		if r := healthPayload(h.HTTP.Receive); r != nil {
			hh.Receive = []*corev3.HealthCheck_Payload{r}
		}
		if http2 {
			// The endpoints speak HTTP/2 (h2c) only, as gRPC servers do.
			hh.CodecClientType = typev3.CodecClientType_HTTP2
		}
		hc.HealthChecker = &corev3.HealthCheck_HttpHealthCheck_{HttpHealthCheck: hh}
	case h.TCP != nil:
		th := &corev3.HealthCheck_TcpHealthCheck{Send: healthPayload(h.TCP.Send)}
		if r := healthPayload(h.TCP.Receive); r != nil {
			th.Receive = []*corev3.HealthCheck_Payload{r}
		}
		hc.HealthChecker = &corev3.HealthCheck_TcpHealthCheck_{TcpHealthCheck: th}
	case h.GRPC != nil:
		hc.HealthChecker = &corev3.HealthCheck_GrpcHealthCheck_{GrpcHealthCheck: &corev3.HealthCheck_GrpcHealthCheck{ServiceName: h.GRPC.Service}}
	}
	return hc
}

// statusRanges are single status codes as Envoy's half-open ranges.
func statusRanges(codes []uint32) []*typev3.Int64Range {
	var out []*typev3.Int64Range
	for _, s := range codes {
		out = append(out, &typev3.Int64Range{Start: int64(s), End: int64(s) + 1})
	}
	return out
}

// healthPayload is a payload as Envoy takes it: text hex-encoded, as
// Envoy Gateway does, or raw bytes.
func healthPayload(p *ir.Payload) *corev3.HealthCheck_Payload {
	switch {
	case p == nil:
		return nil
	case p.Binary != nil:
		return &corev3.HealthCheck_Payload{Payload: &corev3.HealthCheck_Payload_Binary{Binary: p.Binary}}
	}
	return &corev3.HealthCheck_Payload{Payload: &corev3.HealthCheck_Payload_Text{Text: hex.EncodeToString([]byte(p.Text))}}
}

// outlierDetection is Envoy's passive health checking. Envoy does not
// enforce consecutive gateway errors nor the failure percentage by
// default; set, they are enforced always (100%), so that they do what the
// policy says.
func outlierDetection(o *ir.OutlierDetection) *clusterv3.OutlierDetection {
	od := &clusterv3.OutlierDetection{
		Consecutive_5Xx:                wrapperspb.UInt32(o.Consecutive5xx),
		Interval:                       durationpb.New(o.Interval.Std()),
		BaseEjectionTime:               durationpb.New(o.BaseEjectionTime.Std()),
		MaxEjectionPercent:             wrapperspb.UInt32(o.MaxEjectionPercent),
		SplitExternalLocalOriginErrors: o.SplitExternalLocalOriginErrors,
	}
	if o.AlwaysEjectOne {
		od.AlwaysEjectOneHost = wrapperspb.Bool(true)
	}
	if o.ConsecutiveLocalOriginFailures > 0 {
		od.ConsecutiveLocalOriginFailure = wrapperspb.UInt32(o.ConsecutiveLocalOriginFailures)
	}
	if n := o.ConsecutiveGatewayErrors; n != nil {
		od.ConsecutiveGatewayFailure = wrapperspb.UInt32(*n)
		od.EnforcingConsecutiveGatewayFailure = wrapperspb.UInt32(100)
	}
	if p := o.FailurePercentageThreshold; p != nil {
		od.FailurePercentageThreshold = wrapperspb.UInt32(*p)
		od.EnforcingFailurePercentage = wrapperspb.UInt32(100)
	}
	return od
}
