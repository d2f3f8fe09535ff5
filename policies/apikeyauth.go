package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy apiKeyAuth. (scaffold: to be implemented)

const apiKeyAuthFilterName = "envoy.filters.http.api_key_auth"

// apiKeyAuthSpec checks spec.apiKeyAuth and writes it into f.
func apiKeyAuthSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []string { return nil }

// APIKeyAuthFilter is the listener's api_key_auth filter, or nil.
func APIKeyAuthFilter(vhs []*ir.VirtualHost) *hcmv3.HttpFilter { return nil }

// apiKeyAuthRouteConfig is a route's api_key_auth config, or nil.
func apiKeyAuthRouteConfig(r *ir.Route) *anypb.Any { return nil }
