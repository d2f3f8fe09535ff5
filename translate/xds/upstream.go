package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpupstreamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// httpProtocolOptionsName is the key of a cluster's HTTP protocol options.
const httpProtocolOptionsName = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// applyUpstream sets how Envoy talks to a cluster's endpoints: HTTP/2 for
// the clusters of GRPCRoutes, TLS for those of a BackendTLSPolicy.
func applyUpstream(cl *clusterv3.Cluster, c *ir.Cluster) {
	if c.HTTP2 {
		opts := &httpupstreamv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig_{
				ExplicitHttpConfig: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig{
					ProtocolConfig: &httpupstreamv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
						Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
					},
				},
			},
		}
		cl.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpProtocolOptionsName: mustAny(opts)}
	}
	if c.TLS != nil {
		cl.TransportSocket = upstreamTLS(c.TLS, c.HTTP2)
	}
}

// upstreamTLS originates TLS: SNI, the trusted CAs (inline, or the
// system's bundle) and the subject alt names the certificate must carry.
// An HTTP/2 cluster offers h2 by ALPN.
func upstreamTLS(t *ir.UpstreamTLS, http2 bool) *corev3.TransportSocket {
	vc := &tlsv3.CertificateValidationContext{}
	if t.CACertificates != "" {
		vc.TrustedCa = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: t.CACertificates}}
	} else {
		vc.TrustedCa = &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: systemCABundle}}
	}
	for _, san := range t.SubjectAltNames {
		m := &tlsv3.SubjectAltNameMatcher{SanType: tlsv3.SubjectAltNameMatcher_DNS, Matcher: exactMatcher(san.DNS)}
		if san.URI != "" {
			m = &tlsv3.SubjectAltNameMatcher{SanType: tlsv3.SubjectAltNameMatcher_URI, Matcher: exactMatcher(san.URI)}
		}
		vc.MatchTypedSubjectAltNames = append(vc.MatchTypedSubjectAltNames, m)
	}
	ctx := &tlsv3.CommonTlsContext{
		ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc},
	}
	if http2 {
		ctx.AlpnProtocols = []string{"h2"}
	}
	return &corev3.TransportSocket{
		Name:       tlsTransportName,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&tlsv3.UpstreamTlsContext{Sni: t.SNI, CommonTlsContext: ctx})},
	}
}

func exactMatcher(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
}

// systemCABundle is where Envoy's images keep the system trust store.
const systemCABundle = "/etc/ssl/certs/ca-certificates.crt"
