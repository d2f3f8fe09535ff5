package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/envoyproc"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// buildFakeEnvoy builds serve/envoyproc's stand-in Envoy as dir/envoy.
func buildFakeEnvoy(t *testing.T) string {
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "envoy"), "../../serve/envoyproc/testdata/fakeenvoy").CombinedOutput()
	if err != nil {
		t.Fatalf("build fakeenvoy: %v\n%s", err, out)
	}
	return dir
}

type nodeJSON struct {
	Node    string            `json:"node"`
	Gateway string            `json:"gateway"`
	Version string            `json:"version"`
	Process *envoyproc.Status `json:"process"`
}

// waitNode polls /api/v1/nodes until an entry satisfies cond.
func waitNode(t *testing.T, sl *running, cond func(nodeJSON) bool) nodeJSON {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		_, body := sl.do(t, http.MethodGet, "/api/v1/nodes")
		var nodes []nodeJSON
		json.Unmarshal(body, &nodes)
		for _, n := range nodes {
			if cond(n) {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/v1/nodes never matched: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHostMode serves Envoy Gateway's standalone config (infrastructure
// Host): sluice runs an Envoy (the stand-in, found on PATH) for the
// quickstart's Gateway, which dials sluice with the bootstrap it was given
// and ACKs; the admin API, the dashboard and the metrics show the process,
// and stopping sluice drains and stops it.
func TestHostMode(t *testing.T) {
	t.Setenv("PATH", buildFakeEnvoy(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	work := t.TempDir()
	dir := filepath.Join(work, "envoy-gateway-test")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "quickstart.yaml"), []byte(quickstart(t)), 0o644)
	seed, err := os.ReadFile("../../translate/flatyaml/testdata/standalone.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(work, "standalone.yaml")
	os.WriteFile(cfgPath, []byte(strings.Replace(string(seed), "/tmp/envoy-gateway-test", dir, 1)), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Envoy == nil {
		t.Fatal("infrastructure type Host did not turn host mode on")
	}
	cfg.DataDir, cfg.Envoy.DrainTime = filepath.Join(work, "data"), config.Duration{Duration: 200 * time.Millisecond}
	logs := &lockedBuffer{}
	sl := startServeLogging(t, cfg, "", logs)

	n := waitNode(t, sl, func(n nodeJSON) bool {
		return n.Node == "envoy-default-eg" && n.Version != "" && n.Process != nil && n.Process.State == envoyproc.StateRunning
	})
	if n.Gateway != "default/eg" || n.Process.PID == 0 {
		t.Errorf("node = %+v, process %+v", n, n.Process)
	}
	_, metrics := sl.do(t, http.MethodGet, "/metrics")
	if !strings.Contains(string(metrics), `sluice_envoy_process_up{gateway="default/eg"} 1`) {
		t.Error("/metrics lacks sluice_envoy_process_up for default/eg")
	}
	if _, page := sl.do(t, http.MethodGet, "/"); !strings.Contains(string(page), `class="process-running"`) {
		t.Error("the dashboard does not show the running Envoy")
	}
	sl.stop()
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(n.Process.PID))); err == nil {
		t.Errorf("Envoy (pid %d) outlived sluice", n.Process.PID)
	}
	for _, want := range []string{"gateway=default/eg", "lds: add/update 1 resources", "draining listeners (graceful)", "caught SIGTERM"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("sluice's log lacks %q", want)
		}
	}
}

// TestHostModeWithoutEnvoy: a missing binary is shown and logged, and xDS
// keeps serving.
func TestHostModeWithoutEnvoy(t *testing.T) {
	dir := writeDir(t, map[string]string{"q.yaml": quickstart(t)})
	cfg, err := config.Parse([]byte("source: {dir: {paths: [" + dir + "]}}\nenvoy: {binary: /nonexistent/envoy, gateways: [default/eg]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "")
	n := waitNode(t, sl, func(n nodeJSON) bool { return n.Process != nil && n.Process.State == envoyproc.StateFailed })
	if !strings.Contains(n.Process.LastExit, `envoy binary not found: "/nonexistent/envoy"`) {
		t.Errorf("process = %+v", n.Process)
	}
	envoy := xdstest.Dial(context.Background(), t, sl.xds, xdstest.Options{NodeID: "other", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })
}

// TestHostModeHotRestartOnHUP: a SIGHUP after envoy.xdsTLS changed in
// sluice.yaml hot-restarts the Envoy with its new bootstrap (epoch 1);
// the old one drains and exits.
func TestHostModeHotRestartOnHUP(t *testing.T) {
	bin := filepath.Join(buildFakeEnvoy(t), "envoy")
	dir := writeDir(t, map[string]string{"q.yaml": quickstart(t)})
	cfgPath := filepath.Join(t.TempDir(), "sluice.yaml")
	yaml := "source: {dir: {paths: [" + dir + "]}}\nenvoy: {binary: " + bin + ", gateways: [default/eg], drainTime: 200ms}\n"
	os.WriteFile(cfgPath, []byte(yaml), 0o644)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServeLogging(t, cfg, "", &lockedBuffer{})
	first := waitNode(t, sl, func(n nodeJSON) bool { return n.Process != nil && n.Process.State == envoyproc.StateRunning })

	os.WriteFile(cfgPath, []byte(strings.Replace(yaml, "drainTime: 200ms", "drainTime: 200ms, xdsTLS: {caFile: ca.pem}", 1)), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	second := waitNode(t, sl, func(n nodeJSON) bool {
		return n.Process != nil && n.Process.State == envoyproc.StateRunning && n.Process.Epoch == 1
	})
	if second.Process.PID == first.Process.PID {
		t.Fatal("the hot restart kept the same process")
	}
	boot, _ := os.ReadFile(second.Process.Bootstrap)
	if !strings.Contains(string(boot), filepath.Join(filepath.Dir(cfgPath), "ca.pem")) {
		t.Errorf("the new bootstrap does not trust ca.pem:\n%s", boot)
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		if _, err := os.Stat("/proc/" + strconv.Itoa(first.Process.PID)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the epoch 0 Envoy (pid %d) is still running", first.Process.PID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
