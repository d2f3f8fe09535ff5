package serve_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/translate"
)

// TestDiff: per gateway and resource, added, removed and changed, with a
// unified diff of the resource's YAML.
func TestDiff(t *testing.T) {
	t.Parallel()
	from := translateYAML(t, []string{"default/a", "default/gone"}, gatewayYAML("a", 8080, 3000), gatewayYAML("gone", 8082, 3000))
	to := translateYAML(t, []string{"default/a", "default/b"}, gatewayYAML("a", 8080, 3001), gatewayYAML("b", 8081, 3000))

	got, err := revisions.Diff(from, to)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, g := range got {
		keys = append(keys, g.Gateway+"="+string(g.Change))
	}
	if want := "default/a=changed default/b=added default/gone=removed"; strings.Join(keys, " ") != want {
		t.Fatalf("gateways %v, want %s", keys, want)
	}

	// Only the endpoints of a changed: the backend moved to 3001.
	a := got[0].Resources
	if len(a) != 1 || a[0].Type != "endpoints" || a[0].Change != revisions.ChangeChanged {
		t.Fatalf("resources of default/a: %+v", a)
	}
	label := "default/a/endpoints/" + a[0].Name
	for _, want := range []string{"--- a/" + label + "\n", "+++ b/" + label + "\n", "\n@@ ", "-          portValue: 3000\n", "+          portValue: 3001\n"} {
		if !strings.Contains(a[0].Diff, want) {
			t.Errorf("diff of %s lacks %q:\n%s", label, want, a[0].Diff)
		}
	}

	// b is new: each of its resources is added from /dev/null; gone's are
	// removed to /dev/null. Types come in Envoy's order, names sorted.
	var types []string
	for _, r := range got[1].Resources {
		types = append(types, r.Type)
		if r.Change != revisions.ChangeAdded || !strings.HasPrefix(r.Diff, "--- /dev/null\n+++ b/default/b/"+r.Type+"/"+r.Name+"\n") {
			t.Errorf("added %s %s: %s\n%s", r.Type, r.Name, r.Change, r.Diff)
		}
		if strings.Contains(r.Diff, "\n-") {
			t.Errorf("added %s %s removes lines:\n%s", r.Type, r.Name, r.Diff)
		}
	}
	if strings.Join(types, ",") != "clusters,endpoints,listeners,routes" {
		t.Errorf("resource types of default/b: %v", types)
	}
	for _, r := range got[2].Resources {
		if r.Change != revisions.ChangeRemoved || !strings.Contains(r.Diff, "+++ /dev/null\n") {
			t.Errorf("removed %s %s: %s\n%s", r.Type, r.Name, r.Change, r.Diff)
		}
	}

	// The same translation, or none against none, differs in nothing.
	for name, pair := range map[string][2]*translate.Result{"same": {from, from}, "nil": {nil, nil}} {
		if d, err := revisions.Diff(pair[0], pair[1]); err != nil || len(d) != 0 {
			t.Errorf("%s: Diff = %+v, %v; want nothing", name, d, err)
		}
	}
}

// TestDiffAPI: GET /api/v1/diff reads two revisions back (full SHA or
// prefix), needs no token, and names what it cannot read.
func TestDiffAPI(t *testing.T) {
	t.Parallel()
	src := newRepo()
	h := start(t, harnessOpts{token: "s3cret", source: src})
	r1 := src.add(revision("first"), gatewayYAML("a", 8080, 3000))
	r2 := src.add(revision("second"), gatewayYAML("a", 8080, 3001))
	h.apply(t, r1, translateYAML(t, []string{"default/a"}, gatewayYAML("a", 8080, 3000)), revisions.StateApplied)
	h.apply(t, r2, translateYAML(t, []string{"default/a"}, gatewayYAML("a", 8080, 3001)), revisions.StateApplied)

	code, body := h.get(t, http.MethodGet, "/api/v1/diff?from="+r1.SHA[:9]+"&to="+r2.SHA, "")
	if code != http.StatusOK {
		t.Fatalf("diff: %d %s", code, body)
	}
	var d revisions.RevisionDiff
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d.FromSHA != r1.SHA || d.ToSHA != r2.SHA || d.From != r1.String() || len(d.Gateways) != 1 || len(d.Gateways[0].Resources) != 1 {
		t.Fatalf("diff: %s", body)
	}
	if !strings.Contains(d.Gateways[0].Resources[0].Diff, "+          portValue: 3001") {
		t.Errorf("diff lacks the new port:\n%s", d.Gateways[0].Resources[0].Diff)
	}

	for path, want := range map[string]int{
		"/api/v1/diff?from=" + r1.SHA:                              http.StatusBadRequest,
		"/api/v1/diff?from=" + r1.SHA + "&to=0123456789abcdef0123": http.StatusNotFound,
	} {
		code, body := h.get(t, http.MethodGet, path, "")
		if code != want || !strings.Contains(body, `"error"`) {
			t.Errorf("GET %s = %d %s; want %d with an error", path, code, body, want)
		}
	}
	// A server without a reconciler cannot read revisions back.
	bare := start(t, harnessOpts{})
	if code, body := bare.get(t, http.MethodGet, "/api/v1/diff?from="+r1.SHA+"&to="+r2.SHA, ""); code != http.StatusNotImplemented {
		t.Errorf("diff without a source = %d %s, want 501", code, body)
	}
}

// TestDiffRedactsPrivateKeys: a Secret's private key never reaches a diff.
func TestDiffRedactsPrivateKeys(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile("../translate/testdata/https-terminate.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`tls\.key:\s*"?([A-Za-z0-9+/=]{40,})`).FindSubmatch(in)
	if m == nil {
		t.Fatal("https-terminate.in.yaml holds no tls.key")
	}
	key := string(m[1])
	res, err := translate.Translate(fstest.MapFS{"in.yaml": {Data: in}}, translate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := revisions.Diff(nil, res)
	if err != nil {
		t.Fatal(err)
	}
	secrets := 0
	for _, g := range got {
		for _, r := range g.Resources {
			if r.Type == "secrets" {
				secrets++
				if !strings.Contains(r.Diff, "[redacted]") {
					t.Errorf("secret %s: no redacted key:\n%s", r.Name, r.Diff)
				}
			}
			if strings.Contains(r.Diff, "PRIVATE KEY") || strings.Contains(r.Diff, key[:40]) {
				t.Errorf("%s %s shows key material:\n%s", r.Type, r.Name, r.Diff)
			}
		}
	}
	if secrets == 0 {
		t.Fatal("https-terminate translated to no Secret")
	}
}
