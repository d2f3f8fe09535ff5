package publish

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// testCert is a certificate and its key, signed by parent (self-signed
// when parent is nil).
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	kpem []byte
}

var serial int64

// newCert makes a certificate for cn with uris as URI SANs.
func newCert(t *testing.T, cn string, parent *testCert, ca bool, uris ...string) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	for _, u := range uris {
		tmpl.URIs = append(tmpl.URIs, spiffe(t, u))
	}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{
		cert: cert,
		key:  key,
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		kpem: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
	}
}

func (c *testCert) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.cert)
	return p
}

func (c *testCert) tlsCert(t *testing.T) tls.Certificate {
	t.Helper()
	pair, err := tls.X509KeyPair(c.pem, c.kpem)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serveTLS serves a Publisher's xDS over TLS with the files, re-read on every
// handshake, and returns its address.
func serveTLS(t *testing.T, files TLSFiles) (*Publisher, string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := newTLSReloader(files, log, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Events{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis, grpc.Creds(credentials.NewTLS(r.config()))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeXDS: %v", err)
		}
	})
	return srv, lis.Addr().String()
}

// connected dials an xdstest client with conf and waits until the server
// tracks it: its requests went through over TLS.
func connected(t *testing.T, srv *Publisher, addr string, conf *tls.Config) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	node := fmt.Sprintf("envoy-%d", time.Now().UnixNano())
	c := xdstest.Dial(ctx, t, addr, xdstest.Options{NodeID: node, Cluster: "default/eg", TLS: conf})
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, n := range srv.Connected() {
			if n.Node == node {
				return
			}
		}
		if err := c.Err(); err != nil {
			t.Fatalf("xDS over TLS: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("xDS over TLS: the server never saw the client")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// peerCert does a TLS handshake with addr and returns the server's leaf.
func peerCert(t *testing.T, addr string, conf *tls.Config) (*x509.Certificate, error) {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, conf)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// With TLS 1.3 the server checks the client's certificate after the
	// client's handshake is done: a read shows whether it was refused.
	_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := conn.Read(make([]byte, 1)); err != nil {
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			return nil, err
		}
	}
	return conn.ConnectionState().PeerCertificates[0], nil
}

func TestXDSTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCert(t, "sluice test CA", nil, true)
	server := newCert(t, "sluice", ca, false)
	files := TLSFiles{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
	writeFile(t, files.CertFile, server.pem)
	writeFile(t, files.KeyFile, server.kpem)
	srv, addr := serveTLS(t, files)

	connected(t, srv, addr, &tls.Config{RootCAs: ca.pool()})
	if _, err := peerCert(t, addr, &tls.Config{RootCAs: x509.NewCertPool()}); err == nil {
		t.Error("a client that does not trust the CA connected")
	}
}

func TestXDSMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCert(t, "sluice test CA", nil, true)
	server := newCert(t, "sluice", ca, false)
	envoy := newCert(t, "envoy", ca, false)
	stranger := newCert(t, "stranger", newCert(t, "other CA", nil, true), false)
	files := TLSFiles{
		CertFile:     filepath.Join(dir, "tls.crt"),
		KeyFile:      filepath.Join(dir, "tls.key"),
		ClientCAFile: filepath.Join(dir, "ca.crt"),
	}
	writeFile(t, files.CertFile, server.pem)
	writeFile(t, files.KeyFile, server.kpem)
	writeFile(t, files.ClientCAFile, ca.pem)
	srv, addr := serveTLS(t, files)

	connected(t, srv, addr, &tls.Config{RootCAs: ca.pool(), Certificates: []tls.Certificate{envoy.tlsCert(t)}})
	if _, err := peerCert(t, addr, &tls.Config{RootCAs: ca.pool(), NextProtos: []string{"h2"}}); err == nil {
		t.Error("a client without a certificate was served under mTLS")
	}
	if _, err := peerCert(t, addr, &tls.Config{RootCAs: ca.pool(), NextProtos: []string{"h2"}, Certificates: []tls.Certificate{stranger.tlsCert(t)}}); err == nil {
		t.Error("a client with a certificate of another CA was served under mTLS")
	}

	// Rotate the server certificate: a new connection sees the new one.
	rotated := newCert(t, "sluice rotated", ca, false)
	writeFile(t, files.CertFile, rotated.pem)
	writeFile(t, files.KeyFile, rotated.kpem)
	conf := &tls.Config{RootCAs: ca.pool(), NextProtos: []string{"h2"}, Certificates: []tls.Certificate{envoy.tlsCert(t)}}
	leaf, err := peerCert(t, addr, conf)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Subject.CommonName != "sluice rotated" {
		t.Errorf("after rotation the server presents %q, want the new certificate", leaf.Subject.CommonName)
	}
	connected(t, srv, addr, conf)

	// A half-written rotation (a key that does not match) keeps the
	// previous certificate serving.
	writeFile(t, files.CertFile, server.pem)
	leaf, err = peerCert(t, addr, conf)
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Subject.CommonName != "sluice rotated" {
		t.Errorf("with a mismatched key the server presents %q, want the previous certificate", leaf.Subject.CommonName)
	}
}

func TestXDSTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	ca := newCert(t, "ca", nil, true)
	cert, key, empty := filepath.Join(dir, "c"), filepath.Join(dir, "k"), filepath.Join(dir, "e")
	writeFile(t, cert, ca.pem)
	writeFile(t, key, ca.kpem)
	writeFile(t, empty, nil)
	for name, files := range map[string]TLSFiles{
		"no key":          {CertFile: cert},
		"missing file":    {CertFile: cert, KeyFile: filepath.Join(dir, "nope")},
		"key mismatch":    {CertFile: cert, KeyFile: empty},
		"empty client CA": {CertFile: cert, KeyFile: key, ClientCAFile: empty},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := XDSTLSConfig(files, nil); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := XDSTLSConfig(TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: cert}, nil); err != nil {
		t.Error(err)
	}
}
