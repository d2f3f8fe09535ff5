package policies

import (
	"testing"
)

// TestWasmFilePath checks which repository file a Wasm code source url
// names, and which urls name none.
func TestWasmFilePath(t *testing.T) {
	tests := map[string]struct {
		url, want string // want "" for an error
	}{
		"https url":           {"https://wasm.example.com/filters/a.wasm", "filters/a.wasm"},
		"http url, query":     {"http://wasm.example.com/a.wasm?v=2", "a.wasm"},
		"relative path":       {"filters/a.wasm", "filters/a.wasm"},
		"absolute path":       {"/filters/a.wasm", "filters/a.wasm"},
		"dot dot":             {"https://h/../etc/passwd", ""},
		"unclean":             {"filters//a.wasm", ""},
		"no path":             {"https://wasm.example.com/", ""},
		"oci scheme":          {"oci://registry/x:v1", ""},
		"host without scheme": {"//wasm.example.com/a.wasm", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := wasmFilePath(tc.url)
			switch {
			case tc.want == "" && err == nil:
				t.Fatalf("%q named %q; want an error", tc.url, got)
			case tc.want != "" && (err != nil || got != tc.want):
				t.Fatalf("%q: got %q, %v; want %q", tc.url, got, err, tc.want)
			}
		})
	}
}
