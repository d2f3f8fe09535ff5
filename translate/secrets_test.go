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

// TestPrivateKeysNeverPrinted translates every golden case with Secrets
// and demands that no private key, nor any line or base64 form of one,
// appears in the printed result, its JSON or a warning.
func TestPrivateKeysNeverPrinted(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	cases := 0
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "kind: Secret") {
			continue
		}
		cases++
		docs, _, err := readDocuments(fstest.MapFS{"in.yaml": {Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := decode(docs)
		var keys []string
		for _, s := range res.Secrets {
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
		out := translateFile(t, in)
		printed, err := out.YAML()
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if strings.Contains(string(printed), k) || strings.Contains(string(js), k) {
				t.Errorf("%s: a private key appears in the printed result", in)
				break
			}
		}
	}
	if cases == 0 {
		t.Fatal("no golden case has a Secret")
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
