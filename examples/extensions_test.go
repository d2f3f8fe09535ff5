package examples

import (
	"bytes"
	"os"
	"slices"
	"testing"

	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sluice-gitops/sluice/translate"
)

// TestExtensionsServesRepositoryModule checks that the extensions
// example's listener runs the module committed beside it, byte for byte,
// after its external processor, and that each route enables only its own
// policy's filter.
func TestExtensionsServesRepositoryModule(t *testing.T) {
	module, err := os.ReadFile("extensions/wasm/add-header.wasm")
	if err != nil {
		t.Fatal(err)
	}
	res, err := translate.Translate(os.DirFS("extensions"), translate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := res.Gateway("default", "eg")
	if g == nil || len(g.Listeners) != 1 {
		t.Fatalf("want the Gateway with one listener, got %+v", g)
	}
	hcm := &hcmv3.HttpConnectionManager{}
	if err := g.Listeners[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	const (
		wasm = "envoy.filters.http.wasm/envoyextensionpolicy/default/add-header/wasm/0"
		proc = "envoy.filters.http.ext_proc/envoyextensionpolicy/default/api-processing/extproc/0"
	)
	var names []string
	for _, f := range hcm.GetHttpFilters() {
		names = append(names, f.GetName())
		if f.GetName() != wasm {
			continue
		}
		cfg := &wasmfilterv3.Wasm{}
		if err := f.GetTypedConfig().UnmarshalTo(cfg); err != nil {
			t.Fatal(err)
		}
		if got := cfg.GetConfig().GetVmConfig().GetCode().GetLocal().GetInlineBytes(); !bytes.Equal(got, module) {
			t.Errorf("the wasm filter serves %d bytes, not the %d of the committed module", len(got), len(module))
		}
	}
	if want := []string{proc, wasm, "envoy.filters.http.router"}; !slices.Equal(names, want) {
		t.Errorf("filters %v, want %v", names, want)
	}
	for _, r := range g.Routes[0].GetVirtualHosts()[0].GetRoutes() {
		_, hasWasm := r.GetTypedPerFilterConfig()[wasm]
		_, hasProc := r.GetTypedPerFilterConfig()[proc]
		api := r.GetMatch().GetPathSeparatedPrefix() == "/api"
		if hasWasm == api || hasProc != api {
			t.Errorf("route %s enables wasm %v, ext_proc %v", r.GetName(), hasWasm, hasProc)
		}
	}
}
