package translate

import (
	"fmt"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// EnvoyProxy spec.telemetry.accessLog: file access logs, in text or JSON,
// written by the HTTP connection managers.
//
// Unlike Envoy Gateway, sluice writes no access log unless an EnvoyProxy
// asks for one (Envoy Gateway's default is a JSON log to /dev/stdout):
// sluice does not run the Envoys, and a log nobody asked for fills their
// disks or consoles.

// accessLogSettings reads spec.telemetry.accessLog of an EnvoyProxy. It
// returns the file logs, the first violation of the CRD's schema (naming
// the field; the EnvoyProxy is then invalid) and the fields sluice does
// not implement, each naming what is left out.
func accessLogSettings(al *egv1a1.ProxyAccessLog) (logs []ir.AccessLog, problem string, unsupported []string) {
	const field = "spec.telemetry.accessLog"
	if al == nil || al.Disable != nil && *al.Disable {
		return nil, "", nil
	}
	switch {
	case al.Settings != nil && len(al.Settings) == 0:
		return nil, fmt.Sprintf("field %s.settings: must have at least 1 item", field), nil
	case len(al.Settings) > 50:
		return nil, fmt.Sprintf("field %s.settings: must have at most 50 items", field), nil
	}
	for i, s := range al.Settings {
		f := fmt.Sprintf("%s.settings[%d]", field, i)
		if p := checkAccessLogSetting(f, s); p != "" {
			return nil, p, nil
		}
		if s.Type != nil && *s.Type != egv1a1.ProxyAccessLogTypeRoute {
			unsupported = append(unsupported, fmt.Sprintf("field %s.type: %s access logs are not supported (only Route, or unset: the HTTP connection manager's); the setting is ignored", f, *s.Type))
			continue
		}
		if len(s.Matches) > 0 {
			unsupported = append(unsupported, fmt.Sprintf("field %s.matches: CEL match conditions are not supported; the setting is ignored", f))
			continue
		}
		kind, text, json := accessLogFormat(s.Format)
		for j, sink := range s.Sinks {
			if sink.Type != egv1a1.ProxyAccessLogSinkTypeFile {
				unsupported = append(unsupported, fmt.Sprintf("field %s.sinks[%d].type: %s sinks are not supported (only File); the sink is ignored", f, j, sink.Type))
				continue
			}
			logs = append(logs, ir.AccessLog{Path: sink.File.Path, Format: kind, Text: text, JSON: json})
		}
	}
	return logs, "", unsupported
}

// accessLogFormat resolves a format as Envoy Gateway does: none means
// its default JSON; an unset type means Text when only text is given,
// else JSON.
func accessLogFormat(f *egv1a1.ProxyAccessLogFormat) (kind, text string, json map[string]string) {
	switch {
	case f == nil:
		return ir.AccessLogJSON, "", nil
	case f.Type != nil && *f.Type == egv1a1.ProxyAccessLogFormatTypeText,
		f.Type == nil && f.Text != nil && f.JSON == nil:
		return ir.AccessLogText, *f.Text, nil
	}
	return ir.AccessLogJSON, "", f.JSON
}

// checkAccessLogSetting applies the CRD's rules to one setting.
func checkAccessLogSetting(field string, s egv1a1.ProxyAccessLogSetting) string {
	if t := s.Type; t != nil && *t != egv1a1.ProxyAccessLogTypeRoute && *t != egv1a1.ProxyAccessLogTypeListener && *t != egv1a1.ProxyAccessLogTypeUpstream {
		return fmt.Sprintf("field %s.type: %q is not Listener, Route or Upstream", field, *t)
	}
	if len(s.Matches) > 10 {
		return fmt.Sprintf("field %s.matches: must have at most 10 items", field)
	}
	if p := checkAccessLogFormat(field+".format", s.Format); p != "" {
		return p
	}
	switch {
	case len(s.Sinks) == 0:
		return fmt.Sprintf("field %s.sinks: must have at least 1 item", field)
	case len(s.Sinks) > 50:
		return fmt.Sprintf("field %s.sinks: must have at most 50 items", field)
	}
	for j, sink := range s.Sinks {
		if p := checkAccessLogSink(fmt.Sprintf("%s.sinks[%d]", field, j), sink); p != "" {
			return p
		}
	}
	return ""
}

// checkAccessLogFormat applies the CRD's rules to a format: text goes
// with type Text, json with type JSON, and an unset type needs one.
func checkAccessLogFormat(field string, f *egv1a1.ProxyAccessLogFormat) string {
	if f == nil {
		return ""
	}
	hasText, hasJSON := f.Text != nil, f.JSON != nil
	if f.Type == nil {
		if !hasText && !hasJSON {
			return fmt.Sprintf("field %s: text or json must be set when type is unset", field)
		}
		return ""
	}
	switch *f.Type {
	case egv1a1.ProxyAccessLogFormatTypeText:
		if !hasText {
			return fmt.Sprintf("field %s.text: required when type is Text", field)
		}
		if hasJSON {
			return fmt.Sprintf("field %s.json: must not be set when type is Text", field)
		}
	case egv1a1.ProxyAccessLogFormatTypeJSON:
		if !hasJSON {
			return fmt.Sprintf("field %s.json: required when type is JSON", field)
		}
		if hasText {
			return fmt.Sprintf("field %s.text: must not be set when type is JSON", field)
		}
	default:
		return fmt.Sprintf("field %s.type: %q is not Text or JSON", field, *f.Type)
	}
	return ""
}

// checkAccessLogSink applies the CRD's rules to a sink: its type names
// the one field that is set.
func checkAccessLogSink(field string, s egv1a1.ProxyAccessLogSink) string {
	set := map[egv1a1.ProxyAccessLogSinkType]bool{
		egv1a1.ProxyAccessLogSinkTypeALS:           s.ALS != nil,
		egv1a1.ProxyAccessLogSinkTypeFile:          s.File != nil,
		egv1a1.ProxyAccessLogSinkTypeOpenTelemetry: s.OpenTelemetry != nil,
	}
	names := map[egv1a1.ProxyAccessLogSinkType]string{
		egv1a1.ProxyAccessLogSinkTypeALS:           "als",
		egv1a1.ProxyAccessLogSinkTypeFile:          "file",
		egv1a1.ProxyAccessLogSinkTypeOpenTelemetry: "openTelemetry",
	}
	if _, ok := set[s.Type]; !ok {
		return fmt.Sprintf("field %s.type: %q is not ALS, File or OpenTelemetry", field, s.Type)
	}
	for _, t := range []egv1a1.ProxyAccessLogSinkType{egv1a1.ProxyAccessLogSinkTypeALS, egv1a1.ProxyAccessLogSinkTypeFile, egv1a1.ProxyAccessLogSinkTypeOpenTelemetry} {
		switch {
		case t == s.Type && !set[t]:
			return fmt.Sprintf("field %s.%s: required when type is %s", field, names[t], t)
		case t != s.Type && set[t]:
			return fmt.Sprintf("field %s.%s: must not be set when type is %s", field, names[t], s.Type)
		}
	}
	if s.File != nil && s.File.Path == "" {
		return fmt.Sprintf("field %s.file.path: must not be empty", field)
	}
	return ""
}
