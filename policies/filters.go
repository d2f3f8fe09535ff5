package policies

import (
	"maps"
	"slices"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// disabledFilters are the HTTP filters of one kind on a listener whose
// configuration differs between routes: one filter per name that each
// yields for a route of vhs, configured by config, disabled, sorted by
// name. The routes that use one enable it in their
// typed_per_filter_config.
func disabledFilters[T any](vhs []*ir.VirtualHost, each func(r *ir.Route, add func(name string, v T)), config func(T) proto.Message) []*hcmv3.HttpFilter {
	byName := map[string]T{}
	add := func(name string, v T) { byName[name] = v }
	for _, vh := range vhs {
		for _, r := range vh.Routes {
			each(r, add)
		}
	}
	out := make([]*hcmv3.HttpFilter, 0, len(byName))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, &hcmv3.HttpFilter{
			Name:       n,
			Disabled:   true,
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(config(byName[n]))},
		})
	}
	return out
}
