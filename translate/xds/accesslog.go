package xds

import (
	"maps"
	"slices"
	"strings"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filelogv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	reqwithoutqueryv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/formatter/req_without_query/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// accessLogs are the access logs of l's HTTP connection managers: one
// envoy.access_loggers.file per log of its EnvoyProxy.
func accessLogs(l *ir.Listener) []*accesslogv3.AccessLog {
	if l.Proxy == nil || len(l.Proxy.AccessLogs) == 0 {
		return nil
	}
	out := make([]*accesslogv3.AccessLog, 0, len(l.Proxy.AccessLogs))
	for _, a := range l.Proxy.AccessLogs {
		out = append(out, fileAccessLog(a))
	}
	return out
}

func fileAccessLog(a ir.AccessLog) *accesslogv3.AccessLog {
	format := &corev3.SubstitutionFormatString{}
	operators := []string{a.Text}
	if a.Format == ir.AccessLogText {
		format.Format = &corev3.SubstitutionFormatString_TextFormatSource{TextFormatSource: &corev3.DataSource{
			Specifier: &corev3.DataSource_InlineString{InlineString: a.Text},
		}}
	} else {
		fields := a.JSON
		if len(fields) == 0 {
			fields = defaultJSONFields
		}
		st := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(fields))}
		for k, v := range fields {
			st.Fields[k] = structpb.NewStringValue(v)
		}
		format.Format = &corev3.SubstitutionFormatString_JsonFormat{JsonFormat: st}
		operators = slices.Collect(maps.Values(fields))
	}
	if slices.ContainsFunc(operators, func(s string) bool { return strings.Contains(s, reqWithoutQuery) }) {
		format.Formatters = []*corev3.TypedExtensionConfig{{
			Name:        "envoy.formatter.req_without_query",
			TypedConfig: mustAny(&reqwithoutqueryv3.ReqWithoutQuery{}),
		}}
	}
	return &accesslogv3.AccessLog{
		Name: "envoy.access_loggers.file",
		ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: mustAny(&filelogv3.FileAccessLog{
			Path:            a.Path,
			AccessLogFormat: &filelogv3.FileAccessLog_LogFormat{LogFormat: format},
		})},
	}
}

// defaultJSONFields are the fields of a JSON access log whose format
// names none: Envoy Gateway's default JSON format.
var defaultJSONFields = map[string]string{
	":authority":                        "%REQ(:AUTHORITY)%",
	"bytes_received":                    "%BYTES_RECEIVED%",
	"bytes_sent":                        "%BYTES_SENT%",
	"connection_termination_details":    "%CONNECTION_TERMINATION_DETAILS%",
	"downstream_local_address":          "%DOWNSTREAM_LOCAL_ADDRESS%",
	"downstream_remote_address":         "%DOWNSTREAM_REMOTE_ADDRESS%",
	"duration":                          "%DURATION%",
	"method":                            "%REQ(:METHOD)%",
	"protocol":                          "%PROTOCOL%",
	"requested_server_name":             "%REQUESTED_SERVER_NAME%",
	"response_code":                     "%RESPONSE_CODE%",
	"response_code_details":             "%RESPONSE_CODE_DETAILS%",
	"response_flags":                    "%RESPONSE_FLAGS%",
	"route_name":                        "%ROUTE_NAME%",
	"start_time":                        "%START_TIME%",
	"upstream_cluster":                  "%UPSTREAM_CLUSTER%",
	"upstream_host":                     "%UPSTREAM_HOST%",
	"upstream_local_address":            "%UPSTREAM_LOCAL_ADDRESS%",
	"upstream_transport_failure_reason": "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
	"user-agent":                        "%REQ(USER-AGENT)%",
	"x-envoy-origin-path":               "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
	"x-envoy-upstream-service-time":     "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
	"x-forwarded-for":                   "%REQ(X-FORWARDED-FOR)%",
	"x-request-id":                      "%REQ(X-REQUEST-ID)%",
}

// reqWithoutQuery is the command operator that needs Envoy's
// req_without_query formatter extension.
const reqWithoutQuery = "%REQ_WITHOUT_QUERY"
