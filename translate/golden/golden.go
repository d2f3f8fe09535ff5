// Package golden compares test output with golden files, for the golden
// tests of translate (Gateway API → status + xDS) and translate/xds
// (IR → xDS). Only tests import it.
//
// It must not import translate or its stages.
package golden

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check compares got with the golden file out, or writes it there
// when update is set (-update).
func Check(t *testing.T, out string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(out, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("%v (run go test with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the translation; run go test with -update and review the diff:\n%s", out, LineDiff(string(want), string(got)))
	}
}

// RemoveStale removes, with update (-update), the outputs in dir whose
// input is gone.
func RemoveStale(t *testing.T, dir, inSuffix, outSuffix string, update bool) {
	t.Helper()
	if !update {
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

// LineDiff shows the first lines where two texts differ.
func LineDiff(want, got string) string {
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
