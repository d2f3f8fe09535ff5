package policies

import (
	"bytes"
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

func ptr[T any](v T) *T { return &v }

func oidcWith(edit func(o *egv1a1.OIDC)) *egv1a1.OIDC {
	o := &egv1a1.OIDC{
		Provider: egv1a1.OIDCProvider{Issuer: "https://sso.example.com",
			AuthorizationEndpoint: ptr("https://sso.example.com/authorize"), TokenEndpoint: ptr("https://sso.example.com/token")},
		ClientID: ptr("app"), ClientSecret: gwapiv1.SecretObjectReference{Name: "oidc"},
	}
	if edit != nil {
		edit(o)
	}
	return o
}

// oidcInput finds the Secrets default/oidc and other/oidc (key
// client-secret) and default/nokey; only other/oidc is granted.
func oidcInput() SecurityInput {
	secrets := map[string]*corev1.Secret{
		"default/oidc":  {StringData: map[string]string{clientSecretKey: "fake"}},
		"other/oidc":    {Data: map[string][]byte{clientSecretKey: []byte("fake-other")}},
		"default/nokey": {Data: map[string][]byte{"secret": []byte("fake")}},
	}
	return SecurityInput{
		Secret:        func(ns, name string) *corev1.Secret { return secrets[ns+"/"+name] },
		SecretGranted: func(from, ns, name string) bool { return from == "default" && ns == "other" && name == "oidc" },
	}
}

// TestOIDCSpec checks spec.oidc: defaults, and bad input named by field.
func TestOIDCSpec(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		edit      func(o *egv1a1.OIDC)
		wantError string
	}{
		"valid":           {},
		"granted":         {edit: func(o *egv1a1.OIDC) { o.ClientSecret.Namespace = ptr(gwapiv1.Namespace("other")) }},
		"no grant":        {edit: func(o *egv1a1.OIDC) { o.ClientSecret.Namespace = ptr(gwapiv1.Namespace("third")) }, wantError: "spec.oidc.clientSecret.namespace"},
		"missing secret":  {edit: func(o *egv1a1.OIDC) { o.ClientSecret.Name = "absent" }, wantError: "spec.oidc.clientSecret.name: Secret default/absent does not exist"},
		"wrong key":       {edit: func(o *egv1a1.OIDC) { o.ClientSecret.Name = "nokey" }, wantError: `data["client-secret"] is missing`},
		"not a Secret":    {edit: func(o *egv1a1.OIDC) { o.ClientSecret.Kind = ptr(gwapiv1.Kind("ConfigMap")) }, wantError: "spec.oidc.clientSecret.kind"},
		"no token url":    {edit: func(o *egv1a1.OIDC) { o.Provider.TokenEndpoint = nil }, wantError: "spec.oidc.provider.tokenEndpoint: is required"},
		"no auth url":     {edit: func(o *egv1a1.OIDC) { o.Provider.AuthorizationEndpoint = nil }, wantError: "spec.oidc.provider.authorizationEndpoint: is required"},
		"http token url":  {edit: func(o *egv1a1.OIDC) { o.Provider.TokenEndpoint = ptr("http://sso.example.com/token") }, wantError: "spec.oidc.provider.tokenEndpoint"},
		"bad port":        {edit: func(o *egv1a1.OIDC) { o.Provider.TokenEndpoint = ptr("https://sso.example.com:0/token") }, wantError: "spec.oidc.provider.tokenEndpoint"},
		"http auth url":   {edit: func(o *egv1a1.OIDC) { o.Provider.AuthorizationEndpoint = ptr("http://sso.example.com/a") }, wantError: "spec.oidc.provider.authorizationEndpoint"},
		"bad issuer":      {edit: func(o *egv1a1.OIDC) { o.Provider.Issuer = "sso" }, wantError: "spec.oidc.provider.issuer"},
		"no client id":    {edit: func(o *egv1a1.OIDC) { o.ClientID = nil }, wantError: "spec.oidc.clientID"},
		"no path":         {edit: func(o *egv1a1.OIDC) { o.RedirectURL = ptr("https://app.example.com") }, wantError: "spec.oidc.redirectURL"},
		"bad logout":      {edit: func(o *egv1a1.OIDC) { o.LogoutPath = ptr("logout") }, wantError: "spec.oidc.logoutPath"},
		"bad cookie":      {edit: func(o *egv1a1.OIDC) { o.CookieNames = &egv1a1.OIDCCookieNames{IDToken: ptr("a=b")} }, wantError: "spec.oidc.cookieNames.idToken"},
		"backendRefs":     {edit: func(o *egv1a1.OIDC) { o.Provider.BackendRefs = []egv1a1.BackendRef{{}} }, wantError: "spec.oidc.provider.backendRefs: is not supported"},
		"unsupported ttl": {edit: func(o *egv1a1.OIDC) { o.DefaultTokenTTL = ptr(gwapiv1.Duration("1h")) }, wantError: "spec.oidc.defaultTokenTTL: is not supported"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, c, secrets, errs := oidcSpec("spec.oidc", "securitypolicy/default/p", "default", oidcWith(tc.edit), oidcInput())
			if tc.wantError != "" {
				if o != nil || c != nil || secrets != nil || !strings.Contains(fields.Message(errs), tc.wantError) {
					t.Errorf("got %v, want an error naming %s", errs, tc.wantError)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if c.Name != "oauth2/sso.example.com:443" || o.TokenCluster != c.Name || !c.DNS || c.TLS == nil {
				t.Errorf("token endpoint cluster %+v", c)
			}
			if o.RedirectURL != defaultRedirectURL || o.RedirectPath != "/oauth2/callback" || o.LogoutPath != "/logout" ||
				strings.Join(o.Scopes, " ") != "openid email profile" {
				t.Errorf("defaults: %+v", o)
			}
			if len(secrets) != 2 || secrets[0].Name != o.ClientSecret || secrets[1].Name != o.HMACSecret || len(secrets[1].Generic) != 32 {
				t.Errorf("secrets %+v", secrets)
			}
		})
	}
}

// TestOIDCScopes: openid is always asked for, first unless given.
func TestOIDCScopes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "openid email profile", "email": "openid email", "email openid": "email openid"} {
		if got := strings.Join(oidcScopes(strings.Fields(in)), " "); got != want {
			t.Errorf("scopes %q: got %q, want %q", in, got, want)
		}
	}
}

// TestHMACSecretDeterministic: the HMAC secret is a function of the policy
// and its client secret only, and differs when either does.
func TestHMACSecretDeterministic(t *testing.T) {
	t.Parallel()
	a := hmacSecret("securitypolicy/default/p", []byte("s"))
	if !bytes.Equal(a, hmacSecret("securitypolicy/default/p", []byte("s"))) {
		t.Error("two translations disagree")
	}
	if bytes.Equal(a, hmacSecret("securitypolicy/default/q", []byte("s"))) || bytes.Equal(a, hmacSecret("securitypolicy/default/p", []byte("t"))) {
		t.Error("another policy or client secret gives the same HMAC secret")
	}
	if len(a) != 32 {
		t.Errorf("HMAC secret of %d bytes", len(a))
	}
}

// TestOIDCPolicyApplied: a valid policy adds the token cluster and both
// secrets to the Gateway, enables its oauth2 filter on the route, and the
// IR validates; an invalid one fails the route closed.
func TestOIDCPolicyApplied(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"oidc", "absent"} {
		route := &ir.Route{Name: "r", Backends: []ir.WeightedBackend{{Cluster: "c", Weight: 1}},
			Origin: ir.RouteOrigin{Kind: KindHTTPRoute, Namespace: "default", Name: "app", GatewayNamespace: "default", GatewayName: "eg", Listener: "http"}}
		vhs := []*ir.VirtualHost{{Name: "v", Routes: []*ir.Route{route}}}
		g := &ir.Gateway{Namespace: "default", Name: "eg", Clusters: []*ir.Cluster{{Name: "c"}},
			Listeners: []*ir.Listener{{Name: "l", VirtualHosts: vhs}}}
		in := oidcInput()
		in.Policies = []*egv1a1.SecurityPolicy{spOn("app", egv1a1.SecurityPolicySpec{OIDC: oidcWith(func(o *egv1a1.OIDC) { o.ClientSecret.Name = gwapiv1.ObjectName(secret) })})}
		in.Policies[0].CreationTimestamp = metav1.Now()
		in.Targets = Targets{Gateways: []Gateway{{Namespace: "default", Name: "eg", Listeners: []string{"http"}}},
			Routes: []Route{{Kind: KindHTTPRoute, Namespace: "default", Name: "app", Parents: []Parent{{Namespace: "default", Name: "eg", Listener: "http"}}}}}
		applySecurity(in, []*ir.Gateway{g})
		if err := g.Validate(); err != nil {
			t.Error(err)
		}
		fs := OAuth2{}.HTTPFilters(&ir.Listener{VirtualHosts: vhs})
		if secret == "absent" {
			if route.DirectStatus != failClosedStatus || len(fs) != 0 || len(g.Secrets) != 0 {
				t.Errorf("missing secret: direct %d, %d filters, %d secrets", route.DirectStatus, len(fs), len(g.Secrets))
			}
			continue
		}
		if len(g.Clusters) != 2 || len(g.Secrets) != 2 || len(fs) != 1 || !fs[0].Disabled {
			t.Fatalf("clusters %d, secrets %d, filters %+v", len(g.Clusters), len(g.Secrets), fs)
		}
		names, err := OAuth2SecretNames(fs[0])
		if err != nil || len(names) != 2 || names[0] != g.Secrets[0].Name || names[1] != g.Secrets[1].Name {
			t.Errorf("filter secrets %v (%v), gateway secrets %s, %s", names, err, g.Secrets[0].Name, g.Secrets[1].Name)
		}
	}
}
