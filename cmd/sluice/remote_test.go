package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// TestRemoteDownThenBack: while the remote answers 503, a sync fails, the
// applied revision keeps serving and /readyz says degraded; when the remote
// is back, the commit pushed meanwhile is applied and the source is ok.
func TestRemoteDownThenBack(t *testing.T) {
	git := gittest.NewServer(t)
	upstream, _ := url.Parse(git.URL())
	upstream.Path = ""
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("quickstart.yaml", quickstart(t))
	first := repo.Commit("Add the quickstart")
	repo.Push()
	cfg, err := config.Parse([]byte("source: {git: {url: " + front.URL + "/repo.git, interval: 1h, verify: {insecureSkipVerify: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "s3cret")
	sl.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 1 && recs[0].SHA == first })

	down.Store(true)
	repo.WriteFile("quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: 3001", 1))
	second := repo.Commit("Move the backend")
	repo.Push()
	if code, body := sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusBadGateway || !strings.Contains(string(body), "503") {
		t.Fatalf("sync while down: %d %s; want 502 naming the 503", code, body)
	}
	if code, body := sl.do(t, http.MethodGet, "/readyz"); code != http.StatusOK || !strings.Contains(string(body), `"source": "degraded"`) || !strings.Contains(string(body), first) {
		t.Errorf("readyz while down: %d %s", code, body)
	}
	_, metrics := sl.do(t, http.MethodGet, "/metrics")
	if !strings.Contains(string(metrics), `sluice_sync_total{result="error"} 1`) {
		t.Error("/metrics does not count the failed sync")
	}

	down.Store(false)
	if code, body := sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync when back: %d %s", code, body)
	}
	recs := sl.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 2 })
	if recs[0].SHA != second || recs[0].State != revisions.StateApplied {
		t.Fatalf("after the remote came back: %s %s, want %s applied", recs[0].SHA, recs[0].State, second)
	}
	if code, body := sl.do(t, http.MethodGet, "/readyz"); code != http.StatusOK || !strings.Contains(string(body), `"source": "ok"`) {
		t.Errorf("readyz when back: %d %s", code, body)
	}
}
