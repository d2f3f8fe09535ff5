package translate

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"google.golang.org/protobuf/encoding/protojson"
)

// TestPatchedCredentialsRedacted: the EnvoyPatchPolicy of the golden case
// envoypatch-credentials copies an API key into a domain and a header;
// the printed forms (the golden YAML and Document, which diffs print,
// and sluice translate's streamed JSON and YAML) hold no trace of it, while the RouteConfiguration served to
// Envoy has the key where the patches put it.
func TestPatchedCredentialsRedacted(t *testing.T) {
	t.Parallel()
	const key = "fake-api-key-of-client-a"
	data, err := os.ReadFile("testdata/envoypatch-credentials.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Translate(fstest.MapFS{"in.yaml": {Data: data}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), key) {
		t.Errorf("the printed output holds the API key:\n%s", out)
	}
	for _, format := range []string{"json", "yaml"} { // sluice translate
		var b strings.Builder
		if err := WriteDocuments(&b, res.Gateways, format); err != nil || strings.Contains(b.String(), key) || !strings.Contains(b.String(), "[redacted]") {
			t.Errorf("sluice translate -o %s (%v) holds the API key or redacts nothing:\n%s", format, err, b.String())
		}
	}
	g := res.Gateway("default", "eg")
	served, err := protojson.Marshal(g.Routes[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(served), key); n != 3 {
		t.Errorf("the served routes hold the key %d times, want 3 (its place, the domain, the header): %s", n, served)
	}
}
