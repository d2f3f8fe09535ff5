package serve_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// fullDisk mounts a tmpfs of size for the test, as root; elsewhere the
// test is skipped (or fails under CI, which runs as root).
func fullDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root to mount a tmpfs")
		}
		t.Skip("needs root to mount a small tmpfs: run the tests as root (CI does)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	return mnt
}

// fill writes a file in dir until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return name
		}
	}
}

// badRoutes are n HTTPRoutes of eg that are rejected (an invalid regex),
// with long names: their statuses make a large record.
func badRoutes(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-%04d-%s
spec:
  parentRefs: [{name: eg}]
  rules:
    - matches: [{path: {type: RegularExpression, value: "(unclosed"}}]
`, i, strings.Repeat("x", 200))
	}
	return b.String()
}

// TestRollbackRefusedWhenStoreFull: a rollback whose record cannot be
// written (dataDir's file system is full) answers 503 and changes nothing
// served; with room again it pins, and the pin survives a restart.
func TestRollbackRefusedWhenStoreFull(t *testing.T) {
	dataDir := fullDisk(t, "16m")
	src := newRepo()
	h := start(t, harnessOpts{token: "tok", source: src, dataDir: dataDir})
	rev1 := src.add(revision("served"), gatewayYAML("eg", 8080, 3001))
	h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8080, 3001)), revisions.StateApplied)
	big := src.add(revision("many rejected routes"), gatewayYAML("eg", 8080, 3009), badRoutes(1500))
	envoy := h.dial(t, xdstest.Options{NodeID: "e", Cluster: "default/eg"})
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3001 })

	filler := fill(t, dataDir)
	body := `{"revision": "` + big.SHA + `"}`
	code, out := h.do(t, http.MethodPost, "/api/v1/rollback", "tok", body)
	if code != http.StatusServiceUnavailable || !strings.Contains(out, "revision store cannot be written") {
		t.Fatalf("rollback on a full disk = %d %s, want 503 naming the store", code, out)
	}
	if h.srv.Pinned() != "" || h.srv.AppliedSHA() != rev1.SHA {
		t.Fatalf("the refused rollback changed what is served: pinned %q, applied %s", h.srv.Pinned(), h.srv.AppliedSHA())
	}
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3001 })
	if code, out := h.get(t, http.MethodGet, "/readyz", ""); code != http.StatusOK || !strings.Contains(out, "degraded") || !strings.Contains(out, "write revision store") {
		t.Errorf("/readyz with a full store = %d %s, want 200 degraded naming the store", code, out)
	}

	os.Remove(filler)
	if code, out := h.do(t, http.MethodPost, "/api/v1/rollback", "tok", body); code != http.StatusOK {
		t.Fatalf("rollback with room = %d %s", code, out)
	}
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3009 })
	if code, out := h.get(t, http.MethodGet, "/readyz", ""); strings.Contains(out, "degraded") {
		t.Errorf("/readyz once the store is written = %d %s, want ok", code, out)
	}
	h.srv.Close()
	again, err := revisions.New(revisions.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if serve, _ := again.Restored(); serve != big.SHA {
		t.Errorf("after a restart sluice would serve %s, want the pinned %s", serve, big.SHA)
	}
}
