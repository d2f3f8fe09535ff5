package translate

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes through reading, typing and translation.
// Nothing may panic: bad input is a *ParseError, a warning or a status.
func FuzzLoad(f *testing.F) {
	inputs, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, warnings, err := readResources(fstest.MapFS{"in.yaml": {Data: data}}, Limits{})
		if err != nil {
			return
		}
		out, err := TranslateResources(res, warnings, Options{})
		if err != nil {
			return
		}
		if _, err := out.YAML(); err != nil {
			t.Fatalf("print result: %v", err)
		}
		for _, g := range out.Gateways {
			_, _ = g.Snapshot("fuzz")
		}
	})
}
