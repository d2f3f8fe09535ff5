package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/buildinfo"
)

func TestVersion(t *testing.T) {
	out, _, err := run(t, "--version")
	if err != nil || !strings.HasPrefix(out, "sluice ") || !strings.Contains(out, runtime.Version()) || strings.Count(out, "\n") != 1 {
		t.Fatalf("--version: %q, %v", out, err)
	}
	out, _, err = run(t, "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var info buildinfo.Info
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.GoVersion != runtime.Version() || info.Version == "" {
		t.Fatalf("version -o json: %+v, %v\n%s", info, err, out)
	}
	out, _, err = run(t, "version")
	if err != nil || !strings.Contains(out, "go:") || !strings.Contains(out, "platform:  "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Fatalf("version: %q, %v", out, err)
	}
}

// TestServeExportsBuildInfo runs sluice serve and checks the build_info
// metric and that `sluice healthcheck` agrees with /healthz.
func TestServeExportsBuildInfo(t *testing.T) {
	dir := writeDir(t, map[string]string{"q.yaml": quickstart(t)})
	cfg := &config.Config{Source: config.Source{Dir: &config.Dir{Paths: []string{dir}, Interval: config.Duration{Duration: config.DefaultDirInterval}}}, DataDir: t.TempDir()}
	sl := startServe(t, cfg, "")
	_, metrics := sl.do(t, http.MethodGet, "/metrics")
	want := `sluice_build_info{goversion="` + runtime.Version() + `"`
	if !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if _, _, err := run(t, "healthcheck", sl.admin+"/healthz"); err != nil {
		t.Errorf("healthcheck of a running sluice: %v", err)
	}
	if _, _, err := run(t, "healthcheck", sl.admin+"/no-such-page"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("healthcheck of a 404: %v", err)
	}
	sl.stop()
	if _, _, err := run(t, "healthcheck", "--timeout", "1s", sl.admin+"/healthz"); err == nil {
		t.Error("healthcheck of a stopped sluice succeeded")
	}
}

func TestHealthcheckUnhealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	if _, _, err := run(t, "healthcheck", srv.URL); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("healthcheck of a 503: %v", err)
	}
}

// TestDockerfile checks what cannot be seen without a Docker daemon: the
// image runs the binary it copies, as a non-root user, with a HEALTHCHECK
// that runs `sluice healthcheck` (the base has no shell nor curl).
func TestDockerfile(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inst := map[string]string{}
	var joined string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		joined += strings.TrimSuffix(line, "\\") + " "
		if strings.HasSuffix(line, "\\") {
			continue
		}
		word, rest, _ := strings.Cut(strings.TrimSpace(joined), " ")
		inst[word] = rest // the last of each instruction: the final stage's
		joined = ""
	}
	if u := inst["USER"]; u == "" || strings.HasPrefix(u, "root") || strings.HasPrefix(u, "0") {
		t.Errorf("USER %q: want a non-root user", u)
	}
	if !strings.Contains(inst["HEALTHCHECK"], `CMD ["/usr/local/bin/sluice", "healthcheck"`) {
		t.Errorf("HEALTHCHECK %q: want the exec form running sluice healthcheck", inst["HEALTHCHECK"])
	}
	if !strings.Contains(inst["ENTRYPOINT"], "/usr/local/bin/sluice") || !strings.Contains(inst["COPY"], "/usr/local/bin/sluice") {
		t.Errorf("ENTRYPOINT %q runs a binary the final COPY %q does not put there", inst["ENTRYPOINT"], inst["COPY"])
	}
	if !strings.Contains(inst["FROM"], "static") || !strings.Contains(inst["RUN"], "make dist") {
		t.Errorf("FROM %q / RUN %q: want the make dist binary on a static base", inst["FROM"], inst["RUN"])
	}
}
