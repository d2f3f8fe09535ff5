package main

import (
	"debug/elf"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/serve/buildinfo"
)

// copyTree copies the repository's source (not .git, bin, dist) into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			switch rel {
			case ".git", "bin", "dist", ".sluice":
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// makeDist runs `make dist` for linux/amd64 in a copy of the repository
// at dir and returns the SHA256SUMS it wrote.
func makeDist(t *testing.T, dir string) string {
	t.Helper()
	copyTree(t, "../..", dir)
	cmd := exec.Command("make", "-s", "dist", "PLATFORMS=linux/amd64", "VERSION=v0.0.0-repro")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist in %s: %v\n%s", dir, err, out)
	}
	sums, err := os.ReadFile(filepath.Join(dir, "dist", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	return string(sums)
}

// TestDistReproducible builds the linux/amd64 release binary from two
// copies of the source at different paths and demands the same bytes,
// then checks that the binary is static, stripped and knows its version.
func TestDistReproducible(t *testing.T) {
	if os.Getenv("CI") == "" && os.Getenv("SLUICE_DIST_TEST") == "" {
		t.Skip("builds sluice twice from scratch (minutes on 2 cores); runs in CI, or here with make dist-check")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed (apt-get install make)")
	}
	root := t.TempDir()
	a, b := makeDist(t, filepath.Join(root, "a")), makeDist(t, filepath.Join(root, "one", "b"))
	if a != b || !strings.Contains(a, "sluice-v0.0.0-repro-linux-amd64") {
		t.Fatalf("two builds differ:\n%s\n%s", a, b)
	}
	bin := filepath.Join(root, "a", "dist", "sluice-v0.0.0-repro-linux-amd64")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary has a symbol table: not stripped")
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var info buildinfo.Info
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, out)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if info.Version != "v0.0.0-repro" || settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("version = %s, settings = %v", info.Version, settings)
	}
}
