package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demo is `make demo` (examples/quickstart/demo.sh) running on free ports.
type demo struct {
	dir, admin, token string
}

// startDemo builds sluice and runs demo.sh with every port moved to a free
// one; the token line it prints is returned with the rest.
func startDemo(t *testing.T) *demo {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sluice")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	d := &demo{dir: t.TempDir()}
	adminPort := freePort(t)
	d.admin = "http://127.0.0.1:" + strconv.Itoa(adminPort)
	cmd := exec.Command("sh", "../../examples/quickstart/demo.sh", bin)
	cmd.Env = append(os.Environ(), "SLUICE_DEMO_DIR="+d.dir,
		"DEMO_XDS_PORT="+strconv.Itoa(freePort(t)), "DEMO_ADMIN_PORT="+strconv.Itoa(adminPort),
		"DEMO_ENVOY_PORT="+strconv.Itoa(freePort(t)), "DEMO_BACKEND_PORT="+strconv.Itoa(freePort(t)))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // demo.sh execs sluice: this is sluice
		cmd.Wait()
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for line := range lines {
		t.Log(line)
		if tok, ok := strings.CutPrefix(strings.TrimSpace(line), "admin token: "); ok {
			d.token, _, _ = strings.Cut(tok, " ")
		}
		if strings.HasPrefix(line, "Ctrl-C") {
			break
		}
	}
	return d
}

// waitReady polls /readyz until a revision is served.
func (d *demo) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(d.admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the demo never served a revision")
}

// git runs git in the demo's repository.
func (d *demo) git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", filepath.Join(d.dir, "routing")}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestDemoAdminToken: `make demo` makes an admin token, prints it once and
// configures it, so that sync, rollback and unpin work from the CLI; its
// ports follow DEMO_*_PORT.
func TestDemoAdminToken(t *testing.T) {
	d := startDemo(t)
	if len(d.token) < 32 {
		t.Fatalf("the demo printed no admin token (%q)", d.token)
	}
	b, err := os.ReadFile(filepath.Join(d.dir, "admin.token"))
	if err != nil || strings.TrimSpace(string(b)) != d.token {
		t.Fatalf("admin.token = %q, %v; want the printed token", b, err)
	}
	d.waitReady(t)
	d.checkBuildInfo(t)
	first := d.git(t, "rev-parse", "HEAD")
	file := filepath.Join(d.dir, "routing", "gateways", "quickstart.yaml")
	yaml, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(yaml), "www.example.com", "www2.example.com", 1)), 0o644)
	d.git(t, "commit", "-qam", "Rename the host")

	if _, _, err := run(t, "sync", "--server", d.admin); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("sync without the token: %v, want 401", err)
	}
	t.Setenv("SLUICE_TOKEN", d.token)
	if out, _, err := run(t, "sync", "--server", d.admin); err != nil {
		t.Fatalf("sync with the demo's token: %v\n%s", err, out)
	}
	if out, _, err := run(t, "rollback", first, "--server", d.admin); err != nil || !strings.Contains(out, "pinned") {
		t.Fatalf("rollback with the demo's token: %v\n%s", err, out)
	}
	// Nothing new was pending: the rolled-back commit stays served.
	if out, _, err := run(t, "unpin", "--server", d.admin); err != nil || !strings.Contains(out, "serving main@sha1:"+first) {
		t.Fatalf("unpin with the demo's token: %v\n%s", err, out)
	}
}

// checkBuildInfo: the binary go build made says its build in
// sluice_build_info: its Go version and its VCS revision (empty where
// GOFLAGS has -buildvcs=false, as on the development machines).
func (d *demo) checkBuildInfo(t *testing.T) {
	t.Helper()
	resp, err := http.Get(d.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`sluice_build_info\{goversion="go[^"]+",revision="([0-9a-f]{40}|)",version="[^"]+"\} 1`).FindSubmatch(b)
	if m == nil {
		t.Errorf("no sluice_build_info in /metrics:\n%s", regexp.MustCompile(`(?m)^sluice_build_info.*$`).Find(b))
	}
}
