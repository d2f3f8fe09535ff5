package translate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sluice-gitops/sluice/translate/golden"
)

var update = flag.Bool("update", false, "update golden files")

// translateFile translates one file as a whole revision.
func translateFile(t *testing.T, path string) *Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(caseFiles(t, path, data), Options{})
	if err != nil {
		t.Fatalf("translate %s: %v", path, err)
	}
	for _, g := range res.Gateways {
		if _, err := g.Snapshot("test"); err != nil {
			t.Fatalf("gateway %s: %v", g.Key(), err)
		}
	}
	return res
}

// caseFiles is the revision of a golden case: its input file and, when
// there is a directory <case>.files beside it, every file under it
// (Wasm modules), by their paths there.
func caseFiles(t *testing.T, path string, data []byte) fstest.MapFS {
	t.Helper()
	files := fstest.MapFS{filepath.Base(path): {Data: data}}
	dir := strings.TrimSuffix(path, ".in.yaml") + ".files"
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return files
}

// TestGolden translates testdata/<case>.in.yaml and compares it with
// testdata/<case>.out.yaml. -update rewrites the outputs and removes those
// whose input is gone.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden cases in testdata")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		out := strings.TrimSuffix(in, ".in.yaml") + ".out.yaml"
		t.Run(name, func(t *testing.T) {
			got, err := translateFile(t, in).YAML()
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, out, got, *update)
		})
	}
	golden.RemoveStale(t, "testdata", ".in.yaml", ".out.yaml", *update)
}

// TestDeterministic translates every case twice and demands identical bytes.
func TestDeterministic(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range inputs {
		a, err := translateFile(t, in).YAML()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := translateFile(t, in).YAML()
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two translations differ", in)
		}
	}
}
