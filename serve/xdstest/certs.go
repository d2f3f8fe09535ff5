package xdstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// CA issues certificates for tests of xDS over TLS: the server's and
// Envoys' (with URI SANs naming their gateways).
type CA struct {
	t    testing.TB
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// File is the CA certificate as a PEM file.
	File string
}

// Cert is a certificate and its key as PEM files.
type Cert struct {
	CertFile, KeyFile string
}

var serial atomic.Int64

// NewCA makes a self-signed CA whose files are in t.TempDir().
func NewCA(t testing.TB) *CA {
	t.Helper()
	ca := &CA{t: t}
	ca.cert, ca.key = ca.issue("sluice test CA", true, nil)
	ca.File = ca.write("ca.crt", "CERTIFICATE", ca.cert.Raw)
	return ca
}

// Issue makes a certificate for cn, valid for server (127.0.0.1) and client
// use, with uris as URI SANs (e.g. spiffe://test/ns/default/gateway/eg).
func (ca *CA) Issue(cn string, uris ...string) Cert {
	ca.t.Helper()
	var us []*url.URL
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			ca.t.Fatal(err)
		}
		us = append(us, u)
	}
	cert, key := ca.issue(cn, false, us)
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		ca.t.Fatal(err)
	}
	return Cert{CertFile: ca.write(cn+".crt", "CERTIFICATE", cert.Raw), KeyFile: ca.write(cn+".key", "EC PRIVATE KEY", der)}
}

func (ca *CA) issue(cn string, isCA bool, uris []*url.URL) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ca.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		URIs:         uris,
	}
	parent, signKey := tmpl, key
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		parent, signKey = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signKey)
	if err != nil {
		ca.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		ca.t.Fatal(err)
	}
	return cert, key
}

func (ca *CA) write(name, typ string, der []byte) string {
	path := filepath.Join(ca.t.TempDir(), name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return path
}
