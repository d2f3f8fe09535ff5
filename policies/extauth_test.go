package policies

import (
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// fakeBackends resolves Service default/auth port 9000 and the Backend
// default/fqdn (an IP endpoint, then an FQDN one); anything else is a
// problem naming the field.
func fakeBackends(ns, field string, ref gwapiv1.BackendObjectReference) (*ir.Cluster, error) {
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	switch {
	case ref.Kind == nil && ns == "default" && ref.Name == "auth" && ref.Port != nil && *ref.Port == 9000:
		return &ir.Cluster{Name: "service/default/auth/9000", Endpoints: []*ir.Endpoint{{Host: "10.0.0.1", Port: 9000}},
			Traffic: &ir.ClusterTraffic{}}, nil
	case ref.Kind != nil && *ref.Kind == "Backend" && ns == "default" && ref.Name == "fqdn":
		return &ir.Cluster{Name: "backend/default/fqdn", DNS: true,
			Endpoints: []*ir.Endpoint{{Host: "10.0.0.2", Port: 1}, {Host: "authz.example.com", Port: 9001}}}, nil
	}
	return nil, fields.Invalid(field+".name", "does not exist")
}

func extAuthPolicy(e egv1a1.ExtAuth) *egv1a1.SecurityPolicy {
	return &egv1a1.SecurityPolicy{Spec: egv1a1.SecurityPolicySpec{ExtAuth: &e}}
}

func svcRef(name string, port int32) *gwapiv1.BackendObjectReference {
	return &gwapiv1.BackendObjectReference{Name: gwapiv1.ObjectName(name), Port: ptr(gwapiv1.PortNumber(port))}
}

// TestExtAuthSpec checks spec.extAuth: the cluster of its own, the
// authority, defaults, and bad input named by field.
func TestExtAuthSpec(t *testing.T) {
	t.Parallel()
	backend := gwapiv1.BackendObjectReference{Group: ptr(gwapiv1.Group("gateway.envoyproxy.io")), Kind: ptr(gwapiv1.Kind("Backend")), Name: "fqdn"}
	tests := map[string]struct {
		ext           egv1a1.ExtAuth
		wantCluster   string
		wantAuthority string
		wantError     string
	}{
		"http service": {
			ext:         egv1a1.ExtAuth{HTTP: &egv1a1.HTTPExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRef: svcRef("auth", 9000)}}},
			wantCluster: "extauth/service/default/auth/9000", wantAuthority: "auth.default:9000",
		},
		"grpc backend": {
			ext:         egv1a1.ExtAuth{GRPC: &egv1a1.GRPCExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRefs: []egv1a1.BackendRef{{BackendObjectReference: backend}}}}},
			wantCluster: "extauth/grpc/backend/default/fqdn", wantAuthority: "authz.example.com:9001",
		},
		"backendRefs win": {
			ext: egv1a1.ExtAuth{HTTP: &egv1a1.HTTPExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRef: svcRef("missing", 1),
				BackendRefs: []egv1a1.BackendRef{{BackendObjectReference: *svcRef("auth", 9000)}}}}},
			wantCluster: "extauth/service/default/auth/9000", wantAuthority: "auth.default:9000",
		},
		"neither":   {ext: egv1a1.ExtAuth{}, wantError: "field spec.extAuth: one of grpc or http must be specified"},
		"no refs":   {ext: egv1a1.ExtAuth{GRPC: &egv1a1.GRPCExtAuthService{}}, wantError: "field spec.extAuth.grpc: backendRef or backendRefs needs to be set"},
		"not found": {ext: egv1a1.ExtAuth{GRPC: &egv1a1.GRPCExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRef: svcRef("nope", 1)}}}, wantError: "field spec.extAuth.grpc.backendRef.name"},
		"two refs": {
			ext: egv1a1.ExtAuth{HTTP: &egv1a1.HTTPExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRefs: []egv1a1.BackendRef{
				{BackendObjectReference: *svcRef("auth", 9000)}, {BackendObjectReference: backend}}}}},
			wantError: "field spec.extAuth.http.backendRefs: 2 backends are not supported by sluice",
		},
		"weight 0": {
			ext: egv1a1.ExtAuth{HTTP: &egv1a1.HTTPExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRefs: []egv1a1.BackendRef{
				{BackendObjectReference: *svcRef("auth", 9000), Weight: ptr(uint32(0))}}}}},
			wantError: "field spec.extAuth.http.backendRefs[0].weight",
		},
		"route metadata": {
			ext: egv1a1.ExtAuth{IncludeRouteMetadata: ptr(true),
				HTTP: &egv1a1.HTTPExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRef: svcRef("auth", 9000)}}},
			wantError: "field spec.extAuth.includeRouteMetadata: is not supported by sluice",
		},
		"zero timeout": {
			ext: egv1a1.ExtAuth{Timeout: ptr(gwapiv1.Duration("0s")),
				HTTP: &egv1a1.HTTPExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRef: svcRef("auth", 9000)}}},
			wantError: "field spec.extAuth.timeout: must be greater than 0",
		},
		"duplicate extension": {
			ext: egv1a1.ExtAuth{ContextExtensions: []*egv1a1.ContextExtension{{Name: "a", Value: ptr("1")}, {Name: "a", Value: ptr("2")}},
				HTTP: &egv1a1.HTTPExtAuthService{BackendCluster: egv1a1.BackendCluster{BackendRef: svcRef("auth", 9000)}}},
			wantError: `field spec.extAuth.contextExtensions[1].name: "a" is listed twice`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &spFeatures{security: &ir.Security{Policy: "securitypolicy/default/p"}}
			p := extAuthPolicy(tc.ext)
			p.Namespace = "default"
			errs := extAuthSpec(f, p, SecurityInput{BackendCluster: fakeBackends})
			if tc.wantError != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.wantError) {
					t.Fatalf("errors %q, want one with %q", errs, tc.wantError)
				}
				if f.security.ExtAuth != nil {
					t.Error("an invalid extAuth was written")
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors %q", errs)
			}
			e := f.security.ExtAuth
			if e.Cluster != tc.wantCluster || e.Authority != tc.wantAuthority || e.Timeout.Std().Seconds() != 10 {
				t.Errorf("cluster %q authority %q timeout %v, want %q, %q, 10s", e.Cluster, e.Authority, e.Timeout.Std(), tc.wantCluster, tc.wantAuthority)
			}
			if len(f.clusters) != 1 || f.clusters[0].Name != e.Cluster || f.clusters[0].HTTP2 != e.GRPC || f.clusters[0].Traffic != nil {
				t.Errorf("clusters %+v: want one named %q, HTTP/2 for gRPC only, without the routes' cluster's settings", f.clusters, e.Cluster)
			}
		})
	}
}

// TestExtAuthz checks one disabled filter per policy, sorted, and the
// per-route config that enables it.
func TestExtAuthz(t *testing.T) {
	t.Parallel()
	grpc := &ir.Security{Policy: "securitypolicy/default/b", ExtAuth: &ir.ExtAuth{Cluster: "c1", Authority: "a:1", GRPC: true,
		ContextExtensions: map[string]string{"k": "v"}}}
	http := &ir.Security{Policy: "securitypolicy/default/a", ExtAuth: &ir.ExtAuth{Cluster: "c2", Authority: "auth.default:9000",
		HTTP: &ir.ExtAuthHTTPCall{PathPrefix: "/check"}}}
	vhs := []*ir.VirtualHost{{Routes: []*ir.Route{{Name: "r1", Security: grpc}, {Name: "r2", Security: http}, {Name: "r3", Security: grpc}, {Name: "r4"}}}}
	fs := ExtAuthz{}.HTTPFilters(&ir.Listener{VirtualHosts: vhs})
	if len(fs) != 2 || fs[0].Name != "envoy.filters.http.ext_authz/securitypolicy/default/a" || fs[1].Name != "envoy.filters.http.ext_authz/securitypolicy/default/b" {
		t.Fatalf("filters %v", fs)
	}
	var cfg extauthzv3.ExtAuthz
	if err := fs[0].GetTypedConfig().UnmarshalTo(&cfg); err != nil || !fs[0].Disabled {
		t.Fatalf("filter a: %v, disabled %v", err, fs[0].Disabled)
	}
	if u := cfg.GetHttpService().GetServerUri(); u.GetUri() != "http://auth.default:9000/check" || u.GetCluster() != "c2" {
		t.Errorf("server uri %v", u)
	}
	if err := fs[1].GetTypedConfig().UnmarshalTo(&cfg); err != nil || cfg.GetGrpcService().GetEnvoyGrpc().GetClusterName() != "c1" {
		t.Errorf("filter b: %v, %v", err, cfg.GetGrpcService())
	}
	var out routev3.Route
	ExtAuthz{}.Route(&out, vhs[0].Routes[0])
	var per extauthzv3.ExtAuthzPerRoute
	if err := out.TypedPerFilterConfig[fs[1].Name].UnmarshalTo(&per); err != nil || per.GetCheckSettings().GetContextExtensions()["k"] != "v" {
		t.Errorf("route config %v: %v", out.TypedPerFilterConfig, err)
	}
	var none routev3.Route
	ExtAuthz{}.Route(&none, vhs[0].Routes[3])
	if len(none.TypedPerFilterConfig) != 0 {
		t.Errorf("a route without extAuth got %v", none.TypedPerFilterConfig)
	}
}
