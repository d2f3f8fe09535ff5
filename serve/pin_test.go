package serve_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// history is a source of commits by SHA, each a quickstart gateway whose
// backend listens on a port, to be read again. Unverified commits are
// refused as GitSource.VerifiedRevision refuses them; it has no branch to
// sync.
type history struct {
	ports      map[string]int
	unverified map[string]bool
}

var _ gitsync.Source = history{}

func (h history) Sync(context.Context) (gitsync.Revision, bool, error) {
	return gitsync.Revision{}, false, errors.New("history has no branch")
}
func (h history) Revision(sha string) (gitsync.Revision, error) {
	return history{ports: h.ports}.VerifiedRevision(sha)
}
func (h history) TakeRejections() []gitsync.Rejection { return nil }
func (h history) SetApplied(string)                   {}
func (h history) Close() error                        { return nil }

func (h history) VerifiedRevision(sha string) (gitsync.Revision, error) {
	for full, port := range h.ports {
		if !strings.HasPrefix(full, sha) {
			continue
		}
		if h.unverified[full] {
			return gitsync.Revision{}, fmt.Errorf("%w: commit %s is not signed", gitsync.ErrUnverifiedRevision, full[:12])
		}
		rev := revision(fmt.Sprintf("backend on %d", port))
		rev.FS = fstest.MapFS{
			"class.yaml": {Data: []byte(gatewayClassYAML)},
			"eg.yaml":    {Data: []byte(gatewayYAML("eg", 8080, port))},
		}
		return rev, nil
	}
	return gitsync.Revision{}, fmt.Errorf("sync: commit %s is not in the mirror of test: %w", sha, gitsync.ErrUnknownRevision)
}

// commit is a revision of history: the quickstart with its backend on port.
func commit(t *testing.T, port int) (gitsync.Revision, *translate.Result) {
	t.Helper()
	return revision(fmt.Sprintf("backend on %d", port)), translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8080, port))
}

func (h *harness) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, h.admin.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.admin.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// states lists the revisions, newest first, as "port:state".
func states(srv *revisions.History) string {
	var out []string
	for _, r := range srv.Revisions() {
		out = append(out, strings.TrimPrefix(r.Subject, "backend on ")+":"+string(r.State))
	}
	return strings.Join(out, " ")
}

// TestRollbackPinUnpin rolls back to an old commit over the admin API:
// refused without the token, for unknown and unverified commits; the
// Envoy moves to the old resources; a new revision while pinned is pending
// and not served; unpinning serves it.
func TestRollbackPinUnpin(t *testing.T) {
	t.Parallel()
	old, _ := commit(t, 3009)
	src := history{ports: map[string]int{}, unverified: map[string]bool{old.SHA: true}}
	for _, p := range []int{3000, 3001, 3002, 3009} {
		rev, _ := commit(t, p)
		src.ports[rev.SHA] = p
	}
	h := start(t, harnessOpts{token: "tok", source: src, dataDir: t.TempDir()})
	rev1, res1 := commit(t, 3000)
	rev2, res2 := commit(t, 3001)
	h.apply(t, rev1, res1, revisions.StateApplied)
	h.apply(t, rev2, res2, revisions.StateApplied)
	envoy := h.dial(t, xdstest.Options{NodeID: "e", Cluster: "default/eg"})
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3001 })

	body := `{"revision": "` + rev1.SHA + `"}`
	for name, tc := range map[string]struct {
		token, body string
		code        int
		msg         string
	}{
		"no token":   {"", body, http.StatusUnauthorized, "bearer token"},
		"bad token":  {"nope", body, http.StatusUnauthorized, "bearer token"},
		"unknown":    {"tok", `{"revision": "0123456789abcdef"}`, http.StatusNotFound, "0123456789abcdef is not in the mirror"},
		"unverified": {"tok", `{"revision": "` + old.SHA + `"}`, http.StatusConflict, "is not signed"},
		"not a ref":  {"tok", `{"revision": "main; rm"}`, http.StatusBadRequest, "want a history number"},
		"no number":  {"tok", `{"revision": "#42"}`, http.StatusNotFound, "#42 is not in the history"},
	} {
		if code, out := h.do(t, http.MethodPost, "/api/v1/rollback", tc.token, tc.body); code != tc.code || !strings.Contains(out, tc.msg) {
			t.Errorf("%s: POST /api/v1/rollback = %d %s, want %d with %q", name, code, out, tc.code, tc.msg)
		}
	}
	if h.srv.Pinned() != "" || h.srv.AppliedSHA() != rev2.SHA {
		t.Fatalf("refused rollbacks changed what is served: pinned %q applied %s", h.srv.Pinned(), h.srv.AppliedSHA())
	}

	code, out := h.do(t, http.MethodPost, "/api/v1/rollback", "tok", `{"revision": "`+rev1.SHA[:10]+`"}`)
	if code != http.StatusOK || !strings.Contains(out, `"state": "pinned"`) {
		t.Fatalf("rollback = %d %s", code, out)
	}
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3000 })
	if got := states(h.srv); got != "3000:pinned 3001:superseded 3000:superseded" {
		t.Errorf("after rollback: %s", got)
	}

	// A new commit while pinned is translated and recorded, not served.
	rev3, res3 := commit(t, 3002)
	h.apply(t, rev3, res3, revisions.StatePending)
	if h.srv.AppliedSHA() != rev1.SHA || h.srv.Pinned() != rev1.SHA {
		t.Errorf("pending revision was served: applied %s", h.srv.AppliedSHA())
	}
	time.Sleep(50 * time.Millisecond)
	if p := endpointPort(envoy.Snapshot()); p != 3000 {
		t.Errorf("envoy moved to port %d while pinned", p)
	}

	if code, _ := h.do(t, http.MethodDelete, "/api/v1/pin", "", ""); code != http.StatusUnauthorized {
		t.Errorf("DELETE /api/v1/pin without token = %d", code)
	}
	if code, out := h.do(t, http.MethodDelete, "/api/v1/pin", "tok", ""); code != http.StatusOK || !strings.Contains(out, rev3.SHA) {
		t.Fatalf("unpin = %d %s", code, out)
	}
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3002 })
	if got := states(h.srv); got != "3002:applied 3000:superseded 3001:superseded 3000:superseded" {
		t.Errorf("after unpin: %s", got)
	}
	if code, out := h.do(t, http.MethodDelete, "/api/v1/pin", "tok", ""); code != http.StatusConflict {
		t.Errorf("second unpin = %d %s, want 409", code, out)
	}
	if err := metricIs(h.metrics(t), `sluice_revision_rollbacks_total{gateway="default/eg",reason="manual"}`, "1"); err != nil {
		t.Error(err)
	}
}

// TestPinSurvivesRestart: a new Server on the same data directory keeps the
// history and the pin, serves the pinned revision (restored from the
// source), and records new revisions as pending until unpinned.
func TestPinSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := history{ports: map[string]int{}}
	for _, p := range []int{3000, 3001, 3002, 3003} {
		rev, _ := commit(t, p)
		src.ports[rev.SHA] = p
	}
	rev1, res1 := commit(t, 3000)
	rev2, res2 := commit(t, 3001)
	rev3, res3 := commit(t, 3002)
	first, err := revisions.New(revisions.Options{Logger: slog.New(slog.DiscardHandler), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	first.Apply(rev1, res1, nil, time.Millisecond)
	first.Apply(rev2, res2, nil, time.Millisecond)
	if _, err := first.Rollback(rev1, res1); err != nil {
		t.Fatal(err)
	}
	if rec := first.Apply(rev3, res3, nil, time.Millisecond); rec.State != revisions.StatePending {
		t.Fatalf("rev3 = %s", rec.State)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	h := start(t, harnessOpts{dataDir: dir, source: src})
	want := "3002:pending 3000:pinned 3001:superseded 3000:superseded"
	if got := states(h.srv); got != want {
		t.Errorf("history after restart: %s, want %s", got, want)
	}
	served, head := h.srv.Restored()
	if served != rev1.SHA || head != rev3.SHA || h.srv.Pinned() != rev1.SHA {
		t.Fatalf("Restored() = %s, %s; pinned %q; want %s pinned, head %s", served, head, h.srv.Pinned(), rev1.SHA, rev3.SHA)
	}
	if !h.rec.Restore() {
		t.Fatal("Restore served nothing")
	}
	if rec := h.srv.Revision(rev1.SHA); rec.State != revisions.StatePinned || rec.Sequence != 3 {
		t.Fatalf("restored %+v; want record #3 pinned", rec)
	}
	envoy := h.dial(t, xdstest.Options{NodeID: "e", Cluster: "default/eg"})
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3000 })
	if got := states(h.srv); got != want {
		t.Errorf("history after restore: %s, want %s (no new record)", got, want)
	}

	rev4, res4 := commit(t, 3003)
	h.apply(t, rev4, res4, revisions.StatePending)
	rec, err := h.rec.Unpin()
	if err != nil || rec.SHA != rev4.SHA || rec.State != revisions.StateApplied {
		t.Fatalf("Unpin = %+v, %v", rec, err)
	}
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3003 })
	if got := states(h.srv); got != "3003:applied 3002:superseded 3000:superseded 3001:superseded 3000:superseded" {
		t.Errorf("after unpin: %s", got)
	}
}

// TestHistoryPruned: the store keeps the newest KeepRevisions records,
// across a restart, and numbering goes on.
func TestHistoryPruned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := revisions.New(revisions.Options{Logger: slog.New(slog.DiscardHandler), DataDir: dir, KeepRevisions: 3})
	if err != nil {
		t.Fatal(err)
	}
	for p := 3000; p < 3005; p++ {
		rev, res := commit(t, p)
		srv.Apply(rev, res, nil, time.Millisecond)
	}
	if got := states(srv); got != "3004:applied 3003:superseded 3002:superseded" {
		t.Errorf("kept: %s", got)
	}
	srv.Close()
	srv, err = revisions.New(revisions.Options{Logger: slog.New(slog.DiscardHandler), DataDir: dir, KeepRevisions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if got := states(srv); got != "3004:applied 3003:superseded 3002:superseded" {
		t.Errorf("kept after restart: %s", got)
	}
	rev, res := commit(t, 3005)
	if rec := srv.Apply(rev, res, nil, time.Millisecond); rec.Sequence != 6 {
		t.Errorf("sequence after restart = %d, want 6", rec.Sequence)
	}
	if got := states(srv); got != "3005:applied 3004:superseded 3003:superseded" {
		t.Errorf("kept: %s", got)
	}
}
