package policies

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// wasm's Envoy configuration, as Envoy Gateway's but for where the code
// comes from: one wasm filter per wasm entry in force on a listener's
// routes, named WasmFilterName/ENTRY, disabled, its module's bytes inline
// (Envoy Gateway has Envoy fetch it from its own HTTP server); the routes
// under the policy enable it. Each filter has a VM of its own (vm_id is
// the entry's name), the V8 runtime, and the plugin configuration as a
// JSON string.

// WasmFilterName is the name of Envoy's Wasm filter.
const WasmFilterName = "envoy.filters.http.wasm"

// wasmRuntime is the Wasm runtime Envoy runs modules in.
const wasmRuntime = "envoy.wasm.runtime.v8"

// Wasm is the wasm filters of EnvoyExtensionPolicy wasm (a
// feature.Feature).
type Wasm struct{ feature.Base }

// HTTPFilters are the listener's wasm filters, disabled, in Envoy
// Gateway's order.
func (Wasm) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	return entryFilters(l, func(e *ir.Extensions) []*ir.Wasm { return e.Wasms },
		func(w *ir.Wasm) (string, int) { return WasmFilterName + "/" + w.Name, w.Index },
		func(w *ir.Wasm) proto.Message { return wasmConfig(w) })
}

// wasmConfig is the filter's configuration for one entry.
func wasmConfig(w *ir.Wasm) *wasmfilterv3.Wasm {
	vm := &wasmv3.VmConfig{
		VmId:    w.Name,
		Runtime: wasmRuntime,
		Code: &corev3.AsyncDataSource{Specifier: &corev3.AsyncDataSource_Local{Local: &corev3.DataSource{
			Specifier: &corev3.DataSource_InlineBytes{InlineBytes: w.Code},
		}}},
	}
	if len(w.HostKeys) > 0 {
		vm.EnvironmentVariables = &wasmv3.EnvironmentVariables{HostEnvKeys: w.HostKeys}
	}
	cfg := &wasmv3.PluginConfig{
		Name:          w.PluginName,
		RootId:        w.RootID,
		Vm:            &wasmv3.PluginConfig_VmConfig{VmConfig: vm},
		Configuration: mustAny(wrapperspb.String(w.Config)),
	}
	if w.FailOpen {
		cfg.FailurePolicy = wasmv3.FailurePolicy_FAIL_OPEN // fail_open is deprecated
	}
	return &wasmfilterv3.Wasm{Config: cfg}
}

// Route enables the wasm filters of r's policy on r.
func (Wasm) Route(out *routev3.Route, r *ir.Route) {
	if r.Extensions == nil {
		return
	}
	for _, w := range r.Extensions.Wasms {
		feature.SetFilterConfig(out, WasmFilterName+"/"+w.Name, enabledFilter)
	}
}
