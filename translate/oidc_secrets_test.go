package translate

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// TestOIDCSecretsNeverPrinted translates every golden case with an OIDC
// client secret and demands that no client secret (from the input, plain
// or base64) and no generic SDS secret value (client or HMAC secret, raw,
// base64 or hex) appears in the printed result or its JSON.
func TestOIDCSecretsNeverPrinted(t *testing.T) {
	cases := goldenWithSecrets(t, "client-secret:")
	generic := 0
	for _, c := range cases {
		var values [][]byte
		for _, s := range c.res.Secrets {
			for _, v := range s.StringData {
				values = append(values, []byte(v))
			}
			for _, v := range s.Data {
				values = append(values, v)
			}
		}
		for _, g := range c.out.Gateways {
			for _, s := range g.Secrets {
				if v := s.GetGenericSecret().GetSecret().GetInlineBytes(); len(v) > 0 {
					generic++
					values = append(values, v)
				}
			}
		}
		for _, v := range values {
			for _, form := range []string{string(v), base64.StdEncoding.EncodeToString(v), hex.EncodeToString(v)} {
				if len(form) >= 8 && strings.Contains(c.printed, form) {
					t.Errorf("%s: a secret value appears in the printed result", c.in)
				}
			}
		}
	}
	if len(cases) == 0 || generic == 0 {
		t.Fatalf("%d golden cases with an OIDC client secret, %d generic secrets: want some", len(cases), generic)
	}
}

// TestSnapshotChecksOIDCSecrets: the oauth2 filter's client and HMAC
// secrets count as references: without one, or with an extra, the
// snapshot is refused.
func TestSnapshotChecksOIDCSecrets(t *testing.T) {
	g := translateFile(t, "testdata/securitypolicy-oidc.in.yaml").Gateway("default", "eg")
	if g == nil || len(g.Secrets) != 2 {
		t.Fatal("want one gateway with two secrets")
	}
	if _, err := g.Snapshot("v"); err != nil {
		t.Fatal(err)
	}
	missing := *g
	missing.Secrets = g.Secrets[:1]
	if _, err := missing.Snapshot("v"); err == nil || !strings.Contains(err.Error(), "referenced but missing") {
		t.Errorf("missing secret: got %v", err)
	}
	withoutListeners := *g
	withoutListeners.Listeners, withoutListeners.Routes = nil, nil
	if _, err := withoutListeners.Snapshot("v"); err == nil || !strings.Contains(err.Error(), "not referenced") {
		t.Errorf("unreferenced secrets: got %v", err)
	}
}
