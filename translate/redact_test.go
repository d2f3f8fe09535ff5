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
// the printed forms (golden/translate YAML, and Document, which diffs
// print) hold no trace of it, while the RouteConfiguration served to
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
	g := res.Gateway("default", "eg")
	served, err := protojson.Marshal(g.Routes[0])
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(served), key); n != 3 {
		t.Errorf("the served routes hold the key %d times, want 3 (its place, the domain, the header): %s", n, served)
	}
}

// TestRedactValues: a credential is replaced where it is a whole value,
// and inside longer strings when it is long enough to be told apart.
func TestRedactValues(t *testing.T) {
	t.Parallel()
	d := &XDSDocument{Routes: []any{map[string]any{
		"a": "s3cr3t-token-value",
		"b": []any{"Bearer s3cr3t-token-value", "short", "x"},
		"c": map[string]any{"d": "short-but-not-whole", "e": 7.0},
	}}}
	d.redactValues([]string{"s3cr3t-token-value", "short"})
	got := d.Routes[0].(map[string]any)
	if got["a"] != redacted || got["b"].([]any)[0] != "Bearer "+redacted || got["b"].([]any)[1] != redacted || got["b"].([]any)[2] != "x" {
		t.Errorf("redacted: %v", got)
	}
	if c := got["c"].(map[string]any); c["d"] != "short-but-not-whole" || c["e"] != 7.0 {
		t.Errorf("a short credential inside a string, or a number, changed: %v", c)
	}
}
