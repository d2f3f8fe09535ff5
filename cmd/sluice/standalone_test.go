package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// TestStandaloneConfig runs `sluice serve --config standalone.yaml` with
// Envoy Gateway's host-mode config and its quickstart.yaml in the directory
// it names, then edits the file and expects the change to be served: once
// indented, once exactly as the release note prints both (flattened).
func TestStandaloneConfig(t *testing.T) {
	seed := func(name string) string {
		b, err := os.ReadFile("../../translate/flatyaml/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Run("indented", func(t *testing.T) {
		testStandalone(t, seed("standalone.yaml"), "/tmp/envoy-gateway-test", quickstart(t))
	})
	t.Run("as printed in the seed", func(t *testing.T) {
		testStandalone(t, seed("standalone.flat.yaml"), "/tmp/envoy-gateway-test", seed("quickstart.flat.yaml"))
	})
}

func testStandalone(t *testing.T, standalone, dirPlaceholder, quickstart string) {
	work := t.TempDir()
	dir := filepath.Join(work, "envoy-gateway-test")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "quickstart.yaml"), []byte(quickstart), 0o644)
	cfgPath := filepath.Join(work, "standalone.yaml")
	os.WriteFile(cfgPath, []byte(strings.Replace(standalone, dirPlaceholder, dir, 1)), 0o644)

	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = filepath.Join(work, "data")
	sl := startServe(t, cfg, "")
	envoy := xdstest.Dial(context.Background(), t, sl.xds, xdstest.Options{NodeID: "host-envoy", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })

	os.WriteFile(filepath.Join(dir, "quickstart.yaml"), []byte(strings.Replace(quickstart, "port: 3000", "port: 3001", 1)), 0o644)
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3001" && acked(s) })
}
