package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy basicAuth. (scaffold: to be implemented)

const basicAuthFilterName = "envoy.filters.http.basic_auth"

// spAuthnFields are the SecurityPolicy spec fields basicauth.go and
// apikeyauth.go implement.
var spAuthnFields = map[string]bool{}

// basicAuthSpec checks spec.basicAuth and writes it into f.
func basicAuthSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []string { return nil }

// BasicAuthFilter is the listener's basic_auth filter, or nil.
func BasicAuthFilter(vhs []*ir.VirtualHost) *hcmv3.HttpFilter { return nil }

// basicAuthRouteConfig is a route's basic_auth config, or nil.
func basicAuthRouteConfig(r *ir.Route) *anypb.Any { return nil }
