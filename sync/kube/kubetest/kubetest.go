package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// Version is the Kubernetes release .ci/kube/build builds.
const Version = "v1.37.2"

// howto says how to get the binaries.
const howto = "build them with .ci/kube/build (10-15 minutes the first time; it prints the directory) or set SLUICE_KUBE_BIN to a directory holding kube-apiserver, etcd and kubectl"

// Server is a running kube-apiserver and its etcd.
type Server struct {
	// Host is the API server's URL; Kubeconfig a file that reaches it as
	// an administrator (group system:masters).
	Host       string
	Kubeconfig string
	// Bin is the directory of the binaries (kubectl too).
	Bin   string
	dir   string
	users map[string]string // user → token
	procs []*exec.Cmd
}

// BinDir is the directory of the binaries: $SLUICE_KUBE_BIN, or the
// cache directory .ci/kube/build fills.
func BinDir() string {
	if d := os.Getenv("SLUICE_KUBE_BIN"); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "sluice-kube", Version)
}

// Users are the users the server knows besides the administrator: each
// is in no group, so it may do only what RBAC objects grant it.
var Users = []string{"sluice", "nobody"}

// Start starts etcd and kube-apiserver in a temporary directory and waits
// until the API server is ready. Stop them with Stop.
func Start() (*Server, error) {
	bin := BinDir()
	for _, b := range []string{"etcd", "kube-apiserver", "kubectl"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return nil, fmt.Errorf("%w: %s is missing: %s", errMissing, filepath.Join(bin, b), howto)
		}
	}
	dir, err := os.MkdirTemp("", "sluice-kube-")
	if err != nil {
		return nil, err
	}
	s := &Server{Bin: bin, dir: dir, users: map[string]string{}}
	if err := s.start(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

var errMissing = errors.New("kubetest: no kube-apiserver")

// start runs etcd and the API server.
func (s *Server) start() error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := s.run("etcd", "--name=test", "--data-dir="+filepath.Join(s.dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=test="+peerURL, "--unsafe-no-fsync", "--log-level=warn"); err != nil {
		return err
	}
	key, tokens, err := s.credentials()
	if err != nil {
		return err
	}
	s.Host = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	if err := s.run("kube-apiserver", "--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]), "--cert-dir="+filepath.Join(s.dir, "certs"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+key, "--service-account-signing-key-file="+key,
		"--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--endpoint-reconciler-type=none"); err != nil {
		return err
	}
	if s.Kubeconfig, err = s.writeKubeconfig("admin"); err != nil {
		return err
	}
	return s.waitReady(90 * time.Second)
}

// credentials writes the service account signing key and the token file
// (the administrator and Users).
func (s *Server) credentials() (keyFile, tokenFile string, err error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	keyFile = filepath.Join(s.dir, "sa.key")
	block := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := os.WriteFile(keyFile, block, 0o600); err != nil {
		return "", "", err
	}
	var lines string
	for _, u := range append([]string{"admin"}, Users...) {
		b := make([]byte, 16)
		rand.Read(b)
		s.users[u] = hex.EncodeToString(b)
		group := ""
		if u == "admin" {
			group = `,"system:masters"`
		}
		lines += fmt.Sprintf("%s,%s,%s-uid%s\n", s.users[u], u, u, group)
	}
	tokenFile = filepath.Join(s.dir, "tokens.csv")
	return keyFile, tokenFile, os.WriteFile(tokenFile, []byte(lines), 0o600)
}

// run starts a binary, its output in a log file of the directory.
func (s *Server) run(name string, args ...string) error {
	log, err := os.Create(filepath.Join(s.dir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(s.Bin, name), args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("kubetest: start %s: %w", name, err)
	}
	s.procs = append(s.procs, cmd)
	return nil
}

// waitReady polls /readyz until it answers 200.
func (s *Server) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // a test server's self-signed cert
	}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, s.Host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+s.users["admin"])
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("kubetest: kube-apiserver not ready after %s; its log: %s", timeout, s.Log("kube-apiserver"))
}

// Log returns the end of a binary's log ("etcd", "kube-apiserver").
func (s *Server) Log(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Config is a client config of user ("admin" or one of Users), without
// client-go's default rate limit (5 requests a second), so that tests and
// benchmarks write as fast as the server takes it.
func (s *Server) Config(user string) *rest.Config {
	return &rest.Config{
		Host: s.Host, BearerToken: s.users[user],
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             -1,
	}
}

// writeKubeconfig writes a kubeconfig of user and returns its path.
func (s *Server) writeKubeconfig(user string) (string, error) {
	path := filepath.Join(s.dir, user+".kubeconfig")
	conf := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: %s, user: {token: %q}}]
contexts: [{name: test, context: {cluster: test, user: %s}}]
current-context: test
`, s.Host, user, s.users[user], user)
	return path, os.WriteFile(path, []byte(conf), 0o600)
}

// KubeconfigOf writes a kubeconfig of user and returns its path.
func (s *Server) KubeconfigOf(user string) (string, error) { return s.writeKubeconfig(user) }

// Kubectl runs kubectl as the administrator and returns its combined
// output.
func (s *Server) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.Bin, "kubectl"), append([]string{"--kubeconfig", s.Kubeconfig}, args...)...)
	return cmd.CombinedOutput()
}

// Stop ends the API server, then etcd, and removes the directory.
func (s *Server) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	os.RemoveAll(s.dir)
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Main runs a test binary's tests with one Server, which Shared returns:
// call it from TestMain. Without the binaries the tests that need the
// server skip (or fail when CI is set, since .ci/run builds them).
func Main(m *testing.M) {
	s, err := Start()
	switch {
	case err == nil:
		shared = s
	case errors.Is(err, errMissing):
		startErr = err
	default:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if s != nil {
		s.Stop()
	}
	os.Exit(code)
}

var (
	shared   *Server
	startErr error
)

// Shared returns the Server Main started, skipping the test when there
// are no binaries outside CI.
func Shared(t testing.TB) *Server {
	t.Helper()
	if shared == nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %v", startErr)
		}
		t.Skipf("%v", startErr)
	}
	return shared
}
