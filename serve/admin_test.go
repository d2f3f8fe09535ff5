package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluice-gitops/sluice/serve/revisions"
)

func TestAdminHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	if code, body := h.get(t, http.MethodGet, "/healthz", ""); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, body := h.get(t, http.MethodGet, "/readyz", "")
	var rd struct {
		Ready    bool   `json:"ready"`
		Revision string `json:"revision"`
		Source   string `json:"source"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &rd); err != nil || code != http.StatusServiceUnavailable || rd.Ready {
		t.Errorf("/readyz before any revision = %d %s (%v), want 503 not ready", code, body, err)
	}

	rev := revision("first")
	h.apply(t, rev, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
	code, body = h.get(t, http.MethodGet, "/readyz", "")
	rd.Error = ""
	if err := json.Unmarshal([]byte(body), &rd); err != nil || code != http.StatusOK || !rd.Ready || rd.Revision != "main@sha1:"+rev.SHA || rd.Source != "ok" {
		t.Errorf("/readyz after a revision = %d %s (%v), want 200 with main@sha1:%s", code, body, err, rev.SHA)
	}

	h.srv.SourceError(errors.New("fetch origin: connection refused"))
	code, body = h.get(t, http.MethodGet, "/readyz", "")
	if err := json.Unmarshal([]byte(body), &rd); err != nil || code != http.StatusOK || rd.Source != "degraded" || !strings.Contains(rd.Error, "connection refused") {
		t.Errorf("/readyz with a failing source = %d %s (%v), want 200 degraded", code, body, err)
	}
	h.srv.SourceOK()
	rd.Error = ""
	if _, body = h.get(t, http.MethodGet, "/readyz", ""); json.Unmarshal([]byte(body), &rd) != nil || rd.Source != "ok" || rd.Error != "" {
		t.Errorf("/readyz after the source recovered = %s", body)
	}
}

func TestAdminRevisions(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	if code, body := h.get(t, http.MethodGet, "/api/v1/revisions", ""); code != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Errorf("revisions before any = %d %s, want 200 []", code, body)
	}
	rev1, rev2 := revision("add eg"), revision("move <backend> & co")
	h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
	h.apply(t, rev2, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001)), revisions.StateApplied)

	code, body := h.get(t, http.MethodGet, "/api/v1/revisions", "")
	var list []revisions.Record
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != http.StatusOK {
		t.Fatalf("revisions = %d %s (%v)", code, body, err)
	}
	if len(list) != 2 || list[0].SHA != rev2.SHA || list[0].State != revisions.StateApplied || list[1].State != revisions.StateSuperseded ||
		list[0].Sequence != 2 || list[0].Subject != rev2.Subject || len(list[0].Gateways) != 1 || list[0].Gateways[0].Resources["Cluster"] != 1 {
		t.Errorf("revisions = %s", body)
	}

	code, body = h.get(t, http.MethodGet, "/api/v1/revisions/"+rev1.SHA[:8], "")
	var one revisions.Record
	if err := json.Unmarshal([]byte(body), &one); err != nil || code != http.StatusOK || one.SHA != rev1.SHA || one.State != revisions.StateSuperseded {
		t.Errorf("revisions/%s = %d %s (%v)", rev1.SHA[:8], code, body, err)
	}
	code, body = h.get(t, http.MethodGet, "/api/v1/revisions/deadbeefdeadbeef", "")
	var apiErr map[string]string
	if err := json.Unmarshal([]byte(body), &apiErr); err != nil || code != http.StatusNotFound || !strings.Contains(apiErr["error"], "deadbeefdeadbeef") {
		t.Errorf("unknown revision = %d %s (%v), want 404 with a JSON error", code, body, err)
	}

	code, body = h.get(t, http.MethodGet, "/", "")
	if code != http.StatusOK || !strings.Contains(body, "<html") {
		t.Fatalf("dashboard = %d", code)
	}
	for _, want := range []string{"main@" + rev1.SHA[:12], "main@" + rev2.SHA[:12], html.EscapeString(rev2.Subject), "add eg", "superseded"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(body, "<backend>") {
		t.Error("dashboard does not escape the subject")
	}
}

func TestAdminSyncAuth(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	sync := func(context.Context) error { calls.Add(1); return nil }

	none := start(t, harnessOpts{sync: sync})
	if code, body := none.get(t, http.MethodPost, "/api/v1/sync", "anything"); code != http.StatusForbidden || !strings.Contains(body, `"error"`) {
		t.Errorf("sync without a configured token = %d %s, want 403", code, body)
	}

	h := start(t, harnessOpts{token: "s3cret", sync: sync})
	for name, tc := range map[string]struct {
		token string
		want  int
	}{
		"no token":    {"", http.StatusUnauthorized},
		"wrong token": {"s3cret-not", http.StatusUnauthorized},
		"prefix":      {"s3cre", http.StatusUnauthorized},
	} {
		if code, body := h.get(t, http.MethodPost, "/api/v1/sync", tc.token); code != tc.want || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: sync = %d %s, want %d", name, code, body, tc.want)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("Sync called %d times without a valid token", n)
	}
	if code, body := h.get(t, http.MethodPost, "/api/v1/sync", "s3cret"); code != http.StatusAccepted {
		t.Errorf("sync with the token = %d %s, want 202", code, body)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("Sync called %d times, want 1", n)
	}
	if code, _ := h.get(t, http.MethodGet, "/api/v1/sync", "s3cret"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/v1/sync = %d, want 405", code)
	}

	failing := start(t, harnessOpts{token: "t", sync: func(context.Context) error { return errors.New("remote hung up") }})
	if code, body := failing.get(t, http.MethodPost, "/api/v1/sync", "t"); code != http.StatusBadGateway || !strings.Contains(body, "remote hung up") {
		t.Errorf("failing sync = %d %s, want 502", code, body)
	}
}
