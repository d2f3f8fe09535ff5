package policies

import (
	"slices"
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// TestCORSOriginPattern checks the CRD's origin pattern on Envoy Gateway's
// own examples and on what it refuses.
func TestCORSOriginPattern(t *testing.T) {
	t.Parallel()
	for _, o := range []string{"*", "https://foo.example.com", "https://*.example.com", "http://foo.example.com:8080",
		"http://*.example.com:8080", "https://*", "moz-extension://example.com", "foo://*.example.com:8080"} {
		if !corsOriginPattern.MatchString(o) {
			t.Errorf("%q is refused", o)
		}
	}
	for _, o := range []string{"", "example.com", "https://example.com/path", "https://a.*.example.com", "1http://example.com", "https://example.com:123456"} {
		if corsOriginPattern.MatchString(o) {
			t.Errorf("%q is accepted", o)
		}
	}
}

func corsPolicy(c *egv1a1.CORS) *egv1a1.SecurityPolicy {
	return &egv1a1.SecurityPolicy{Spec: egv1a1.SecurityPolicySpec{CORS: c}}
}

// TestCORSSpec checks spec.cors: defaults, "*" alone, maxAge, and bad
// input named by field.
func TestCORSSpec(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cors      egv1a1.CORS
		want      *ir.CORS
		wantError string
	}{
		"defaults": {
			cors: egv1a1.CORS{AllowOrigins: []egv1a1.Origin{"https://*.example.com"}},
			want: &ir.CORS{AllowOrigins: []string{"https://*.example.com"}, MaxAgeSeconds: 5},
		},
		"star stands alone": {
			cors: egv1a1.CORS{AllowMethods: []string{"GET", "*"}, AllowHeaders: []string{"*", "x-a"}, ExposeHeaders: []string{"x-b", "*"},
				MaxAge: ptr(gwapiv1.Duration("1h1m1s")), AllowCredentials: ptr(true)},
			want: &ir.CORS{AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}, ExposeHeaders: []string{"x-b", "*"},
				MaxAgeSeconds: 3661, AllowCredentials: true},
		},
		"sub-second maxAge": {
			cors: egv1a1.CORS{MaxAge: ptr(gwapiv1.Duration("500ms"))},
			want: &ir.CORS{MaxAgeSeconds: 0},
		},
		"bad origin": {cors: egv1a1.CORS{AllowOrigins: []egv1a1.Origin{"https://ok.example.com", "https://example.com/x"}},
			wantError: "field spec.cors.allowOrigins[1]:"},
		"bad maxAge": {cors: egv1a1.CORS{MaxAge: ptr(gwapiv1.Duration("1.5s"))}, wantError: "field spec.cors.maxAge:"},
		"origin regex over Envoy's limit": {
			cors:      egv1a1.CORS{AllowOrigins: []egv1a1.Origin{"https://*.a-very-long-subdomain-name-for-the-department.some-organization-unit.example-corporation.com"}},
			wantError: "field spec.cors.allowOrigins[0]: as the regex Envoy matches: \"(?i)^https://.*",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &spFeatures{security: &ir.Security{Policy: "p"}}
			errs := corsSpec(f, corsPolicy(&tc.cors), SecurityInput{})
			if tc.wantError != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.wantError) {
					t.Fatalf("errors %q, want one with %q", errs, tc.wantError)
				}
				if f.security.CORS != nil {
					t.Error("an invalid cors was written")
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("errors %q", errs)
			}
			got := f.security.CORS
			if got == nil || !slices.Equal(got.AllowOrigins, tc.want.AllowOrigins) || !slices.Equal(got.AllowMethods, tc.want.AllowMethods) ||
				!slices.Equal(got.AllowHeaders, tc.want.AllowHeaders) || !slices.Equal(got.ExposeHeaders, tc.want.ExposeHeaders) ||
				got.MaxAgeSeconds != tc.want.MaxAgeSeconds || got.AllowCredentials != tc.want.AllowCredentials {
				t.Errorf("cors %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestRouteCORS checks that a route's own CORS wins over the policy's.
func TestRouteCORS(t *testing.T) {
	t.Parallel()
	own, policy := &ir.CORS{MaxAgeSeconds: 1}, &ir.CORS{MaxAgeSeconds: 2}
	s := &ir.Security{CORS: policy}
	if got := routeCORS(own, s); got != own {
		t.Error("the policy's CORS replaced the route's own")
	}
	if got := routeCORS(nil, s); got != policy {
		t.Error("a route without CORS did not get the policy's")
	}
	if got := routeCORS(nil, &ir.Security{}); got != nil {
		t.Error("a policy without cors gave the route CORS")
	}
}
