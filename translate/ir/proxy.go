package ir

// ProxySettings is what an EnvoyProxy configures on a listener's HTTP
// connection manager: access logs and the order of HTTP filters.
type ProxySettings struct {
	// AccessLogs are written for every request the HTTP connection
	// manager handles, in order.
	AccessLogs []AccessLog `json:"accessLogs,omitempty" yaml:"accessLogs,omitempty"`
	// FilterOrder moves HTTP filters, one move after the other.
	FilterOrder []FilterMove `json:"filterOrder,omitempty" yaml:"filterOrder,omitempty"`
}

// AccessLog formats: an Envoy format string, or a JSON object whose
// values are format strings.
const (
	AccessLogText = "Text"
	AccessLogJSON = "JSON"
)

// AccessLog is one file access log.
type AccessLog struct {
	// Path is the file Envoy appends to (/dev/stdout for the console).
	Path string `json:"path" yaml:"path"`
	// Format is AccessLogText or AccessLogJSON.
	Format string `json:"format" yaml:"format"`
	// Text is the format string of a text log, written as it is: a line
	// ends only where it says \n.
	Text string `json:"text,omitempty" yaml:"text,omitempty"`
	// JSON holds the fields of a JSON log; empty means the default
	// fields (translate, accesslog.go).
	JSON map[string]string `json:"json,omitempty" yaml:"json,omitempty"`
}

// FilterMove places the HTTP filters whose name starts with Name right
// before the first filter named Before, or right after the last filter
// named After (one of the two is set). Names are Envoy filter names
// (envoy.filters.http.jwt_authn); a per-policy filter matches by prefix.
type FilterMove struct {
	Name   string `json:"name" yaml:"name"`
	Before string `json:"before,omitempty" yaml:"before,omitempty"`
	After  string `json:"after,omitempty" yaml:"after,omitempty"`
}
