package translate

import (
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

func TestAccessLogFormat(t *testing.T) {
	t.Parallel()
	text, json := egv1a1.ProxyAccessLogFormatTypeText, egv1a1.ProxyAccessLogFormatTypeJSON
	line := "%RESPONSE_CODE%\n"
	fields := map[string]string{"code": "%RESPONSE_CODE%"}
	tests := map[string]struct {
		format   *egv1a1.ProxyAccessLogFormat
		wantKind string
		wantText string
		wantJSON bool
	}{
		"none is the default JSON":      {nil, ir.AccessLogJSON, "", false},
		"Text":                          {&egv1a1.ProxyAccessLogFormat{Type: &text, Text: &line}, ir.AccessLogText, line, false},
		"JSON":                          {&egv1a1.ProxyAccessLogFormat{Type: &json, JSON: fields}, ir.AccessLogJSON, "", true},
		"no type, text only is Text":    {&egv1a1.ProxyAccessLogFormat{Text: &line}, ir.AccessLogText, line, false},
		"no type, json only is JSON":    {&egv1a1.ProxyAccessLogFormat{JSON: fields}, ir.AccessLogJSON, "", true},
		"no type, both stays JSON (EG)": {&egv1a1.ProxyAccessLogFormat{Text: &line, JSON: fields}, ir.AccessLogJSON, "", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kind, text, json := accessLogFormat(tc.format)
			if kind != tc.wantKind || text != tc.wantText || (json != nil) != tc.wantJSON {
				t.Errorf("got %s %q %v", kind, text, json)
			}
		})
	}
}

// A Gateway's EnvoyProxy with mergeType takes the access logs and filter
// order of its class's when it sets none, and keeps its own.
func TestOverrideProxyMerge(t *testing.T) {
	t.Parallel()
	merge := egv1a1.StrategicMerge
	classLog := &egv1a1.ProxyAccessLog{Settings: []egv1a1.ProxyAccessLogSetting{{}}}
	class := &egv1a1.EnvoyProxy{Spec: egv1a1.EnvoyProxySpec{
		Telemetry:   &egv1a1.ProxyTelemetry{AccessLog: classLog},
		FilterOrder: []egv1a1.FilterPosition{{Name: egv1a1.EnvoyFilterRBAC}},
	}}
	own := &egv1a1.EnvoyProxy{Spec: egv1a1.EnvoyProxySpec{MergeType: &merge}}
	got := overrideProxy(class, own)
	if got.Spec.Telemetry == nil || got.Spec.Telemetry.AccessLog != classLog || len(got.Spec.FilterOrder) != 1 {
		t.Errorf("merged spec %+v lacks the class's access log or filter order", got.Spec)
	}
	if own.Spec.Telemetry != nil {
		t.Error("merging changed the Gateway's EnvoyProxy")
	}
	ownLog := &egv1a1.ProxyAccessLog{Disable: new(bool)}
	own.Spec.Telemetry = &egv1a1.ProxyTelemetry{AccessLog: ownLog}
	if got := overrideProxy(class, own); got.Spec.Telemetry.AccessLog.Disable == nil {
		t.Error("the Gateway's own access log was replaced by its class's")
	}
	if got := overrideProxy(class, &egv1a1.EnvoyProxy{}); got.Spec.Telemetry != nil {
		t.Error("without mergeType the Gateway's EnvoyProxy must replace its class's")
	}
}
