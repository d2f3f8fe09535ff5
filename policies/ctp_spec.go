package policies

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"k8s.io/apimachinery/pkg/api/resource"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// ClientTrafficPolicy spec validation: the CRD's schema and CEL rules and
// Envoy Gateway's translation checks become problems naming their field;
// the fields sluice does not implement are listed for the status. The
// TLS part is in ctp_tls.go.

// ctpCheck collects the problems of a spec, each naming its field, and
// the set fields sluice ignores.
type ctpCheck struct {
	errs    fields.List
	ignored []string
	// maxRegex bounds the RE2 program size of regexes (fields.Regex).
	maxRegex int
}

// ignore lists the set fields of v (a struct) outside implemented.
func (c *ctpCheck) ignore(field string, v any, implemented ...string) {
	set := map[string]bool{}
	for _, f := range implemented {
		set[f] = true
	}
	c.ignored = append(c.ignored, unimplemented(field, v, set)...)
}

// duration parses an optional Gateway API duration of at least min.
func (c *ctpCheck) duration(field string, d *gwapiv1.Duration, min time.Duration) *ir.Duration {
	return optDuration(&c.errs, field, d, min)
}

// seconds parses a duration into whole seconds, at least one.
func (c *ctpCheck) seconds(field string, d *gwapiv1.Duration) *uint32 {
	t := c.duration(field, d, time.Second)
	if t == nil {
		return nil
	}
	s := uint32(t.Std() / time.Second)
	return &s
}

// quantityRe is the CRDs' pattern for byte sizes (ClientTrafficPolicy
// and BackendTrafficPolicy connection.bufferLimit).
var quantityRe = regexp.MustCompile(`^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$`)

// bytes parses a byte size within [min, max].
func (c *ctpCheck) bytes(field string, q *resource.Quantity, min, max int64) *uint32 {
	return quantityBytes(&c.errs, field, q, min, max)
}

// quantityBytes parses an optional byte size within [min, max].
func quantityBytes(errs *fields.List, field string, q *resource.Quantity, min, max int64) *uint32 {
	if q == nil {
		return nil
	}
	n, ok := q.AsInt64()
	switch {
	case !quantityRe.MatchString(q.String()) || !ok:
		errs.Add(field, "%q is not a size such as 32768, 64Ki or 1Mi", q.String())
		return nil
	case n < min || n > max:
		errs.Add(field, "%s is out of range, must be between %d and %d", q.String(), min, max)
		return nil
	}
	v := uint32(n)
	return &v
}

// ctpImplemented are the top-level spec fields sluice implements.
var ctpImplemented = []string{
	"targetRef", "targetRefs", "targetSelectors",
	"timeout", "clientIPDetection", "tls", "http1", "http2", "headers", "path",
	"connection", "healthCheck", "tcpKeepalive", "proxyProtocol", "enableProxyProtocol", "scheme",
	"http3",
}

// ctpSpec checks a policy's spec and returns what it configures, or every
// problem.
func ctpSpec(p *egv1a1.ClientTrafficPolicy, in ClientTrafficInput) (*ir.ClientTraffic, []string, []error) {
	c := &ctpCheck{maxRegex: in.RegexProgramSize}
	s := p.Spec
	out := &ir.ClientTraffic{Policy: p.Namespace + "/" + p.Name}
	c.ignore("spec", s, ctpImplemented...)
	out.HTTP3 = ctpHTTP3On(s)
	c.targets(s.PolicyTargetReferences)
	c.timeouts(out, s.Timeout)
	out.ClientIP = c.clientIP(s.ClientIPDetection)
	out.TLS = c.tls(p.Namespace, s.TLS, in)
	out.HTTP1 = c.http1(s.HTTP1, s.Connection)
	out.HTTP2 = c.http2(s.HTTP2)
	out.Headers = c.headers(s.Headers)
	out.Path = c.path(s.Path)
	out.Connection = c.connection(s.Connection)
	out.TCPKeepalive = c.keepalive(s.TCPKeepalive)
	switch {
	case s.ProxyProtocol != nil:
		out.ProxyProtocol = &ir.ProxyProtocol{Optional: s.ProxyProtocol.Optional != nil && *s.ProxyProtocol.Optional}
	case s.EnableProxyProtocol != nil && *s.EnableProxyProtocol:
		out.ProxyProtocol = &ir.ProxyProtocol{}
	}
	if h := s.HealthCheck; h != nil {
		switch {
		case h.Path == "" || len(h.Path) > 1024:
			c.errs.Add("spec.healthCheck.path", "must be 1 to 1024 characters long")
		case !strings.HasPrefix(h.Path, "/"):
			c.errs.Add("spec.healthCheck.path", "%q must start with /", h.Path)
		default:
			out.HealthCheckPath = h.Path
		}
	}
	if s.Scheme != nil {
		switch *s.Scheme {
		case egv1a1.SchemeHeaderTransformPreserve:
		case egv1a1.SchemeHeaderTransformMatchBackend:
			out.MatchBackendScheme = true
		default:
			c.errs.Add("spec.scheme", "%q is not one of Preserve, MatchBackend", *s.Scheme)
		}
	}
	sort.Strings(c.ignored)
	return out, c.ignored, c.errs
}

// targets applies the CRD's rules on targets: Gateways only (sluice has
// no ListenerSets).
func (c *ctpCheck) targets(t egv1a1.PolicyTargetReferences) {
	if t.TargetRef != nil && t.TargetRef.Kind != KindGateway {
		c.errs.Add("spec.targetRef.kind", "%q is not supported; a ClientTrafficPolicy targets a Gateway", t.TargetRef.Kind)
	}
	for i, r := range t.TargetRefs {
		if r.Kind != KindGateway {
			c.errs.Add(fmt.Sprintf("spec.targetRefs[%d].kind", i), "%q is not supported; a ClientTrafficPolicy targets a Gateway", r.Kind)
		}
	}
	for i, s := range t.TargetSelectors {
		if s.Kind != KindGateway {
			c.errs.Add(fmt.Sprintf("spec.targetSelectors[%d].kind", i), "%q is not supported; a ClientTrafficPolicy selects Gateways", s.Kind)
		}
	}
}

func (c *ctpCheck) timeouts(out *ir.ClientTraffic, t *egv1a1.ClientTimeout) {
	if t == nil {
		return
	}
	if h := t.HTTP; h != nil {
		out.RequestTimeout = c.duration("spec.timeout.http.requestReceivedTimeout", h.RequestReceivedTimeout, 0)
		out.RequestHeadersTimeout = c.duration("spec.timeout.http.requestHeadersReceivedTimeout", h.RequestHeadersReceivedTimeout, 0)
		out.HTTPIdleTimeout = c.duration("spec.timeout.http.idleTimeout", h.IdleTimeout, 0)
		out.StreamIdleTimeout = c.duration("spec.timeout.http.streamIdleTimeout", h.StreamIdleTimeout, 0)
	}
	if tc := t.TCP; tc != nil {
		out.TCPIdleTimeout = c.duration("spec.timeout.tcp.idleTimeout", tc.IdleTimeout, 0)
		out.TLSHandshakeTimeout = c.duration("spec.timeout.tcp.tlsHandshakeTimeout", tc.TLSHandshakeTimeout, time.Millisecond)
		out.InspectionTimeout = c.duration("spec.timeout.tcp.connectionInspectionTimeout", tc.ConnectionInspectionTimeout, 0)
	}
}

// ctpHeaderNameRe is the CRD's pattern for customHeader.name.
var ctpHeaderNameRe = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

func (c *ctpCheck) clientIP(d *egv1a1.ClientIPDetectionSettings) *ir.ClientIPDetection {
	if d == nil {
		return nil
	}
	const f = "spec.clientIPDetection"
	n := 0
	for _, set := range []bool{d.XForwardedFor != nil, d.CustomHeader != nil, d.DirectSourceIP != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		c.errs.Add(f, "exactly one of xForwardedFor, customHeader, or directSourceIP must be set")
		return nil
	}
	out := &ir.ClientIPDetection{}
	switch {
	case d.DirectSourceIP != nil:
		c.ignored = append(c.ignored, f+".directSourceIP")
		return nil
	case d.CustomHeader != nil:
		h := d.CustomHeader
		if len(h.Name) == 0 || len(h.Name) > 255 || !ctpHeaderNameRe.MatchString(h.Name) {
			c.errs.Add(f+".customHeader.name", "%q is not a header name of 1 to 255 letters, digits and dashes", h.Name)
		}
		out.CustomHeader = h.Name
		out.FailClosed = h.FailClosed != nil && *h.FailClosed
		return out
	}
	x := d.XForwardedFor
	if (x.NumTrustedHops == nil) == (len(x.TrustedCIDRs) == 0) {
		c.errs.Add(f+".xForwardedFor", "only one of numTrustedHops or trustedCIDRs must be set")
		return nil
	}
	out.XFF = &ir.XFFDetection{SkipAppend: x.DisableXForwardedForAppend != nil && *x.DisableXForwardedForAppend}
	if x.NumTrustedHops != nil {
		out.XFF.TrustedHops = *x.NumTrustedHops
	}
	for i, cidr := range x.TrustedCIDRs {
		p, err := netip.ParsePrefix(string(cidr))
		if err != nil {
			c.errs.Add(fmt.Sprintf("%s.xForwardedFor.trustedCIDRs[%d]", f, i), "%q is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32", string(cidr))
			continue
		}
		out.XFF.TrustedCIDRs = append(out.XFF.TrustedCIDRs, p.Masked().String())
	}
	return out
}

func (c *ctpCheck) http1(h *egv1a1.HTTP1Settings, conn *egv1a1.ClientConnection) *ir.ClientHTTP1 {
	if h == nil {
		return nil
	}
	const f = "spec.http1"
	c.ignore(f, *h, "enableTrailers", "preserveHeaderCase", "http10", "disableSafeMaxConnectionDuration")
	out := &ir.ClientHTTP1{
		EnableTrailers:     h.EnableTrailers != nil && *h.EnableTrailers,
		PreserveHeaderCase: h.PreserveHeaderCase != nil && *h.PreserveHeaderCase,
		HTTP10:             h.HTTP10 != nil,
	}
	if h.HTTP10 != nil && h.HTTP10.UseDefaultHost != nil && *h.HTTP10.UseDefaultHost {
		c.ignored = append(c.ignored, f+".http10.useDefaultHost")
	}
	if conn != nil && conn.ConnectionLimit != nil && conn.ConnectionLimit.MaxConnectionDuration != nil {
		out.DisableSafeMaxConnectionDuration = h.DisableSafeMaxConnectionDuration != nil && *h.DisableSafeMaxConnectionDuration
	}
	return out
}

// HTTP/2 window sizes Envoy accepts.
const (
	ctpMinHTTP2Window = 65535
	ctpMaxHTTP2Window = math.MaxInt32
)

func (c *ctpCheck) http2(h *egv1a1.HTTP2Settings) *ir.ClientHTTP2 {
	if h == nil {
		return nil
	}
	const f = "spec.http2"
	c.ignore(f, *h, "initialStreamWindowSize", "initialConnectionWindowSize", "maxConcurrentStreams", "onInvalidMessage")
	out := &ir.ClientHTTP2{
		InitialStreamWindowSize:     c.bytes(f+".initialStreamWindowSize", h.InitialStreamWindowSize, ctpMinHTTP2Window, ctpMaxHTTP2Window),
		InitialConnectionWindowSize: c.bytes(f+".initialConnectionWindowSize", h.InitialConnectionWindowSize, ctpMinHTTP2Window, ctpMaxHTTP2Window),
	}
	if m := h.MaxConcurrentStreams; m != nil {
		if *m < 1 || *m > math.MaxInt32 {
			c.errs.Add(f+".maxConcurrentStreams", "%d is out of range, must be between 1 and %d", *m, math.MaxInt32)
		}
		out.MaxConcurrentStreams = m
	}
	if a := h.OnInvalidMessage; a != nil {
		reset := false
		switch *a {
		case egv1a1.InvalidMessageActionTerminateStream:
			reset = true
		case egv1a1.InvalidMessageActionTerminateConnection:
		default:
			c.errs.Add(f+".onInvalidMessage", "%q is not one of TerminateConnection, TerminateStream", *a)
		}
		out.ResetStreamOnError = &reset
	}
	return out
}

func (c *ctpCheck) headers(h *egv1a1.HeaderSettings) *ir.ClientHeaders {
	if h == nil {
		return nil
	}
	const f = "spec.headers"
	c.ignore(f, *h, "enableEnvoyHeaders", "withUnderscoresAction", "preserveXRequestID", "requestID", "xForwardedClientCert", "host")
	out := &ir.ClientHeaders{EnvoyHeaders: h.EnableEnvoyHeaders}
	if a := h.WithUnderscoresAction; a != nil {
		switch *a {
		case egv1a1.WithUnderscoresActionAllow, egv1a1.WithUnderscoresActionRejectRequest, egv1a1.WithUnderscoresActionDropHeader:
			out.WithUnderscores = string(*a)
		default:
			c.errs.Add(f+".withUnderscoresAction", "%q is not one of Allow, RejectRequest, DropHeader", *a)
		}
	}
	if h.PreserveXRequestID != nil && h.RequestID != nil {
		c.errs.Add(f, "preserveXRequestID and requestID cannot both be set")
	}
	switch {
	case h.RequestID != nil:
		switch *h.RequestID {
		case egv1a1.RequestIDActionPreserveOrGenerate, egv1a1.RequestIDActionPreserve, egv1a1.RequestIDActionGenerate, egv1a1.RequestIDActionDisable:
			out.RequestID = string(*h.RequestID)
		default:
			c.errs.Add(f+".requestID", "%q is not one of PreserveOrGenerate, Preserve, Generate, Disable", *h.RequestID)
		}
	case h.PreserveXRequestID != nil && *h.PreserveXRequestID:
		out.RequestID = string(egv1a1.RequestIDActionPreserveOrGenerate)
	}
	if x := h.XForwardedClientCert; x != nil {
		out.XFCC = string(egv1a1.XFCCForwardModeSanitize)
		if x.Mode != nil {
			switch *x.Mode {
			case egv1a1.XFCCForwardModeSanitize, egv1a1.XFCCForwardModeForwardOnly, egv1a1.XFCCForwardModeAppendForward,
				egv1a1.XFCCForwardModeSanitizeSet, egv1a1.XFCCForwardModeAlwaysForwardOnly:
				out.XFCC = string(*x.Mode)
			default:
				c.errs.Add(f+".xForwardedClientCert.mode", "%q is not one of Sanitize, ForwardOnly, AppendForward, SanitizeSet, AlwaysForwardOnly", *x.Mode)
			}
		}
		if len(x.CertDetailsToAdd) > 0 && out.XFCC != string(egv1a1.XFCCForwardModeAppendForward) && out.XFCC != string(egv1a1.XFCCForwardModeSanitizeSet) {
			c.errs.Add(f+".xForwardedClientCert.certDetailsToAdd", "can only be set when mode is AppendForward or SanitizeSet")
		}
		if len(x.CertDetailsToAdd) > 5 {
			c.errs.Add(f+".xForwardedClientCert.certDetailsToAdd", "must have at most 5 items")
		}
		for i, d := range x.CertDetailsToAdd {
			switch d {
			case egv1a1.XFCCCertDataSubject, egv1a1.XFCCCertDataCert, egv1a1.XFCCCertDataChain, egv1a1.XFCCCertDataDNS, egv1a1.XFCCCertDataURI:
				out.XFCCDetails = append(out.XFCCDetails, string(d))
			default:
				c.errs.Add(fmt.Sprintf("%s.xForwardedClientCert.certDetailsToAdd[%d]", f, i), "%q is not one of Subject, Cert, Chain, DNS, URI", d)
			}
		}
	}
	c.headerFilter(f+".earlyRequestHeaders", h.EarlyRequestHeaders)
	c.headerFilter(f+".lateResponseHeaders", h.LateResponseHeaders)
	if h.Host != nil {
		c.ignore(f+".host", *h.Host, "stripTrailingHostDot")
		out.StripTrailingHostDot = h.Host.StripTrailingHostDot != nil && *h.Host.StripTrailingHostDot
	}
	return out
}

// headerFilter checks the header names and values of earlyRequestHeaders
// or lateResponseHeaders as the CRD schema does (an invalid one makes the
// policy invalid, as in Envoy Gateway); sluice names the field itself
// unsupported and ignores it.
func (c *ctpCheck) headerFilter(field string, h *egv1a1.HTTPHeaderFilter) {
	if h == nil {
		return
	}
	name := func(f, n string) {
		if !fields.HeaderNameRe.MatchString(n) || len(n) > 256 {
			c.errs.Add(f, "%q is not a valid header name", n)
		}
	}
	for _, list := range []struct {
		name    string
		headers []gwapiv1.HTTPHeader
	}{{"set", h.Set}, {"add", h.Add}, {"addIfAbsent", h.AddIfAbsent}} {
		if len(list.headers) > 64 {
			c.errs.Add(field+"."+list.name, "%d entries are more than the 64 allowed", len(list.headers))
		}
		for i, hd := range list.headers {
			hf := fmt.Sprintf("%s.%s[%d]", field, list.name, i)
			name(hf+".name", string(hd.Name))
			if why := fields.HeaderValue(hd.Value); why != "" {
				c.errs.Add(hf+".value", "%s", why)
			}
		}
	}
	for i, n := range h.Remove {
		name(fmt.Sprintf("%s.remove[%d]", field, i), n)
	}
}

func (c *ctpCheck) path(p *egv1a1.PathSettings) *ir.ClientPath {
	if p == nil {
		return nil
	}
	out := &ir.ClientPath{MergeSlashes: p.DisableMergeSlashes == nil || !*p.DisableMergeSlashes}
	if a := p.EscapedSlashesAction; a != nil {
		switch *a {
		case egv1a1.KeepUnchangedAction, egv1a1.RejectRequestAction, egv1a1.UnescapeAndRedirect, egv1a1.UnescapeAndForward:
			out.EscapedSlashes = string(*a)
		default:
			c.errs.Add("spec.path.escapedSlashesAction", "%q is not one of KeepUnchanged, RejectRequest, UnescapeAndRedirect, UnescapeAndForward", *a)
		}
	}
	return out
}

func (c *ctpCheck) connection(cc *egv1a1.ClientConnection) *ir.ClientConnection {
	if cc == nil {
		return nil
	}
	const f = "spec.connection"
	c.ignore(f, *cc, "connectionLimit", "bufferLimit", "maxAcceptPerSocketEvent")
	out := &ir.ClientConnection{
		BufferLimit:             c.bytes(f+".bufferLimit", cc.BufferLimit, 1, math.MaxUint32),
		MaxAcceptPerSocketEvent: cc.MaxAcceptPerSocketEvent,
	}
	if l := cc.ConnectionLimit; l != nil {
		if l.Value != nil {
			if *l.Value < 1 {
				c.errs.Add(f+".connectionLimit.value", "must be at least 1")
			} else {
				v := uint64(*l.Value)
				out.Limit = &v
			}
		}
		out.CloseDelay = c.duration(f+".connectionLimit.closeDelay", l.CloseDelay, 0)
		out.MaxConnectionDuration = c.duration(f+".connectionLimit.maxConnectionDuration", l.MaxConnectionDuration, 0)
		out.MaxStreamDuration = c.duration(f+".connectionLimit.maxStreamDuration", l.MaxStreamDuration, 0)
		out.MaxRequestsPerConnection = l.MaxRequestsPerConnection
		if out.CloseDelay != nil && out.Limit == nil {
			c.errs.Add(f+".connectionLimit.closeDelay", "needs connectionLimit.value")
		}
	}
	return out
}

func (c *ctpCheck) keepalive(k *egv1a1.TCPKeepalive) *ir.TCPKeepalive {
	if k == nil {
		return nil
	}
	return &ir.TCPKeepalive{
		Probes:   k.Probes,
		IdleTime: c.seconds("spec.tcpKeepalive.idleTime", k.IdleTime),
		Interval: c.seconds("spec.tcpKeepalive.interval", k.Interval),
	}
}
