package translate

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// goldenSecretCase is a golden input holding Secrets, decoded and
// translated, with the translation printed as YAML and as JSON.
type goldenSecretCase struct {
	in      string
	res     *Resources
	out     *Result
	printed string // YAML and JSON together
}

// goldenWithSecrets returns the golden cases whose input contains marker.
func goldenWithSecrets(t *testing.T, marker string) []goldenSecretCase {
	t.Helper()
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	var out []goldenSecretCase
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), marker) {
			continue
		}
		res, _, err := readResources(fstest.MapFS{"in.yaml": {Data: data}}, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		tr := translateFile(t, in)
		printed, err := tr.YAML()
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, goldenSecretCase{in: in, res: res, out: tr, printed: string(printed) + string(js)})
	}
	return out
}

// TestPrivateKeysNeverPrinted translates every golden case with Secrets
// and demands that no private key, nor any line or base64 form of one,
// appears in the printed result, its JSON or a warning.
func TestPrivateKeysNeverPrinted(t *testing.T) {
	cases := goldenWithSecrets(t, "kind: Secret")
	if len(cases) == 0 {
		t.Fatal("no golden case has a Secret")
	}
	for _, c := range cases {
		var keys []string
		for _, s := range c.res.Secrets {
			for _, k := range []string{s.StringData["tls.key"], string(s.Data["tls.key"])} {
				if k == "" {
					continue
				}
				keys = append(keys, k, base64.StdEncoding.EncodeToString([]byte(k)))
				for _, line := range strings.Split(k, "\n") {
					if len(line) > 20 && !strings.HasPrefix(line, "-----") {
						keys = append(keys, line)
					}
				}
			}
		}
		for _, k := range keys {
			if strings.Contains(c.printed, k) {
				t.Errorf("%s: a private key appears in the printed result", c.in)
				break
			}
		}
	}
}

// TestSnapshotChecksSecrets: a snapshot whose listeners name a secret it
// lacks, or that carries a secret no listener names, is refused.
func TestSnapshotChecksSecrets(t *testing.T) {
	g := translateFile(t, "testdata/https-terminate.in.yaml").Gateway("default", "eg")
	if g == nil || len(g.Secrets) != 1 {
		t.Fatal("want one gateway with one secret")
	}
	missing := *g
	missing.Secrets = nil
	if _, err := missing.Snapshot("v"); err == nil || !strings.Contains(err.Error(), "referenced but missing") {
		t.Errorf("missing secret: got %v", err)
	}
	extra := *g
	extra.Secrets = append([]*tlsv3.Secret{{Name: "secret/default/unused", Type: g.Secrets[0].Type}}, g.Secrets...)
	if _, err := extra.Snapshot("v"); err == nil || !strings.Contains(err.Error(), "not referenced") {
		t.Errorf("unreferenced secret: got %v", err)
	}
}
