package translate

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	basicauthv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/basic_auth/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
)

// TestAuthnCredentialsNeverPrinted translates every golden case with
// basicAuth or apiKeyAuth and demands that no value of their Secrets (an
// htpasswd list, one of its lines or hashes, an API key; plain, base64 or
// hex) appears in the printed result or its JSON.
func TestAuthnCredentialsNeverPrinted(t *testing.T) {
	cases := append(goldenWithSecrets(t, "basicAuth:"), goldenWithSecrets(t, "apiKeyAuth:")...)
	if len(cases) < 2 {
		t.Fatalf("%d golden cases with basicAuth or apiKeyAuth: want some", len(cases))
	}
	for _, c := range cases {
		var values []string
		add := func(v string) {
			values = append(values, v)
			for _, line := range strings.Split(v, "\n") {
				line = strings.TrimSpace(line)
				values = append(values, line)
				if _, hash, ok := strings.Cut(line, ":"); ok {
					values = append(values, hash)
				}
			}
		}
		for _, s := range c.res.Secrets {
			for _, v := range s.StringData {
				add(v)
			}
			for _, v := range s.Data {
				add(string(v))
			}
		}
		for _, v := range values {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), hex.EncodeToString([]byte(v))} {
				if len(form) >= 12 && strings.Contains(c.printed, form) {
					t.Errorf("%s: a credential appears in the printed result: %q", c.in, form)
				}
			}
		}
	}
}

// TestAuthnCredentialsServed: what is printed redacted is served whole: the
// basic_auth filter of the listener holds the normalized htpasswd list, the
// api_key_auth config of the route the keys.
func TestAuthnCredentialsServed(t *testing.T) {
	g := translateFile(t, "testdata/sp-authn-basic.in.yaml").Gateway("default", "eg")
	if g == nil || len(g.Listeners) != 1 {
		t.Fatal("want one gateway with one listener")
	}
	if _, err := g.Snapshot("v"); err != nil {
		t.Fatal(err)
	}
	var hcm hcmv3.HttpConnectionManager
	if err := g.Listeners[0].GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, f := range hcm.GetHttpFilters() {
		var ba basicauthv3.BasicAuth
		if f.GetTypedConfig().UnmarshalTo(&ba) == nil {
			users = append(users, string(ba.GetUsers().GetInlineBytes()))
		}
	}
	want := []string{
		"alice:{SHA}5DuqC45RvfmvDSUqgalkYO1Ix+0=\nbob:{SHA}LHKJGUJRGAZvBdz7dg+ErKJ2xdg=",
		"carol:{SHA}S3i7baMDOtxeaJxqSkyB5nPYvqw=",
	}
	if strings.Join(users, "|") != strings.Join(want, "|") {
		t.Errorf("served users %q, want %q", users, want)
	}

	g = translateFile(t, "testdata/sp-authn-apikey.in.yaml").Gateway("default", "eg")
	if g == nil || len(g.Routes) != 1 {
		t.Fatal("want one gateway with one route configuration")
	}
	served, err := protojson.Marshal(g.Routes[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"fake-api-key-of-client-a", "fake-api-key-of-client-b", "fake-api-key-of-client-c"} {
		if !strings.Contains(string(served), key) {
			t.Errorf("the served routes lack the key %q", key)
		}
	}
	if strings.Contains(string(served), "fake-api-key-shadowed-for-client-a") {
		t.Error("client-a's key of the second Secret is served")
	}
}
