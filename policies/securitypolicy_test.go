package policies

import (
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

func spOn(route string, spec egv1a1.SecurityPolicySpec) *egv1a1.SecurityPolicy {
	spec.TargetRefs = []gwapiv1.LocalPolicyTargetReferenceWithSectionName{{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
		Group: gwapiv1.GroupName, Kind: KindHTTPRoute, Name: gwapiv1.ObjectName(route)}}}
	return &egv1a1.SecurityPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p"}, Spec: spec}
}

func jwtSpecWith(uri string) *egv1a1.JWT {
	return &egv1a1.JWT{Providers: []egv1a1.JWTProvider{{Name: "sso", RemoteJWKS: &egv1a1.RemoteJWKS{URI: uri}}}}
}

// TestSecurityPolicyFailsClosed applies one policy to one route: a valid
// policy sets the route's Security and adds the JWKS cluster; an invalid
// one makes the route answer 500 and names the field in the status.
func TestSecurityPolicyFailsClosed(t *testing.T) {
	t.Parallel()
	deny := egv1a1.AuthorizationActionDeny
	tests := map[string]struct {
		spec      egv1a1.SecurityPolicySpec
		wantError string // "" for a valid policy
	}{
		"valid jwt": {spec: egv1a1.SecurityPolicySpec{JWT: jwtSpecWith("https://sso.example.com/keys")}},
		"http jwks": {spec: egv1a1.SecurityPolicySpec{JWT: jwtSpecWith("http://sso.example.com/keys")},
			wantError: "field spec.jwt.providers[0].remoteJWKS.uri"},
		"no path": {spec: egv1a1.SecurityPolicySpec{JWT: jwtSpecWith("https://sso.example.com")},
			wantError: "field spec.jwt.providers[0].remoteJWKS.uri"},
		"unknown provider": {spec: egv1a1.SecurityPolicySpec{JWT: jwtSpecWith("https://sso.example.com/keys"),
			Authorization: &egv1a1.Authorization{DefaultAction: &deny, Rules: []egv1a1.AuthorizationRule{{
				Action: egv1a1.AuthorizationActionAllow, Principal: &egv1a1.Principal{JWT: &egv1a1.JWTPrincipal{Provider: "other", Scopes: []egv1a1.JWTScope{"read"}}}}}}},
			wantError: "field spec.authorization.rules[0].principal.jwt.provider"},
		"bad cidr": {spec: egv1a1.SecurityPolicySpec{Authorization: &egv1a1.Authorization{Rules: []egv1a1.AuthorizationRule{{
			Action: egv1a1.AuthorizationActionAllow, Principal: &egv1a1.Principal{ClientCIDRs: []egv1a1.CIDR{"10.0.0.0/33"}}}}}},
			wantError: "field spec.authorization.rules[0].principal.clientCIDRs[0]"},
		"unsupported feature": {spec: egv1a1.SecurityPolicySpec{BasicAuth: &egv1a1.BasicAuth{}},
			wantError: "field spec.basicAuth"},
		"headers principal without values": {spec: egv1a1.SecurityPolicySpec{Authorization: &egv1a1.Authorization{Rules: []egv1a1.AuthorizationRule{{
			Action: egv1a1.AuthorizationActionAllow, Principal: &egv1a1.Principal{Headers: []egv1a1.AuthorizationHeaderMatch{{Name: "x"}}}}}}},
			wantError: "field spec.authorization.rules[0].principal.headers[0].values"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			route := &ir.Route{Name: "r", Backends: []ir.WeightedBackend{{Cluster: "c", Weight: 1}},
				Origin: ir.RouteOrigin{Kind: KindHTTPRoute, Namespace: "default", Name: "app", GatewayNamespace: "default", GatewayName: "eg", Listener: "http"}}
			g := &ir.Gateway{Namespace: "default", Name: "eg", Clusters: []*ir.Cluster{{Name: "c"}},
				Listeners: []*ir.Listener{{Name: "l", VirtualHosts: []*ir.VirtualHost{{Name: "v", Routes: []*ir.Route{route}}}}}}
			targets := Targets{Gateways: []Gateway{{Namespace: "default", Name: "eg", Listeners: []string{"http"}}},
				Routes: []Route{{Kind: KindHTTPRoute, Namespace: "default", Name: "app", Parents: []Parent{{Namespace: "default", Name: "eg", Listener: "http"}}}}}
			st := applySecurity(SecurityInput{Policies: []*egv1a1.SecurityPolicy{spOn("app", tc.spec)}, Targets: targets}, []*ir.Gateway{g})
			cond := st[0].Ancestors[0].Conditions[0]
			if tc.wantError == "" {
				if route.Security == nil || route.DirectStatus != 0 || cond.Status != "True" {
					t.Fatalf("valid policy: security %v, direct %d, condition %+v", route.Security, route.DirectStatus, cond)
				}
				if len(g.Clusters) != 2 || g.Clusters[1].Name != "jwks/sso.example.com:443" {
					t.Errorf("clusters: %+v", g.Clusters)
				}
			} else {
				if route.DirectStatus != failClosedStatus || len(route.Backends) != 0 || route.Security != nil {
					t.Errorf("invalid policy leaves the route open: direct %d, backends %v", route.DirectStatus, route.Backends)
				}
				if cond.Status != "False" || cond.Reason != status.ReasonInvalid || !strings.Contains(cond.Message, tc.wantError) {
					t.Errorf("condition %+v, want Invalid naming %s", cond, tc.wantError)
				}
			}
			if err := g.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}
