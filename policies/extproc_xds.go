package policies

import (
	"cmp"
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_proc/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// extProc's Envoy configuration, as Envoy Gateway's: one ext_proc filter
// per extProc entry in force on a listener's routes, named
// ExtProcFilterName/ENTRY, disabled; the routes under the policy enable
// it. Filters of several policies are ordered by their entry's index,
// then by name, as Envoy Gateway orders them.

// ExtProcFilterName is the name of Envoy's external processing filter.
const ExtProcFilterName = "envoy.filters.http.ext_proc"

// extProcCallTimeout bounds each gRPC call to the processor (Envoy
// Gateway's default for external services).
const extProcCallTimeout = 10

// ExtProc is the ext_proc filters of EnvoyExtensionPolicy extProc (a
// feature.Feature).
type ExtProc struct{ feature.Base }

// HTTPFilters are the listener's ext_proc filters, disabled.
func (ExtProc) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	return entryFilters(l, func(e *ir.Extensions) []*ir.ExtProc { return e.ExtProcs },
		func(p *ir.ExtProc) (string, int) { return ExtProcFilterName + "/" + p.Name, p.Index },
		func(p *ir.ExtProc) proto.Message { return extProcConfig(p) })
}

// entryFilters are the disabled filters of one kind of extension entry
// (ext_proc or wasm) on l: entries picks them from an Extensions, name
// gives a filter's name and the entry's index, config its configuration;
// each once, in inFilterOrder.
func entryFilters[T any](l *ir.Listener, entries func(*ir.Extensions) []T, name func(T) (string, int), config func(T) proto.Message) []*hcmv3.HttpFilter {
	exts := listenerExtensions(l)
	if len(exts) == 0 {
		return nil
	}
	byName := map[string]T{}
	for _, e := range exts {
		for _, x := range entries(e) {
			n, _ := name(x)
			byName[n] = x
		}
	}
	index := func(x T) int { _, i := name(x); return i }
	out := make([]*hcmv3.HttpFilter, 0, len(byName))
	for _, x := range inFilterOrder(byName, index) {
		n, _ := name(x)
		out = append(out, &hcmv3.HttpFilter{
			Name:       n,
			Disabled:   true,
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(config(x))},
		})
	}
	return out
}

// listenerExtensions lists the extensions of l's routes, each once.
func listenerExtensions(l *ir.Listener) []*ir.Extensions {
	var out []*ir.Extensions
	var seen map[*ir.Extensions]bool // made at the first extension: most listeners have none
	each := func(vhs []*ir.VirtualHost) {
		for _, vh := range vhs {
			for _, r := range vh.Routes {
				if r.Extensions == nil || seen[r.Extensions] {
					continue
				}
				if seen == nil {
					seen = map[*ir.Extensions]bool{}
				}
				seen[r.Extensions] = true
				out = append(out, r.Extensions)
			}
		}
	}
	each(l.VirtualHosts)
	for _, c := range l.TLSChains {
		each(c.VirtualHosts)
	}
	return out
}

// inFilterOrder lists the entries (ext_proc or wasm) of byName in Envoy
// Gateway's filter order: by their index in their policy, then by name.
func inFilterOrder[T any](byName map[string]T, index func(T) int) []T {
	names := slices.Collect(maps.Keys(byName))
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(index(byName[a]), index(byName[b])), cmp.Compare(a, b))
	})
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = byName[n]
	}
	return out
}

// extProcConfig is the filter's configuration for one entry.
func extProcConfig(p *ir.ExtProc) *extprocv3.ExternalProcessor {
	mode := &extprocv3.ProcessingMode{
		RequestHeaderMode:   extprocv3.ProcessingMode_SKIP,
		ResponseHeaderMode:  extprocv3.ProcessingMode_SKIP,
		RequestTrailerMode:  extprocv3.ProcessingMode_SKIP,
		ResponseTrailerMode: extprocv3.ProcessingMode_SKIP,
		RequestBodyMode:     bodyMode(p.RequestBody),
		ResponseBodyMode:    bodyMode(p.ResponseBody),
	}
	if p.RequestHeaders {
		mode.RequestHeaderMode = extprocv3.ProcessingMode_SEND
	}
	if p.ResponseHeaders {
		mode.ResponseHeaderMode = extprocv3.ProcessingMode_SEND
	}
	cfg := &extprocv3.ExternalProcessor{
		GrpcService: &corev3.GrpcService{
			TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{
				ClusterName: p.Cluster, Authority: p.Authority,
			}},
			Timeout: &durationpb.Duration{Seconds: extProcCallTimeout},
		},
		FailureModeAllow:   p.FailOpen,
		ProcessingMode:     mode,
		RequestAttributes:  p.RequestAttributes,
		ResponseAttributes: p.ResponseAttributes,
		AllowModeOverride:  p.AllowModeOverride,
	}
	if p.MessageTimeout > 0 {
		cfg.MessageTimeout = durationpb.New(p.MessageTimeout.Std())
	}
	if len(p.ForwardMetadata) > 0 || len(p.ReceiveMetadata) > 0 {
		cfg.MetadataOptions = &extprocv3.MetadataOptions{}
		if len(p.ForwardMetadata) > 0 {
			cfg.MetadataOptions.ForwardingNamespaces = &extprocv3.MetadataOptions_MetadataNamespaces{Untyped: p.ForwardMetadata}
		}
		if len(p.ReceiveMetadata) > 0 {
			cfg.MetadataOptions.ReceivingNamespaces = &extprocv3.MetadataOptions_MetadataNamespaces{Untyped: p.ReceiveMetadata}
		}
	}
	return cfg
}

func bodyMode(m string) extprocv3.ProcessingMode_BodySendMode {
	switch m {
	case ir.BodyStreamed:
		return extprocv3.ProcessingMode_STREAMED
	case ir.BodyBuffered:
		return extprocv3.ProcessingMode_BUFFERED
	case ir.BodyBufferedPartial:
		return extprocv3.ProcessingMode_BUFFERED_PARTIAL
	}
	return extprocv3.ProcessingMode_NONE
}

// Route enables the ext_proc filters of r's policy on r.
func (ExtProc) Route(out *routev3.Route, r *ir.Route) {
	if r.Extensions == nil {
		return
	}
	for _, p := range r.Extensions.ExtProcs {
		feature.SetFilterConfig(out, ExtProcFilterName+"/"+p.Name, enabledFilter)
	}
}

// enabledFilter is the typed_per_filter_config entry that enables a
// filter disabled on the listener.
var enabledFilter = mustAny(&routev3.FilterConfig{Config: &anypb.Any{}})
