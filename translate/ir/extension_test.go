package ir

import (
	"strings"
	"testing"
)

// TestExtensionsValidate checks that the IR of an EnvoyExtensionPolicy is
// refused when what the xDS builder relies on does not hold: the
// processor's cluster exists, body modes are known, a module is Wasm and
// has the SHA-256 it claims, names end in their index.
func TestExtensionsValidate(t *testing.T) {
	clusters := map[string]bool{"proc": true}
	module := []byte(WasmMagic + "\x01\x00\x00\x00")
	const sum = "93a44bbb96c751218e4c00d479e4c14358122a389acca16205b1e4d0dc5f9476"
	proc := func(edit func(*ExtProc)) *Extensions {
		p := &ExtProc{Name: "p/extproc/0", Cluster: "proc", RequestBody: BodyBuffered}
		edit(p)
		return &Extensions{ExtProcs: []*ExtProc{p}}
	}
	wasm := func(edit func(*Wasm)) *Extensions {
		w := &Wasm{Name: "p/wasm/1", Index: 1, PluginName: "x", Code: module, SHA256: sum}
		edit(w)
		return &Extensions{Wasms: []*Wasm{w}}
	}
	tests := map[string]struct {
		ext  *Extensions
		want string // "" for valid
	}{
		"valid processor":   {proc(func(*ExtProc) {}), ""},
		"valid module":      {wasm(func(*Wasm) {}), ""},
		"nil":               {nil, ""},
		"missing cluster":   {proc(func(p *ExtProc) { p.Cluster = "other" }), `cluster "other" does not exist`},
		"unknown body mode": {proc(func(p *ExtProc) { p.ResponseBody = "FullDuplexStreamed" }), "body modes"},
		"name and index":    {proc(func(p *ExtProc) { p.Index = 2 }), "does not end in /extproc/2"},
		"negative timeout":  {proc(func(p *ExtProc) { p.MessageTimeout = -1 }), "negative"},
		"not wasm":          {wasm(func(w *Wasm) { w.Code = []byte("text") }), "not a Wasm binary module"},
		"other sha256":      {wasm(func(w *Wasm) { w.SHA256 = strings.Repeat("0", 64) }), "not 000"},
		"no plugin name":    {wasm(func(w *Wasm) { w.PluginName = "" }), "pluginName is empty"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.ext.validate(clusters)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid IR refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
