package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// TestHungRemoteFailsSyncAndDegradesReadyz: a local remote whose
// upload-pack hangs fails POST /api/v1/sync with 502 within the sync
// timeout, and /readyz stays ready (the last revision serves) but says the
// source is degraded, with the error.
func TestHungRemoteFailsSyncAndDegradesReadyz(t *testing.T) {
	repo := gittest.NewRepo(t, "")
	repo.WriteFile("quickstart.yaml", quickstart(t))
	repo.Commit("Add the quickstart")
	cfg, err := config.Parse([]byte("source: {git: {url: " + repo.Dir + ", interval: 1h, timeout: 1s, verify: {insecureSkipVerify: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	r := startServe(t, cfg, "token")
	r.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 1 && recs[0].State == revisions.StateApplied })

	gittest.HangUploadPack(t)
	repo.WriteFile("quickstart.yaml", strings.ReplaceAll(quickstart(t), "3000", "3001"))
	repo.Commit("Move the backend")

	done := make(chan struct{})
	go func() {
		defer close(done)
		code, body := r.do(t, http.MethodPost, "/api/v1/sync")
		if code != http.StatusBadGateway || !strings.Contains(string(body), "deadline exceeded") {
			t.Errorf("POST /api/v1/sync with a hung remote = %d %s, want 502 naming the deadline", code, body)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("POST /api/v1/sync still waits a minute after the 1s sync timeout")
	}
	code, body := r.do(t, http.MethodGet, "/readyz")
	var rd struct {
		Ready         bool
		Source, Error string
	}
	json.Unmarshal(body, &rd)
	if code != http.StatusOK || !rd.Ready || rd.Source != "degraded" || !strings.Contains(rd.Error, "deadline exceeded") {
		t.Errorf("/readyz after a hung sync = %d %s, want 200, ready, source degraded with the error", code, body)
	}
}
