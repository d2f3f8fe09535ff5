package policies

import (
	"net/netip"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	preservecasev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/header_formatters/preserve_case/v3"
	customheaderv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/custom_header/v3"
	xffv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/original_ip_detection/xff/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// The Envoy configuration of a ClientTrafficPolicy on the HTTP
// connection managers and downstream TLS contexts of a listener; what it
// sets on the listener itself is in ctp_listener.go. Each function
// leaves its argument alone when the listener has no policy.

// Envoy extension names.
const (
	ctpHealthCheckFilter = "envoy.filters.http.health_check"
	ctpRouterFilter      = "envoy.filters.http.router"
	ctpXFFExtension      = "envoy.extensions.http.original_ip_detection.xff"
	ctpCustomHeaderExt   = "envoy.extensions.http.original_ip_detection.custom_header"
)

// ClientHealthCheck is the health_check filter of ClientTrafficPolicy
// healthCheck (a feature.Feature).
type ClientHealthCheck struct{ feature.Base }

// HTTPFilters is the listener's health_check filter, if its policy has a
// healthCheck: Envoy answers requests for its path itself (200, or 503
// while draining) and passes no such request on.
func (ClientHealthCheck) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	if l.Client == nil || l.Client.HealthCheckPath == "" {
		return nil
	}
	hc := &healthcheckv3.HealthCheck{
		PassThroughMode: wrapperspb.Bool(false),
		Headers: []*routev3.HeaderMatcher{{
			Name: ":path",
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
				MatchPattern: &matcherv3.StringMatcher_Exact{Exact: l.Client.HealthCheckPath},
			}},
		}},
	}
	return []*hcmv3.HttpFilter{{Name: ctpHealthCheckFilter, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(hc)}}}
}

// ClientConnection is what a ClientTrafficPolicy sets on listeners,
// connection managers and TLS contexts (a feature.Feature): ClientListener,
// ClientHCM and ClientTLS.
type ClientConnection struct{ feature.Base }

// Listener applies l.Client to the listener (ctp_listener.go).
func (ClientConnection) Listener(lis *listenerv3.Listener, l *ir.Listener) { ClientListener(l, lis) }

// ConnectionManager applies l.Client to the HTTP connection manager.
func (ClientConnection) ConnectionManager(hcm *hcmv3.HttpConnectionManager, l *ir.Listener) {
	ClientHCM(l, hcm)
}

// DownstreamTLS applies l.Client to the TLS context.
func (ClientConnection) DownstreamTLS(ctx *tlsv3.DownstreamTlsContext, l *ir.Listener) {
	ClientTLS(l, ctx)
}

// ClientHCM applies l.Client to an HTTP connection manager: timeouts,
// client IP detection, HTTP/1 and HTTP/2 options, header and path
// handling, connection lifetimes.
func ClientHCM(l *ir.Listener, hcm *hcmv3.HttpConnectionManager) {
	c := l.Client
	if c == nil {
		return
	}
	common := func() *corev3.HttpProtocolOptions {
		if hcm.CommonHttpProtocolOptions == nil {
			hcm.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{}
		}
		return hcm.CommonHttpProtocolOptions
	}
	if d := c.RequestTimeout; d != nil {
		hcm.RequestTimeout = durationpb.New(d.Std())
	}
	if d := c.RequestHeadersTimeout; d != nil {
		hcm.RequestHeadersTimeout = durationpb.New(d.Std())
	}
	if d := c.StreamIdleTimeout; d != nil {
		hcm.StreamIdleTimeout = durationpb.New(d.Std())
	}
	if d := c.HTTPIdleTimeout; d != nil {
		common().IdleTimeout = durationpb.New(d.Std())
	}
	if cn := c.Connection; cn != nil {
		if d := cn.MaxConnectionDuration; d != nil {
			common().MaxConnectionDuration = durationpb.New(d.Std())
			hcm.Http1SafeMaxConnectionDuration = c.HTTP1 == nil || !c.HTTP1.DisableSafeMaxConnectionDuration
		}
		if n := cn.MaxRequestsPerConnection; n != nil {
			common().MaxRequestsPerConnection = wrapperspb.UInt32(*n)
		}
		if d := cn.MaxStreamDuration; d != nil {
			common().MaxStreamDuration = durationpb.New(d.Std())
		}
	}
	clientIP(c.ClientIP, hcm)
	if h := c.HTTP1; h != nil && (h.HTTP10 || h.PreserveHeaderCase || h.EnableTrailers) {
		o := &corev3.Http1ProtocolOptions{AcceptHttp_10: h.HTTP10, EnableTrailers: h.EnableTrailers}
		if h.PreserveHeaderCase {
			o.HeaderKeyFormat = &corev3.Http1ProtocolOptions_HeaderKeyFormat{HeaderFormat: &corev3.Http1ProtocolOptions_HeaderKeyFormat_StatefulFormatter{
				StatefulFormatter: &corev3.TypedExtensionConfig{Name: "preserve_case", TypedConfig: mustAny(&preservecasev3.PreserveCaseFormatterConfig{})},
			}}
		}
		hcm.HttpProtocolOptions = o
	}
	if h := c.HTTP2; h != nil {
		o := &corev3.Http2ProtocolOptions{}
		if n := h.MaxConcurrentStreams; n != nil {
			o.MaxConcurrentStreams = wrapperspb.UInt32(*n)
		}
		if n := h.InitialStreamWindowSize; n != nil {
			o.InitialStreamWindowSize = wrapperspb.UInt32(*n)
		}
		if n := h.InitialConnectionWindowSize; n != nil {
			o.InitialConnectionWindowSize = wrapperspb.UInt32(*n)
		}
		if b := h.ResetStreamOnError; b != nil {
			o.OverrideStreamErrorOnInvalidHttpMessage = wrapperspb.Bool(*b)
		}
		hcm.Http2ProtocolOptions = o
	}
	if h := c.Headers; h != nil {
		clientHeaders(h, hcm, common)
	}
	if p := c.Path; p != nil {
		// Envoy Gateway normalizes paths (RFC 3986) on every listener;
		// sluice does where a policy sets path handling.
		hcm.NormalizePath = wrapperspb.Bool(true)
		hcm.MergeSlashes = p.MergeSlashes
		if a, ok := escapedSlashes[p.EscapedSlashes]; ok {
			hcm.PathWithEscapedSlashesAction = a
		}
	}
	if c.MatchBackendScheme {
		hcm.SchemeHeaderTransformation = &corev3.SchemeHeaderTransformation{MatchUpstream: true}
	}
}

var escapedSlashes = map[string]hcmv3.HttpConnectionManager_PathWithEscapedSlashesAction{
	"KeepUnchanged":       hcmv3.HttpConnectionManager_KEEP_UNCHANGED,
	"RejectRequest":       hcmv3.HttpConnectionManager_REJECT_REQUEST,
	"UnescapeAndRedirect": hcmv3.HttpConnectionManager_UNESCAPE_AND_REDIRECT,
	"UnescapeAndForward":  hcmv3.HttpConnectionManager_UNESCAPE_AND_FORWARD,
}

// clientIP reads the client's address from X-Forwarded-For or a custom
// header through an original IP detection extension, instead of the
// connection's peer.
func clientIP(d *ir.ClientIPDetection, hcm *hcmv3.HttpConnectionManager) {
	if d == nil {
		return
	}
	var ext *corev3.TypedExtensionConfig
	switch {
	case d.CustomHeader != "":
		ch := &customheaderv3.CustomHeaderConfig{HeaderName: d.CustomHeader, AllowExtensionToSetAddressAsTrusted: true}
		if d.FailClosed {
			ch.RejectWithStatus = &typev3.HttpStatus{Code: typev3.StatusCode_Forbidden}
		}
		ext = &corev3.TypedExtensionConfig{Name: ctpCustomHeaderExt, TypedConfig: mustAny(ch)}
	case d.XFF != nil:
		x := &xffv3.XffConfig{SkipXffAppend: wrapperspb.Bool(d.XFF.SkipAppend)}
		if len(d.XFF.TrustedCIDRs) > 0 {
			x.XffTrustedCidrs = &xffv3.XffTrustedCidrs{}
			for _, s := range d.XFF.TrustedCIDRs {
				p := netip.MustParsePrefix(s) // checked in ctp_spec.go
				x.XffTrustedCidrs.Cidrs = append(x.XffTrustedCidrs.Cidrs, &corev3.CidrRange{
					AddressPrefix: p.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(p.Bits())),
				})
			}
		} else if d.XFF.TrustedHops > 0 {
			// The extension counts the hops after the trusted client; the
			// policy counts the client too (Envoy Gateway subtracts one).
			x.XffNumTrustedHops = d.XFF.TrustedHops - 1
		}
		ext = &corev3.TypedExtensionConfig{Name: ctpXFFExtension, TypedConfig: mustAny(x)}
	default:
		return
	}
	hcm.OriginalIpDetectionExtensions = []*corev3.TypedExtensionConfig{ext}
	hcm.UseRemoteAddress = wrapperspb.Bool(false)
}

var underscores = map[string]corev3.HttpProtocolOptions_HeadersWithUnderscoresAction{
	"Allow":         corev3.HttpProtocolOptions_ALLOW,
	"RejectRequest": corev3.HttpProtocolOptions_REJECT_REQUEST,
	"DropHeader":    corev3.HttpProtocolOptions_DROP_HEADER,
}

var xfccModes = map[string]hcmv3.HttpConnectionManager_ForwardClientCertDetails{
	"Sanitize":          hcmv3.HttpConnectionManager_SANITIZE,
	"ForwardOnly":       hcmv3.HttpConnectionManager_FORWARD_ONLY,
	"AppendForward":     hcmv3.HttpConnectionManager_APPEND_FORWARD,
	"SanitizeSet":       hcmv3.HttpConnectionManager_SANITIZE_SET,
	"AlwaysForwardOnly": hcmv3.HttpConnectionManager_ALWAYS_FORWARD_ONLY,
}

func clientHeaders(h *ir.ClientHeaders, hcm *hcmv3.HttpConnectionManager, common func() *corev3.HttpProtocolOptions) {
	if a, ok := underscores[h.WithUnderscores]; ok {
		common().HeadersWithUnderscoresAction = a
	}
	switch h.RequestID {
	case "PreserveOrGenerate":
		hcm.GenerateRequestId, hcm.PreserveExternalRequestId = wrapperspb.Bool(true), true
	case "Preserve":
		hcm.GenerateRequestId, hcm.PreserveExternalRequestId = wrapperspb.Bool(false), true
	case "Generate":
		hcm.GenerateRequestId, hcm.PreserveExternalRequestId = wrapperspb.Bool(true), false
	case "Disable":
		hcm.GenerateRequestId, hcm.PreserveExternalRequestId = wrapperspb.Bool(false), false
	}
	if m, ok := xfccModes[h.XFCC]; ok {
		hcm.ForwardClientCertDetails = m
		if len(h.XFCCDetails) > 0 {
			d := &hcmv3.HttpConnectionManager_SetCurrentClientCertDetails{}
			for _, f := range h.XFCCDetails {
				switch f {
				case "Subject":
					d.Subject = wrapperspb.Bool(true)
				case "Cert":
					d.Cert = true
				case "Chain":
					d.Chain = true
				case "DNS":
					d.Dns = true
				case "URI":
					d.Uri = true
				}
			}
			hcm.SetCurrentClientCertDetails = d
		}
	}
	hcm.StripTrailingHostDot = hcm.StripTrailingHostDot || h.StripTrailingHostDot
	if h.EnvoyHeaders != nil {
		suppressEnvoyHeaders(hcm, !*h.EnvoyHeaders)
	}
}

// suppressEnvoyHeaders sets whether the router adds x-envoy-* headers.
func suppressEnvoyHeaders(hcm *hcmv3.HttpConnectionManager, suppress bool) {
	for _, f := range hcm.HttpFilters {
		if f.GetName() != ctpRouterFilter {
			continue
		}
		r := &routerv3.Router{}
		if tc := f.GetTypedConfig(); tc != nil {
			if err := tc.UnmarshalTo(r); err != nil {
				continue
			}
		}
		r.SuppressEnvoyHeaders = suppress
		f.ConfigType = &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(r)}
	}
}

// tlsVersions maps the policy's versions to Envoy's.
var tlsVersions = map[string]tlsv3.TlsParameters_TlsProtocol{
	"Auto": tlsv3.TlsParameters_TLS_AUTO,
	"1.0":  tlsv3.TlsParameters_TLSv1_0,
	"1.1":  tlsv3.TlsParameters_TLSv1_1,
	"1.2":  tlsv3.TlsParameters_TLSv1_2,
	"1.3":  tlsv3.TlsParameters_TLSv1_3,
}

// ClientTLS applies l.Client to a downstream TLS context of l: protocol
// parameters, ALPN, session resumption and client certificate
// validation.
func ClientTLS(l *ir.Listener, ctx *tlsv3.DownstreamTlsContext) {
	if l.Client == nil || l.Client.TLS == nil {
		return
	}
	t := l.Client.TLS
	if ctx.CommonTlsContext == nil {
		ctx.CommonTlsContext = &tlsv3.CommonTlsContext{}
	}
	common := ctx.CommonTlsContext
	if t.MinVersion != "" || t.MaxVersion != "" || len(t.Ciphers) > 0 || len(t.ECDHCurves) > 0 || len(t.SignatureAlgorithms) > 0 {
		common.TlsParams = &tlsv3.TlsParameters{
			TlsMinimumProtocolVersion: tlsVersions[t.MinVersion],
			TlsMaximumProtocolVersion: tlsVersions[t.MaxVersion],
			CipherSuites:              t.Ciphers,
			EcdhCurves:                t.ECDHCurves,
			SignatureAlgorithms:       t.SignatureAlgorithms,
		}
	}
	if t.ALPNSet {
		common.AlpnProtocols = t.ALPNProtocols
	}
	if t.Session {
		ctx.DisableStatefulSessionResumption = !t.StatefulResumption
		if !t.StatelessResumption {
			ctx.SessionTicketKeysType = &tlsv3.DownstreamTlsContext_DisableStatelessSessionResumption{DisableStatelessSessionResumption: true}
		}
	}
	v := t.ClientValidation
	if v == nil {
		return
	}
	ctx.RequireClientCertificate = wrapperspb.Bool(v.Require)
	vc := &tlsv3.CertificateValidationContext{
		VerifyCertificateSpki:   v.SPKIHashes,
		VerifyCertificateHash:   v.CertificateHashes,
		AllowExpiredCertificate: v.AllowExpired,
	}
	if v.CACertificates != "" {
		vc.TrustedCa = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: v.CACertificates}}
	}
	for _, m := range v.SubjectAltNames {
		vc.MatchTypedSubjectAltNames = append(vc.MatchTypedSubjectAltNames, sanMatcher(m))
	}
	if v.AcceptUntrusted {
		vc.TrustChainVerification = tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED
	}
	common.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc}
}

var sanTypes = map[string]tlsv3.SubjectAltNameMatcher_SanType{
	"DNS": tlsv3.SubjectAltNameMatcher_DNS, "EMAIL": tlsv3.SubjectAltNameMatcher_EMAIL,
	"IP_ADDRESS": tlsv3.SubjectAltNameMatcher_IP_ADDRESS, "URI": tlsv3.SubjectAltNameMatcher_URI,
}

// sanMatcher is one SAN matcher; a type that is none of Envoy's names is
// the OID of an other name.
func sanMatcher(m ir.SANMatch) *tlsv3.SubjectAltNameMatcher {
	sm := &matcherv3.StringMatcher{}
	switch m.Match {
	case "Prefix":
		sm.MatchPattern = &matcherv3.StringMatcher_Prefix{Prefix: m.Value}
	case "Suffix":
		sm.MatchPattern = &matcherv3.StringMatcher_Suffix{Suffix: m.Value}
	case "RegularExpression":
		sm.MatchPattern = &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: m.Value}}
	default:
		sm.MatchPattern = &matcherv3.StringMatcher_Exact{Exact: m.Value}
	}
	if t, ok := sanTypes[m.Type]; ok {
		return &tlsv3.SubjectAltNameMatcher{SanType: t, Matcher: sm}
	}
	return &tlsv3.SubjectAltNameMatcher{SanType: tlsv3.SubjectAltNameMatcher_OTHER_NAME, Oid: m.Type, Matcher: sm}
}
