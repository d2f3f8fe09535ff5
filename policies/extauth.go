package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy extAuth. (scaffold: to be implemented)

// extAuthSpec checks spec.extAuth and writes it into f.
func extAuthSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []string { return nil }

// ExtAuthzFilters are the listener's ext_authz filters, in order.
func ExtAuthzFilters(vhs []*ir.VirtualHost) []*hcmv3.HttpFilter { return nil }

// extAuthRouteConfig adds a route's ext_authz configs with add.
func extAuthRouteConfig(r *ir.Route, add func(name string, cfg *anypb.Any)) {}
