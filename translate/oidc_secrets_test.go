package translate

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestOIDCSecretsNeverPrinted translates every golden case with an OIDC
// client secret and demands that no client secret (from the input, plain
// or base64) and no generic SDS secret value (client or HMAC secret, raw,
// base64 or hex) appears in the printed result or its JSON.
func TestOIDCSecretsNeverPrinted(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	cases, generic := 0, 0
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "client-secret:") {
			continue
		}
		cases++
		docs, _, err := readDocuments(fstest.MapFS{"in.yaml": {Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := decode(docs)
		var values [][]byte
		for _, s := range res.Secrets {
			for _, v := range s.StringData {
				values = append(values, []byte(v))
			}
			for _, v := range s.Data {
				values = append(values, v)
			}
		}
		out := translateFile(t, in)
		for _, g := range out.Gateways {
			for _, s := range g.Secrets {
				if v := s.GetGenericSecret().GetSecret().GetInlineBytes(); len(v) > 0 {
					generic++
					values = append(values, v)
				}
			}
		}
		printed, err := out.YAML()
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			for _, form := range []string{string(v), base64.StdEncoding.EncodeToString(v), hex.EncodeToString(v)} {
				if len(form) >= 8 && (strings.Contains(string(printed), form) || strings.Contains(string(js), form)) {
					t.Errorf("%s: a secret value appears in the printed result", in)
				}
			}
		}
	}
	if cases == 0 || generic == 0 {
		t.Fatalf("%d golden cases with an OIDC client secret, %d generic secrets: want some", cases, generic)
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
