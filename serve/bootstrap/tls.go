package bootstrap

import (
	"errors"
	"fmt"
	"net"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// ErrTLSFiles is returned for an incomplete set of xDS TLS files.
var ErrTLSFiles = errors.New("bootstrap: xDS TLS files")

const tlsTransportSocket = "envoy.transport_sockets.tls"

// xdsTransportSocket is the TLS transport socket of xds_cluster, or nil
// without XDSCAFile. Envoy verifies sluice's certificate against the CA and
// checks that it names host; with a certificate and key it presents them.
func xdsTransportSocket(opts Options, host string) (*corev3.TransportSocket, error) {
	if (opts.XDSCertFile == "") != (opts.XDSKeyFile == "") {
		return nil, fmt.Errorf("%w: set both the xDS certificate and key files, or neither", ErrTLSFiles)
	}
	if opts.XDSCAFile == "" {
		if opts.XDSCertFile != "" {
			return nil, fmt.Errorf("%w: a client certificate needs the CA file that verifies sluice", ErrTLSFiles)
		}
		return nil, nil
	}
	san := &tlsv3.SubjectAltNameMatcher{
		SanType: tlsv3.SubjectAltNameMatcher_DNS,
		Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: host}},
	}
	if net.ParseIP(host) != nil {
		san.SanType = tlsv3.SubjectAltNameMatcher_IP_ADDRESS
	}
	common := &tlsv3.CommonTlsContext{
		AlpnProtocols: []string{"h2"},
		ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			TrustedCa:                 file(opts.XDSCAFile),
			MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{san},
		}},
	}
	if opts.XDSCertFile != "" {
		common.TlsCertificates = []*tlsv3.TlsCertificate{{
			CertificateChain: file(opts.XDSCertFile),
			PrivateKey:       file(opts.XDSKeyFile),
		}}
	}
	ctx := &tlsv3.UpstreamTlsContext{CommonTlsContext: common}
	if san.SanType == tlsv3.SubjectAltNameMatcher_DNS {
		ctx.Sni = host
	}
	if err := ctx.ValidateAll(); err != nil {
		return nil, fmt.Errorf("bootstrap: xDS TLS context: %w", err)
	}
	a, err := anypb.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: encode xDS TLS context: %w", err)
	}
	return &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}, nil
}

func file(name string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: name}}
}
