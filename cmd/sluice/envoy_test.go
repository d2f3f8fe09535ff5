package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/bootstrap"
)

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// realEnvoyRepo writes the quickstart, its Gateway on a free loopback
// port and its backend an httptest server, and returns its directory
// and the gateway's URL.
func realEnvoyRepo(t *testing.T) (dir, url string) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the backend, host %s", r.Host)
	}))
	t.Cleanup(backend.Close)
	backendPort := backend.Listener.Addr().(*net.TCPAddr).Port
	gatewayPort := freePort(t)
	dir = t.TempDir()
	yaml := strings.NewReplacer(
		"port: 8888", fmt.Sprintf("port: %d", gatewayPort),
		"address: 0.0.0.0", "address: 127.0.0.1",
		"port: 3000", fmt.Sprintf("port: %d", backendPort),
	).Replace(quickstart(t))
	os.WriteFile(filepath.Join(dir, "quickstart.yaml"), []byte(yaml), 0o644)
	return dir, fmt.Sprintf("http://127.0.0.1:%d/", gatewayPort)
}

// waitThroughEnvoy sends requests to url until the backend answers.
func waitThroughEnvoy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = "www.example.com"
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), "hello from the backend") {
				return
			}
			err = fmt.Errorf("%s: %s", resp.Status, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer from the backend through Envoy: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func realEnvoy(t *testing.T) string {
	envoyBin, err := exec.LookPath("envoy")
	if err != nil {
		t.Skip("envoy is not on PATH: this test needs a real Envoy binary (the ADS clients of TestEndToEnd and the stand-in of TestHostMode cover the same flow)")
	}
	return envoyBin
}

// TestRealEnvoy runs a real Envoy with the bootstrap `sluice bootstrap`
// prints and sends a request through it to a backend, as the seed does with
// python3 -m http.server 3000 and curl. It runs where envoy is on PATH.
func TestRealEnvoy(t *testing.T) {
	envoyBin := realEnvoy(t)
	dir, url := realEnvoyRepo(t)
	cfg, err := config.Parse([]byte("source: {dir: {paths: [" + dir + "]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "")

	b, err := bootstrap.Build(bootstrap.Options{
		Gateway: "default/eg", XDSAddress: sl.xds,
		AdminAddress: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := bootstrap.YAML(b)
	if err != nil {
		t.Fatal(err)
	}
	bootPath := filepath.Join(t.TempDir(), "envoy.yaml")
	os.WriteFile(bootPath, out, 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, envoyBin, "-c", bootPath, "--disable-hot-restart", "-l", "warning")
	cmd.Stdout, cmd.Stderr = testWriter{t}, testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	waitThroughEnvoy(t, url)
}

// TestRealEnvoyHostMode has sluice run the real Envoy (envoy: in
// sluice.yaml) and sends a request through it; then sluice stops it.
func TestRealEnvoyHostMode(t *testing.T) {
	envoyBin := realEnvoy(t)
	dir, url := realEnvoyRepo(t)
	cfg, err := config.Parse([]byte("source: {dir: {paths: [" + dir + "]}}\nenvoy: {binary: " + envoyBin + ", gateways: [default/eg], drainTime: 1s, logLevel: warning}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "")
	waitThroughEnvoy(t, url)
	n := waitNode(t, sl, func(n nodeJSON) bool { return n.Process != nil && n.Version != "" })
	sl.stop()
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", n.Process.PID)); err == nil {
		t.Errorf("Envoy (pid %d) outlived sluice", n.Process.PID)
	}
}
