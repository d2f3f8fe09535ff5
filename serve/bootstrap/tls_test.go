package bootstrap_test

import (
	"errors"
	"strings"
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
)

func TestBuildXDSTLS(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		opts    bootstrap.Options
		san     tlsv3.SubjectAltNameMatcher_SanType
		sni     string
		clientC bool
	}{
		"tls to an IP": {
			opts: bootstrap.Options{Gateway: "eg", XDSCAFile: "/etc/sluice/ca.crt"},
			san:  tlsv3.SubjectAltNameMatcher_IP_ADDRESS,
		},
		"mtls to a host name": {
			opts: bootstrap.Options{Gateway: "eg", XDSAddress: "sluice.infra.svc:18000", XDSCAFile: "/etc/sluice/ca.crt", XDSCertFile: "/etc/envoy/tls.crt", XDSKeyFile: "/etc/envoy/tls.key"},
			san:  tlsv3.SubjectAltNameMatcher_DNS, sni: "sluice.infra.svc", clientC: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := bootstrap.Build(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			back, out := roundTrip(t, b)
			ts := back.GetStaticResources().GetClusters()[0].GetTransportSocket()
			if ts.GetName() != "envoy.transport_sockets.tls" {
				t.Fatalf("xds_cluster transport socket = %q\n%s", ts.GetName(), out)
			}
			var ctx tlsv3.UpstreamTlsContext
			if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil {
				t.Fatal(err)
			}
			if err := ctx.ValidateAll(); err != nil {
				t.Fatal(err)
			}
			common := ctx.GetCommonTlsContext()
			vc := common.GetValidationContext()
			if vc.GetTrustedCa().GetFilename() != tc.opts.XDSCAFile {
				t.Errorf("trusted CA = %v", vc.GetTrustedCa())
			}
			if sans := vc.GetMatchTypedSubjectAltNames(); len(sans) != 1 || sans[0].GetSanType() != tc.san {
				t.Errorf("SAN matchers = %v, want one of type %v", sans, tc.san)
			}
			if ctx.GetSni() != tc.sni {
				t.Errorf("SNI = %q, want %q", ctx.GetSni(), tc.sni)
			}
			if strings.Join(common.GetAlpnProtocols(), ",") != "h2" {
				t.Errorf("ALPN = %v, want h2", common.GetAlpnProtocols())
			}
			certs := common.GetTlsCertificates()
			if !tc.clientC {
				if len(certs) != 0 {
					t.Errorf("client certificates without mTLS: %v", certs)
				}
				return
			}
			if len(certs) != 1 || certs[0].GetCertificateChain().GetFilename() != tc.opts.XDSCertFile || certs[0].GetPrivateKey().GetFilename() != tc.opts.XDSKeyFile {
				t.Errorf("client certificate = %v", certs)
			}
		})
	}
}

func TestBuildXDSTLSErrors(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]bootstrap.Options{
		"cert without key": {Gateway: "eg", XDSCAFile: "ca", XDSCertFile: "c"},
		"key without cert": {Gateway: "eg", XDSCAFile: "ca", XDSKeyFile: "k"},
		"cert without CA":  {Gateway: "eg", XDSCertFile: "c", XDSKeyFile: "k"},
	} {
		if _, err := bootstrap.Build(opts); !errors.Is(err, bootstrap.ErrTLSFiles) {
			t.Errorf("%s: err = %v, want ErrTLSFiles", name, err)
		}
	}
	b, err := bootstrap.Build(bootstrap.Options{Gateway: "eg"})
	if err != nil {
		t.Fatal(err)
	}
	if ts := b.GetStaticResources().GetClusters()[0].GetTransportSocket(); ts != nil {
		t.Errorf("plain text bootstrap has a transport socket: %v", ts)
	}
}
