package xds

import (
	"slices"
	"strings"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// routerFilter is the last filter of every chain; no move passes it.
const routerFilter = "envoy.filters.http.router"

// orderFilters applies the filterOrder of l's EnvoyProxy to fs, one
// move after the other, as Envoy Gateway does: every filter whose name
// starts with the move's name (per-policy filters carry a suffix) goes,
// in its current order, right before the first filter of the Before
// kind or right after the last filter of the After kind. A move whose
// filters or anchor are not in the chain does nothing. The router stays
// last.
func orderFilters(fs []*hcmv3.HttpFilter, l *ir.Listener) []*hcmv3.HttpFilter {
	if l.Proxy == nil || len(l.Proxy.FilterOrder) == 0 {
		return fs
	}
	var router []*hcmv3.HttpFilter
	if n := len(fs); n > 0 && fs[n-1].GetName() == routerFilter {
		fs, router = fs[:n-1:n-1], fs[n-1:]
	}
	for _, m := range l.Proxy.FilterOrder {
		fs = moveFilters(fs, m)
	}
	return append(fs, router...)
}

// moveFilters applies one move to fs and returns the new chain.
func moveFilters(fs []*hcmv3.HttpFilter, m ir.FilterMove) []*hcmv3.HttpFilter {
	is := func(f *hcmv3.HttpFilter, kind string) bool { return strings.HasPrefix(f.GetName(), kind) }
	var moving, rest []*hcmv3.HttpFilter
	for _, f := range fs {
		if is(f, m.Name) {
			moving = append(moving, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(moving) == 0 {
		return fs
	}
	at := -1
	switch {
	case m.Before != "":
		at = slices.IndexFunc(rest, func(f *hcmv3.HttpFilter) bool { return is(f, m.Before) })
	case m.After != "":
		if i := lastIndexFunc(rest, func(f *hcmv3.HttpFilter) bool { return is(f, m.After) }); i >= 0 {
			at = i + 1
		}
	}
	if at < 0 {
		return fs // no anchor (or the anchor is one of the moving filters)
	}
	return slices.Concat(rest[:at], moving, rest[at:])
}

func lastIndexFunc[T any](s []T, f func(T) bool) int {
	for i := len(s) - 1; i >= 0; i-- {
		if f(s[i]) {
			return i
		}
	}
	return -1
}
