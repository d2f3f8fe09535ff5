package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const dirSource = "source: {dir: {paths: [a]}}\n"

func TestKubernetes(t *testing.T) {
	cfg, err := Parse([]byte(dirSource + "kubernetes: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if k := cfg.Kubernetes; k == nil || k.Kubeconfig != "" || k.Namespaces != nil || k.Batch.Duration != 0 {
		t.Fatalf("kubernetes: {} = %+v", cfg.Kubernetes)
	}
	if cfg, err = Parse([]byte(dirSource)); err != nil || cfg.Kubernetes != nil {
		t.Fatalf("without kubernetes: %+v, %v", cfg.Kubernetes, err)
	}
	for in, want := range map[string]string{
		"kubernetes: {namespaces: [shop, Bad_NS]}": `field kubernetes.namespaces[1]: "Bad_NS" is not a namespace name`,
		"kubernetes: {batch: 1m}":                  "field kubernetes.batch: 1m0s is not between 0 and 10s",
		"kubernetes: {namespace: [shop]}":          "field namespace not found",
	} {
		if _, err := Parse([]byte(dirSource + in + "\n")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.yaml")
	conf := dirSource + "kubernetes: {kubeconfig: kube/config, namespaces: [shop], batch: 250ms}\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if k := cfg.Kubernetes; k.Kubeconfig != filepath.Join(dir, "kube/config") || k.Batch.Duration != 250*time.Millisecond || k.Namespaces[0] != "shop" {
		t.Fatalf("loaded: %+v", k)
	}
}
