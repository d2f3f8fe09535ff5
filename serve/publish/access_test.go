package publish

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// accessSnapshot is a snapshot with one cluster and, with secret, an SDS
// secret.
func accessSnapshot(t *testing.T, secret bool) *cachev3.Snapshot {
	t.Helper()
	res := map[resourcev3.Type][]types.Resource{resourcev3.ClusterType: {&clusterv3.Cluster{Name: "c"}}}
	if secret {
		res[resourcev3.SecretType] = []types.Resource{&tlsv3.Secret{Name: "cert"}}
	}
	snap, err := cachev3.NewSnapshot("v1", res)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// serveAccess serves default/eg (no secret) and default/tls (a secret)
// with access and opts.
func serveAccess(t *testing.T, access Access, opts ...grpc.ServerOption) string {
	t.Helper()
	p := New(Events{})
	for gw, secret := range map[string]bool{"default/eg": false, "default/tls": true} {
		if err := p.Set(gw, accessSnapshot(t, secret)); err != nil {
			t.Fatal(err)
		}
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, lis, append(access.ServerOptions(), opts...)...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return lis.Addr().String()
}

// fetch dials addr as an Envoy of cluster and returns nil once it holds
// the cluster "c", or the error its stream ended with.
func fetch(t *testing.T, addr, cluster string, conf *tls.Config) error {
	t.Helper()
	c := xdstest.Dial(t.Context(), t, addr, xdstest.Options{NodeID: "n", Cluster: cluster, TLS: conf})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := c.Err(); err != nil {
			return err
		}
		if c.Snapshot().Clusters["c"] != nil {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("neither served nor refused")
}

func denied(err error, want string) bool {
	st, _ := status.FromError(err)
	return st.Code() == codes.PermissionDenied && strings.Contains(st.Message(), want)
}

func spiffe(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestCertificateNamesGateways: under mTLS a client fetches only the
// gateways its certificate names, and may have their secrets.
func TestCertificateNamesGateways(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newCert(t, "sluice test CA", nil, true)
	server := newCert(t, "sluice", ca, false)
	files := TLSFiles{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key"), ClientCAFile: filepath.Join(dir, "ca.crt")}
	writeFile(t, files.CertFile, server.pem)
	writeFile(t, files.KeyFile, server.kpem)
	writeFile(t, files.ClientCAFile, ca.pem)
	conf, err := XDSTLSConfig(files, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	addr := serveAccess(t, Access{CertGateways: true}, grpc.Creds(credentials.NewTLS(conf)))
	client := func(uris ...string) *tls.Config {
		c := newCert(t, "envoy", ca, false, uris...)
		return &tls.Config{RootCAs: ca.pool(), Certificates: []tls.Certificate{c.tlsCert(t)}}
	}
	both := client("spiffe://example.org/ns/default/gateway/eg", "spiffe://example.org/ns/default/gateway/tls")
	for _, cluster := range []string{"default/eg", "eg", "default/tls"} {
		if err := fetch(t, addr, cluster, both); err != nil {
			t.Errorf("%s with a certificate naming it: %v", cluster, err)
		}
	}
	if err := fetch(t, addr, "default/tls", client("spiffe://example.org/ns/default/gateway/eg")); !denied(err, "names only default/eg") {
		t.Errorf("default/tls with a certificate naming default/eg: %v, want PermissionDenied", err)
	}
	if err := fetch(t, addr, "default/eg", client("spiffe://example.org/ns/default/eg", "https://example.org/ns/default/gateway/eg")); !denied(err, "names no gateway") {
		t.Errorf("certificate without a gateway SAN: %v, want PermissionDenied", err)
	}
}

// TestSecretsNeedAuthentication: without a verified certificate a client
// is served gateways without secrets only, unless InsecureSecrets.
func TestSecretsNeedAuthentication(t *testing.T) {
	t.Parallel()
	strict := serveAccess(t, Access{})
	if err := fetch(t, strict, "default/eg", nil); err != nil {
		t.Errorf("gateway without secrets in plain text: %v", err)
	}
	if err := fetch(t, strict, "default/tls", nil); !denied(err, "holds secrets") {
		t.Errorf("gateway with a secret in plain text: %v, want PermissionDenied", err)
	}
	loose := serveAccess(t, Access{InsecureSecrets: true})
	if err := fetch(t, loose, "default/tls", nil); err != nil {
		t.Errorf("gateway with a secret and InsecureSecrets: %v", err)
	}
}

func TestHoldsSecretsFindsInlineCredentials(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		typeURL string
		want    bool
	}{
		"basic auth":        {"type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuth", true},
		"basic auth route":  {"type.googleapis.com/envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute", true},
		"api key auth":      {"type.googleapis.com/envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth", true},
		"router, no secret": {"type.googleapis.com/envoy.extensions.filters.http.router.v3.Router", false},
	} {
		t.Run(name, func(t *testing.T) {
			snap := listenerWithFilter(t, tc.typeURL)
			if _, err := Prepare(snap); err != nil {
				t.Fatal(err)
			}
			if got := newGatewaySnap(snap, nil).holdsSecrets(); got != tc.want {
				t.Errorf("holdsSecrets = %v, want %v", got, tc.want)
			}
		})
	}
}

// listenerWithFilter is a snapshot of one listener whose HTTP connection
// manager has one filter configured with an empty message of typeURL.
func listenerWithFilter(t *testing.T, typeURL string) *cachev3.Snapshot {
	t.Helper()
	hcm, err := anypb.New(&hcmv3.HttpConnectionManager{StatPrefix: "s", HttpFilters: []*hcmv3.HttpFilter{
		{Name: "f", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: &anypb.Any{TypeUrl: typeURL}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	l := &listenerv3.Listener{Name: "l", FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{
		{Name: "hcm", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm}},
	}}}}
	snap, err := cachev3.NewSnapshot("v1", map[resourcev3.Type][]types.Resource{resourcev3.ListenerType: {l}})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
