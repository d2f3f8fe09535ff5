package serve_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/serve/revisions"
)

// lostRoute is an HTTPRoute to a Service that does not exist.
const lostRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: lost}
spec:
  parentRefs: [{name: a}]
  rules: [{backendRefs: [{name: nowhere, port: 80}]}]
`

// TestDashboardPages: the revisions table marks the served revision, the
// details page shows rejected objects, the diff page renders the diff,
// and every page forbids loading anything but sluice's own files.
func TestDashboardPages(t *testing.T) {
	t.Parallel()
	src := newRepo()
	h := start(t, harnessOpts{token: "s3cret", source: src})
	r3 := revision("broken")
	r1 := src.add(revision("first <b>"), gatewayYAML("a", 8080, 3000))
	r2 := src.add(revision("second"), gatewayYAML("a", 8080, 3001), lostRoute)
	h.apply(t, r1, translateYAML(t, []string{"default/a"}, gatewayYAML("a", 8080, 3000)), revisions.StateApplied)
	// The second also holds a route to a Service that does not exist.
	h.apply(t, r2, translateYAML(t, []string{"default/a"}, gatewayYAML("a", 8080, 3001), lostRoute), revisions.StateApplied)
	h.srv.Reject(r3, "InvalidCommitSignature", "commit is not signed")

	page := func(path string, want int) (string, http.Header) {
		t.Helper()
		resp, err := h.admin.Client().Get(h.admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Fatalf("GET %s = %d, want %d:\n%s", path, resp.StatusCode, want, b)
		}
		return string(b), resp.Header
	}

	body, hdr := page("/", http.StatusOK)
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	for _, want := range []string{
		`<tr class="applied served" data-sha="` + r2.SHA + `" aria-current="true">`,
		`<tr class="superseded" data-sha="` + r1.SHA + `">`,
		`<tr class="rejected" data-sha="` + r3.SHA + `">`,
		"first &lt;b&gt;", // escaped
		`<a href="/diff?from=` + r1.SHA + `&amp;to=` + r2.SHA + `">Diff with previous</a>`,
		`data-sha="` + r1.SHA + `" aria-label="Roll back to ` + r1.SHA[:12] + `"`,
		"commit is not signed",
		`<script src="/ui/dashboard.js" defer></script>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	// No rollback to the served or to a rejected revision.
	for _, sha := range []string{r2.SHA, r3.SHA} {
		if strings.Contains(body, `class="rollback" data-sha="`+sha+`"`) {
			t.Errorf("dashboard offers to roll back to %s", sha[:12])
		}
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Error("dashboard refers to an external asset")
	}

	body, _ = page("/revisions/"+r2.SHA[:10], http.StatusOK)
	for _, want := range []string{"main@sha1:" + r2.SHA, `<td>HTTPRoute</td><td><code>default/lost</code>`, "ResolvedRefs=False", "<code>default/a</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("revision page lacks %q:\n%s", want, body)
		}
	}
	body, _ = page("/diff?from="+r1.SHA+"&to="+r2.SHA, http.StatusOK)
	for _, want := range []string{`<span class="del">-          portValue: 3000</span>`, `<span class="add">&#43;          portValue: 3001</span>`, `<option value="` + r1.SHA + `" selected>`} {
		if !strings.Contains(body, want) {
			t.Errorf("diff page lacks %q:\n%s", want, body)
		}
	}
	body, _ = page("/diff?from="+r1.SHA+"&to="+r3.SHA, http.StatusOK)
	if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, r3.SHA) {
		t.Errorf("diff with a revision that has no translation shows no error:\n%s", body)
	}
	page("/revisions/0000000000", http.StatusNotFound)
	for _, f := range []string{"/ui/dashboard.js", "/ui/dashboard.css"} {
		page(f, http.StatusOK)
	}
	page("/ui/nothing.js", http.StatusNotFound)
}
