package examples

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnits checks the units of examples/systemd with
// systemd-analyze verify (the binaries they run are replaced by an
// executable that exists here), and that each keeps its hardening.
func TestSystemdUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing; .ci/run installs Debian's systemd package")
		}
		t.Skip("systemd-analyze is missing: apt-get install systemd")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"sluice.service", "envoy@.service"} {
		b, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		unit := strings.NewReplacer("/usr/local/bin/sluice", self, "/usr/local/bin/envoy", self).Replace(string(b))
		if name == "envoy@.service" {
			name = "envoy@default-eg.service" // a template is verified through an instance
		}
		os.WriteFile(filepath.Join(dir, name), []byte(unit), 0o644)
	}
	cmd := exec.Command(analyze, "verify", "./sluice.service", "./envoy@default-eg.service")
	cmd.Dir = dir
	// verify exits 0 on warnings (an unknown key, a bad value), so any
	// output fails the test.
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestSystemdHardening(t *testing.T) {
	want := map[string]string{
		"DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "Restart": "on-failure",
	}
	for name, extra := range map[string]map[string]string{
		"sluice.service": {"StateDirectory": "sluice", "ExecStart": "/usr/local/bin/sluice serve --config /etc/sluice/sluice.yaml"},
		"envoy@.service": {"ExecStart": "/usr/local/bin/envoy --config-path /etc/envoy/%i.yaml --use-dynamic-base-id --drain-time-s 30 --log-level info"},
	} {
		t.Run(name, func(t *testing.T) {
			keys := unitKeys(t, filepath.Join("systemd", name))
			for k, v := range want {
				if keys[k] != v {
					t.Errorf("%s=%q, want %q", k, keys[k], v)
				}
			}
			for k, v := range extra {
				if keys[k] != v {
					t.Errorf("%s=%q, want %q", k, keys[k], v)
				}
			}
		})
	}
}

// unitKeys returns the last value of each key of a unit file.
func unitKeys(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = v
		}
	}
	return keys
}
