package xds

import (
	"slices"
	"testing"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

func TestOrderFilters(t *testing.T) {
	t.Parallel()
	const (
		cors   = "envoy.filters.http.cors"
		jwt    = "envoy.filters.http.jwt_authn"
		rbac   = "envoy.filters.http.rbac"
		cr     = "envoy.filters.http.custom_response"
		oauth2 = "envoy.filters.http.oauth2"
	)
	chain := []string{cors, oauth2 + "/securitypolicy/default/a", oauth2 + "/securitypolicy/default/b", jwt, rbac, cr + "/btp/default/x", cr + "/btp/default/y", routerFilter}
	tests := map[string]struct {
		moves []ir.FilterMove
		want  []string
	}{
		"no moves": {nil, chain},
		"before moves every per-policy filter, in order": {
			[]ir.FilterMove{{Name: oauth2, Before: cors}},
			[]string{oauth2 + "/securitypolicy/default/a", oauth2 + "/securitypolicy/default/b", cors, jwt, rbac, cr + "/btp/default/x", cr + "/btp/default/y", routerFilter},
		},
		"after goes past the last of its kind": {
			[]ir.FilterMove{{Name: cors, After: oauth2}},
			[]string{oauth2 + "/securitypolicy/default/a", oauth2 + "/securitypolicy/default/b", cors, jwt, rbac, cr + "/btp/default/x", cr + "/btp/default/y", routerFilter},
		},
		"after the last filter keeps the router last": {
			[]ir.FilterMove{{Name: jwt, After: cr}},
			[]string{cors, oauth2 + "/securitypolicy/default/a", oauth2 + "/securitypolicy/default/b", rbac, cr + "/btp/default/x", cr + "/btp/default/y", jwt, routerFilter},
		},
		"moves apply one after the other": {
			[]ir.FilterMove{{Name: rbac, Before: jwt}, {Name: jwt, Before: cors}},
			[]string{jwt, cors, oauth2 + "/securitypolicy/default/a", oauth2 + "/securitypolicy/default/b", rbac, cr + "/btp/default/x", cr + "/btp/default/y", routerFilter},
		},
		"missing filter or anchor does nothing": {
			[]ir.FilterMove{{Name: "envoy.filters.http.lua", Before: cors}, {Name: cors, After: "envoy.filters.http.wasm"}},
			chain,
		},
		"anchor of the moving kind does nothing": {
			[]ir.FilterMove{{Name: oauth2, Before: oauth2}},
			chain,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var fs []*hcmv3.HttpFilter
			for _, n := range chain {
				fs = append(fs, &hcmv3.HttpFilter{Name: n})
			}
			got := orderFilters(fs, &ir.Listener{Proxy: &ir.ProxySettings{FilterOrder: tc.moves}})
			var names []string
			for _, f := range got {
				names = append(names, f.GetName())
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("got  %v\nwant %v", names, tc.want)
			}
		})
	}
}
