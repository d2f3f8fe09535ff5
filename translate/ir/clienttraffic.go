package ir

// ClientTraffic is what a ClientTrafficPolicy configures on a listener:
// the connections Envoy accepts on the port and the HTTP connection
// managers and TLS contexts of its chains. A nil field leaves Envoy's (or
// sluice's) default.
type ClientTraffic struct {
	// Policy names the ClientTrafficPolicy, namespace/name.
	Policy string `json:"policy" yaml:"policy"`

	// HTTP timeouts: the whole request, its headers, an idle connection,
	// an idle stream.
	RequestTimeout        *Duration `json:"requestTimeout,omitempty" yaml:"requestTimeout,omitempty"`
	RequestHeadersTimeout *Duration `json:"requestHeadersTimeout,omitempty" yaml:"requestHeadersTimeout,omitempty"`
	HTTPIdleTimeout       *Duration `json:"httpIdleTimeout,omitempty" yaml:"httpIdleTimeout,omitempty"`
	StreamIdleTimeout     *Duration `json:"streamIdleTimeout,omitempty" yaml:"streamIdleTimeout,omitempty"`
	// TCP timeouts: an idle proxied stream (tcp_proxy), the TLS
	// handshake, the listener filters' inspection.
	TCPIdleTimeout      *Duration `json:"tcpIdleTimeout,omitempty" yaml:"tcpIdleTimeout,omitempty"`
	TLSHandshakeTimeout *Duration `json:"tlsHandshakeTimeout,omitempty" yaml:"tlsHandshakeTimeout,omitempty"`
	InspectionTimeout   *Duration `json:"inspectionTimeout,omitempty" yaml:"inspectionTimeout,omitempty"`

	ClientIP      *ClientIPDetection `json:"clientIP,omitempty" yaml:"clientIP,omitempty"`
	TLS           *ClientTLS         `json:"tls,omitempty" yaml:"tls,omitempty"`
	HTTP1         *ClientHTTP1       `json:"http1,omitempty" yaml:"http1,omitempty"`
	HTTP2         *ClientHTTP2       `json:"http2,omitempty" yaml:"http2,omitempty"`
	Headers       *ClientHeaders     `json:"headers,omitempty" yaml:"headers,omitempty"`
	Path          *ClientPath        `json:"path,omitempty" yaml:"path,omitempty"`
	Connection    *ClientConnection  `json:"connection,omitempty" yaml:"connection,omitempty"`
	TCPKeepalive  *TCPKeepalive      `json:"tcpKeepalive,omitempty" yaml:"tcpKeepalive,omitempty"`
	ProxyProtocol *ProxyProtocol     `json:"proxyProtocol,omitempty" yaml:"proxyProtocol,omitempty"`
	// HealthCheckPath, when set, is answered by Envoy itself (200 while
	// healthy, 503 while draining).
	HealthCheckPath string `json:"healthCheckPath,omitempty" yaml:"healthCheckPath,omitempty"`
	// MatchBackendScheme sets :scheme from the upstream transport.
	MatchBackendScheme bool `json:"matchBackendScheme,omitempty" yaml:"matchBackendScheme,omitempty"`
	// HTTP3 serves the port's HTTPS listeners over QUIC too, on the same
	// UDP port, and advertises it with Alt-Svc.
	HTTP3 bool `json:"http3,omitempty" yaml:"http3,omitempty"`
}

// ClientIPDetection says where the client's address is read from: the
// X-Forwarded-For header (a number of trusted hops or trusted CIDRs) or
// a custom header. Exactly one of XFF and CustomHeader is set.
type ClientIPDetection struct {
	XFF          *XFFDetection `json:"xff,omitempty" yaml:"xff,omitempty"`
	CustomHeader string        `json:"customHeader,omitempty" yaml:"customHeader,omitempty"`
	// FailClosed answers 403 when the custom header gives no address.
	FailClosed bool `json:"failClosed,omitempty" yaml:"failClosed,omitempty"`
}

// XFFDetection reads the client address from X-Forwarded-For.
type XFFDetection struct {
	// TrustedHops as the policy counts them: the client is the
	// TrustedHops-th address from the right.
	TrustedHops  uint32   `json:"trustedHops,omitempty" yaml:"trustedHops,omitempty"`
	TrustedCIDRs []string `json:"trustedCIDRs,omitempty" yaml:"trustedCIDRs,omitempty"`
	SkipAppend   bool     `json:"skipAppend,omitempty" yaml:"skipAppend,omitempty"`
}

// ClientTLS is what a policy sets on the downstream TLS contexts.
type ClientTLS struct {
	// MinVersion and MaxVersion are "1.0" … "1.3" or "Auto".
	MinVersion          string   `json:"minVersion,omitempty" yaml:"minVersion,omitempty"`
	MaxVersion          string   `json:"maxVersion,omitempty" yaml:"maxVersion,omitempty"`
	Ciphers             []string `json:"ciphers,omitempty" yaml:"ciphers,omitempty"`
	ECDHCurves          []string `json:"ecdhCurves,omitempty" yaml:"ecdhCurves,omitempty"`
	SignatureAlgorithms []string `json:"signatureAlgorithms,omitempty" yaml:"signatureAlgorithms,omitempty"`
	// ALPNSet replaces the chains' ALPN list with ALPNProtocols (empty:
	// no ALPN).
	ALPNSet       bool     `json:"alpnSet,omitempty" yaml:"alpnSet,omitempty"`
	ALPNProtocols []string `json:"alpnProtocols,omitempty" yaml:"alpnProtocols,omitempty"`
	// ClientValidation, when set, asks clients for certificates.
	ClientValidation *ClientValidation `json:"clientValidation,omitempty" yaml:"clientValidation,omitempty"`
	// Session resumption; both are off when Session is set without them.
	Session             bool `json:"session,omitempty" yaml:"session,omitempty"`
	StatefulResumption  bool `json:"statefulResumption,omitempty" yaml:"statefulResumption,omitempty"`
	StatelessResumption bool `json:"statelessResumption,omitempty" yaml:"statelessResumption,omitempty"`
}

// ClientValidation is how client certificates are checked.
type ClientValidation struct {
	// Require refuses clients without a certificate; AcceptUntrusted
	// takes certificates that do not chain to CACertificates.
	Require         bool `json:"require" yaml:"require"`
	AcceptUntrusted bool `json:"acceptUntrusted,omitempty" yaml:"acceptUntrusted,omitempty"`
	// CACertificates is a PEM bundle of public certificates.
	CACertificates    string   `json:"caCertificates,omitempty" yaml:"caCertificates,omitempty"`
	SPKIHashes        []string `json:"spkiHashes,omitempty" yaml:"spkiHashes,omitempty"`
	CertificateHashes []string `json:"certificateHashes,omitempty" yaml:"certificateHashes,omitempty"`
	AllowExpired      bool     `json:"allowExpired,omitempty" yaml:"allowExpired,omitempty"`
	// SubjectAltNames: when set, the certificate must carry a name one
	// of them matches.
	SubjectAltNames []SANMatch `json:"subjectAltNames,omitempty" yaml:"subjectAltNames,omitempty"`
}

// SANMatch matches a subject alternative name of one type (DNS, EMAIL,
// IP_ADDRESS, URI, or an OID for other names): Exact, Prefix, Suffix or
// RegularExpression.
type SANMatch struct {
	Type  string `json:"type" yaml:"type"`
	Match string `json:"match" yaml:"match"`
	Value string `json:"value" yaml:"value"`
}

// ClientHTTP1 are HTTP/1 codec options.
type ClientHTTP1 struct {
	HTTP10             bool `json:"http10,omitempty" yaml:"http10,omitempty"`
	PreserveHeaderCase bool `json:"preserveHeaderCase,omitempty" yaml:"preserveHeaderCase,omitempty"`
	EnableTrailers     bool `json:"enableTrailers,omitempty" yaml:"enableTrailers,omitempty"`
	// DisableSafeMaxConnectionDuration, with Connection's
	// MaxConnectionDuration, closes HTTP/1 connections without waiting
	// for the next request.
	DisableSafeMaxConnectionDuration bool `json:"disableSafeMaxConnectionDuration,omitempty" yaml:"disableSafeMaxConnectionDuration,omitempty"`
}

// ClientHTTP2 are HTTP/2 codec options; nil fields keep Envoy's defaults.
type ClientHTTP2 struct {
	MaxConcurrentStreams        *uint32 `json:"maxConcurrentStreams,omitempty" yaml:"maxConcurrentStreams,omitempty"`
	InitialStreamWindowSize     *uint32 `json:"initialStreamWindowSize,omitempty" yaml:"initialStreamWindowSize,omitempty"`
	InitialConnectionWindowSize *uint32 `json:"initialConnectionWindowSize,omitempty" yaml:"initialConnectionWindowSize,omitempty"`
	// ResetStreamOnError, when set, resets only the stream (true) or the
	// connection (false) on an invalid message.
	ResetStreamOnError *bool `json:"resetStreamOnError,omitempty" yaml:"resetStreamOnError,omitempty"`
}

// ClientHeaders is how the connection manager treats some headers.
type ClientHeaders struct {
	// WithUnderscores is Allow, RejectRequest or DropHeader.
	WithUnderscores string `json:"withUnderscores,omitempty" yaml:"withUnderscores,omitempty"`
	// RequestID is PreserveOrGenerate, Preserve, Generate or Disable.
	RequestID string `json:"requestID,omitempty" yaml:"requestID,omitempty"`
	// EnvoyHeaders, when set, says whether the router adds x-envoy-*
	// headers.
	EnvoyHeaders *bool `json:"envoyHeaders,omitempty" yaml:"envoyHeaders,omitempty"`
	// XFCC is the x-forwarded-client-cert mode (Sanitize, ForwardOnly,
	// AppendForward, SanitizeSet, AlwaysForwardOnly) and XFCCDetails
	// the certificate fields it adds.
	XFCC        string   `json:"xfcc,omitempty" yaml:"xfcc,omitempty"`
	XFCCDetails []string `json:"xfccDetails,omitempty" yaml:"xfccDetails,omitempty"`
	// StripTrailingHostDot removes a trailing dot from the Host.
	StripTrailingHostDot bool `json:"stripTrailingHostDot,omitempty" yaml:"stripTrailingHostDot,omitempty"`
}

// ClientPath is how request paths are normalized.
type ClientPath struct {
	// EscapedSlashes is KeepUnchanged, RejectRequest, UnescapeAndRedirect
	// or UnescapeAndForward; empty keeps Envoy's default.
	EscapedSlashes string `json:"escapedSlashes,omitempty" yaml:"escapedSlashes,omitempty"`
	MergeSlashes   bool   `json:"mergeSlashes" yaml:"mergeSlashes"`
}

// ClientConnection limits the connections of a port.
type ClientConnection struct {
	// Limit is the most connections at once; CloseDelay delays closing
	// the ones over it.
	Limit      *uint64   `json:"limit,omitempty" yaml:"limit,omitempty"`
	CloseDelay *Duration `json:"closeDelay,omitempty" yaml:"closeDelay,omitempty"`
	// BufferLimit is the per-connection buffer, in bytes.
	BufferLimit *uint32 `json:"bufferLimit,omitempty" yaml:"bufferLimit,omitempty"`
	// MaxAcceptPerSocketEvent, when set; 0 means no limit.
	MaxAcceptPerSocketEvent  *uint32   `json:"maxAcceptPerSocketEvent,omitempty" yaml:"maxAcceptPerSocketEvent,omitempty"`
	MaxConnectionDuration    *Duration `json:"maxConnectionDuration,omitempty" yaml:"maxConnectionDuration,omitempty"`
	MaxRequestsPerConnection *uint32   `json:"maxRequestsPerConnection,omitempty" yaml:"maxRequestsPerConnection,omitempty"`
	MaxStreamDuration        *Duration `json:"maxStreamDuration,omitempty" yaml:"maxStreamDuration,omitempty"`
}

// TCPKeepalive turns on TCP keepalive on accepted sockets; the nil
// fields keep the kernel's values. Times are in seconds.
type TCPKeepalive struct {
	Probes   *uint32 `json:"probes,omitempty" yaml:"probes,omitempty"`
	IdleTime *uint32 `json:"idleTime,omitempty" yaml:"idleTime,omitempty"`
	Interval *uint32 `json:"interval,omitempty" yaml:"interval,omitempty"`
}

// ProxyProtocol reads a PROXY protocol header before anything else;
// Optional lets connections without one through.
type ProxyProtocol struct {
	Optional bool `json:"optional,omitempty" yaml:"optional,omitempty"`
}
