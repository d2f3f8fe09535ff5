package main

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// TestMutualTLSGatewayAccess runs sluice with mTLS: `sluice bootstrap`
// accepts the client certificate that names its gateway (and refuses one
// that does not), an Envoy with it is served that gateway, and an Envoy
// whose certificate names another gateway is refused.
func TestMutualTLSGatewayAccess(t *testing.T) {
	ca := xdstest.NewCA(t)
	server := ca.Issue("sluice")
	eg := ca.Issue("envoy-eg", "spiffe://sluice.test/ns/default/gateway/eg")
	other := ca.Issue("envoy-other", "spiffe://sluice.test/ns/default/gateway/other")
	dir := writeDir(t, map[string]string{"quickstart.yaml": quickstart(t)})
	cfg, err := config.Parse([]byte("source: {dir: {paths: [" + dir + "]}}\n" +
		"xds: {tls: {certFile: " + server.CertFile + ", keyFile: " + server.KeyFile + ", clientCAFile: " + ca.File + "}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	r := startServe(t, cfg, "")

	out, _, err := run(t, "bootstrap", "--gateway", "default/eg", "--xds-address", r.xds,
		"--xds-ca-file", ca.File, "--xds-cert-file", eg.CertFile, "--xds-key-file", eg.KeyFile)
	if err != nil || !strings.Contains(out, eg.CertFile) {
		t.Fatalf("bootstrap with a certificate naming default/eg: %v\n%s", err, out)
	}
	_, _, err = run(t, "bootstrap", "--gateway", "default/eg", "--xds-address", r.xds,
		"--xds-ca-file", ca.File, "--xds-cert-file", other.CertFile, "--xds-key-file", other.KeyFile)
	if err == nil || !strings.Contains(err.Error(), "spiffe://TRUST-DOMAIN/ns/default/gateway/eg") {
		t.Errorf("bootstrap with a certificate naming default/other = %v, want an error naming the SAN to add", err)
	}

	envoy := xdstest.Dial(t.Context(), t, r.xds, xdstest.Options{NodeID: "e", Cluster: "default/eg", TLS: clientTLS(t, ca, eg)})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })

	stranger := xdstest.Dial(t.Context(), t, r.xds, xdstest.Options{NodeID: "s", Cluster: "default/eg", TLS: clientTLS(t, ca, other)})
	deadline := time.Now().Add(waitTimeout)
	for stranger.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st, _ := status.FromError(stranger.Err()); st.Code() != codes.PermissionDenied {
		t.Errorf("an Envoy whose certificate names default/other asking for default/eg: %v, want PermissionDenied", stranger.Err())
	}
	if s := stranger.Snapshot(); len(s.Clusters)+len(s.Listeners) > 0 {
		t.Errorf("the refused Envoy was sent resources:\n%s", s)
	}
}

// clientTLS is the TLS config of an Envoy presenting cert and trusting ca.
func clientTLS(t *testing.T, ca *xdstest.CA, cert xdstest.Cert) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(cert.CertFile, cert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(ca.File)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}
}
