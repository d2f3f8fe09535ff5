package translate

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
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
			checkGolden(t, out, got)
		})
	}
	removeStaleGolden(t, "testdata", ".in.yaml", ".out.yaml")
}

// checkGolden compares got with the golden file out, or writes it there
// with -update.
func checkGolden(t *testing.T, out string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(out, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%v (run go test ./translate -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the translation; run go test ./translate -update and review the diff:\n%s", out, lineDiff(string(want), string(got)))
	}
}

// removeStaleGolden removes, with -update, the outputs in dir whose
// input is gone.
func removeStaleGolden(t *testing.T, dir, inSuffix, outSuffix string) {
	t.Helper()
	if !*update {
		return
	}
	outs, _ := filepath.Glob(filepath.Join(dir, "*"+outSuffix))
	for _, out := range outs {
		if _, err := os.Stat(strings.TrimSuffix(out, outSuffix) + inSuffix); os.IsNotExist(err) {
			if err := os.Remove(out); err != nil {
				t.Error(err)
			}
		}
	}
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

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
			if shown++; shown == 10 {
				break
			}
		}
	}
	return b.String()
}
