package publish

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ErrNoClientCA is returned when the client CA file holds no certificate.
var ErrNoClientCA = errors.New("serve: client CA file holds no PEM certificate")

// TLSFiles name the PEM files of the xDS port's TLS. CertFile and KeyFile
// are the server's certificate (chain) and key; ClientCAFile, when set,
// turns on mTLS: every Envoy must present a certificate signed by one of
// its CAs.
type TLSFiles struct {
	CertFile     string
	KeyFile      string
	ClientCAFile string
}

// tlsReloadInterval is how often, at most, the files are read again to see
// whether they changed (on a new connection; nothing polls in between).
const tlsReloadInterval = time.Second

// XDSTLSConfig returns a TLS config for the xDS port that serves the
// certificate in files and, with a client CA, requires and verifies client
// certificates. A handshake that comes tlsReloadInterval or more after the
// last look reads the files again; when their content changed and they
// still load, new connections use them (connections already open keep
// theirs). A rotation that fails to load is logged and the previous
// certificate keeps serving. The files must load now.
func XDSTLSConfig(files TLSFiles, log *slog.Logger) (*tls.Config, error) {
	r, err := newTLSReloader(files, log, tlsReloadInterval)
	if err != nil {
		return nil, err
	}
	return r.config(), nil
}

// tlsReloader holds the TLS config made from the files' last good content.
type tlsReloader struct {
	files    TLSFiles
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	checked   time.Time
	content   [3][]byte // cert, key, client CA as last read
	conf      *tls.Config
	lastError string
}

func newTLSReloader(files TLSFiles, log *slog.Logger, interval time.Duration) (*tlsReloader, error) {
	if files.CertFile == "" || files.KeyFile == "" {
		return nil, errors.New("serve: xDS TLS needs both a certificate and a key file")
	}
	if log == nil {
		log = slog.Default()
	}
	r := &tlsReloader{files: files, log: log, interval: interval, now: time.Now}
	content, err := r.read()
	if err != nil {
		return nil, err
	}
	conf, err := files.load(content)
	if err != nil {
		return nil, err
	}
	r.content, r.conf, r.checked = content, conf, r.now()
	return r, nil
}

// config is the listener's config: each handshake asks for the current one.
func (r *tlsReloader) config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return r.current(), nil
		},
	}
}

// current returns the config, reloading it first when the files changed.
func (r *tlsReloader) current() *tls.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.checked) < r.interval {
		return r.conf
	}
	r.checked = now
	content, err := r.read()
	if err == nil && equalContent(content, r.content) {
		return r.conf
	}
	var conf *tls.Config
	if err == nil {
		conf, err = r.files.load(content)
	}
	if err != nil {
		// Files are often written one after the other: say it once.
		if err.Error() != r.lastError {
			r.log.Error("xDS TLS files changed but do not load; the previous certificate keeps serving", "err", err)
			r.lastError = err.Error()
		}
		return r.conf
	}
	r.content, r.conf, r.lastError = content, conf, ""
	r.log.Info("xDS TLS certificate reloaded", "certFile", r.files.CertFile)
	return r.conf
}

func (r *tlsReloader) read() ([3][]byte, error) {
	var out [3][]byte
	for i, name := range []string{r.files.CertFile, r.files.KeyFile, r.files.ClientCAFile} {
		if name == "" {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return out, fmt.Errorf("read xDS TLS file: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

// equalContent compares what was read.
func equalContent(a, b [3][]byte) bool {
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// load makes the per-connection config from the files' content.
func (f TLSFiles) load(content [3][]byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(content[0], content[1])
	if err != nil {
		return nil, fmt.Errorf("load xDS certificate %s and key %s: %w", f.CertFile, f.KeyFile, err)
	}
	conf := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2"},
		Certificates: []tls.Certificate{cert},
	}
	if f.ClientCAFile != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(content[2]) {
			return nil, fmt.Errorf("%w: %s", ErrNoClientCA, f.ClientCAFile)
		}
		conf.ClientCAs = pool
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return conf, nil
}
