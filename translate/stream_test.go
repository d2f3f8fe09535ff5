package translate

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestWriteDocumentsPrintsDocuments checks that the streamed printing of
// the xDS is, as values, what Document gives, in JSON and YAML alike,
// secrets and credentials redacted: for cases with TLS keys, OIDC client
// secrets, basic_auth users and api_key_auth keys, and none.
func TestWriteDocumentsPrintsDocuments(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"https-terminate", "securitypolicy-oidc", "sp-authn-basic", "sp-authn-apikey", "two-gateways", "gatewayclass-other-controller"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := translateFile(t, "testdata/"+name+".in.yaml")
			var docs []*XDSDocument
			for _, g := range res.Gateways {
				d, err := g.Document()
				if err != nil {
					t.Fatal(err)
				}
				docs = append(docs, d)
			}
			want, err := json.Marshal(docs)
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"json", "yaml"} {
				var buf bytes.Buffer
				if err := WriteDocuments(&buf, res.Gateways, format); err != nil {
					t.Fatal(err)
				}
				got := buf.Bytes()
				if format == "yaml" {
					if got, err = yaml.YAMLToJSON(got); err != nil {
						t.Fatalf("yaml: %v\n%s", err, buf.String())
					}
				}
				var a, b any
				if err := json.Unmarshal(want, &a); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(got, &b); err != nil {
					t.Fatalf("%s: %v\n%s", format, err, buf.String())
				}
				if !reflect.DeepEqual(a, b) {
					t.Errorf("%s differs from Document:\n%s", format, buf.String())
				}
				if strings.Contains(string(want), "[redacted]") != strings.Contains(buf.String(), "[redacted]") {
					t.Errorf("%s: redaction differs from Document", format)
				}
			}
		})
	}
}
