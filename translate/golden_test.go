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
	res, err := Translate(fstest.MapFS{filepath.Base(path): {Data: data}}, Options{})
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
