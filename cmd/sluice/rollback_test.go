package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// TestRollbackUnpin drives `sluice rollback SHA` and `sluice unpin`
// against a running serve of a Git repository: the Envoy moves to the old
// commit, a new commit waits as pending, the pin survives a restart, and
// unpinning serves the pending commit.
func TestRollbackUnpin(t *testing.T) {
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	port := func(p string) string { return strings.Replace(quickstart(t), "port: 3000", "port: "+p, 1) }
	repo.WriteFile("quickstart.yaml", port("3000"))
	first := repo.Commit("Backend on 3000")
	repo.WriteFile("quickstart.yaml", port("3001"))
	second := repo.Commit("Backend on 3001")
	repo.Push()
	cfg, err := config.Parse([]byte("source: {git: {url: " + git.URL() + ", interval: 1h, verify: {insecureSkipVerify: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "s3cret")
	admin := []string{"--server", sl.admin, "--token-file", cfg.Admin.TokenFile}
	ctx := context.Background()
	envoy := xdstest.Dial(ctx, t, sl.xds, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3001" && acked(s) })

	// Refused: no token, unknown commit.
	if _, _, err := run(t, "rollback", first, "--server", sl.admin); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("rollback without token: %v, want 401", err)
	}
	if _, _, err := run(t, append([]string{"rollback", "0123456789abcdef"}, admin...)...); err == nil ||
		!strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "0123456789abcdef is not in the mirror") {
		t.Errorf("rollback to an unknown commit: %v, want 404 naming it", err)
	}

	out, _, err := run(t, append([]string{"rollback", first[:10]}, admin...)...)
	if err != nil || !strings.Contains(out, "pinned main@sha1:"+first) {
		t.Fatalf("rollback: %v\n%s", err, out)
	}
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })

	// A new commit is fetched and recorded, not served.
	repo.WriteFile("quickstart.yaml", port("3002"))
	third := repo.Commit("Backend on 3002")
	repo.Push()
	if code, body := sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", code, body)
	}
	sl.waitRevisions(t, func(recs []*revisions.Record) bool {
		return len(recs) == 3 && recs[0].SHA == third && recs[0].State == revisions.StatePending &&
			recs[1].SHA == first && recs[1].State == revisions.StatePinned && recs[2].SHA == second
	})
	if got := endpointOf(envoy.Snapshot()); got != "0.0.0.0:3000" {
		t.Errorf("envoy moved to %s while pinned", got)
	}
	out, _, err = run(t, append([]string{"revisions"}, admin...)...)
	if err != nil || !strings.Contains(out, "pinned") || !strings.Contains(out, "pending") {
		t.Errorf("revisions: %v\n%s", err, out)
	}

	// Restart: the pin stays, the pinned commit is served.
	sl.stop()
	sl = startServe(t, cfg, "s3cret")
	admin[1] = sl.admin
	recs := sl.revisions(t)
	if len(recs) != 3 || recs[0].State != revisions.StatePending || recs[1].SHA != first || recs[1].State != revisions.StatePinned {
		t.Fatalf("after restart: %+v", recs)
	}
	envoy = xdstest.Dial(ctx, t, sl.xds, xdstest.Options{NodeID: "envoy-2", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })

	out, _, err = run(t, append([]string{"unpin"}, admin...)...)
	if err != nil || !strings.Contains(out, "serving main@sha1:"+third) {
		t.Fatalf("unpin: %v\n%s", err, out)
	}
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3002" && acked(s) })
	if _, _, err := run(t, append([]string{"unpin"}, admin...)...); err == nil || !strings.Contains(err.Error(), "no revision is pinned") {
		t.Errorf("second unpin: %v", err)
	}
	_, metrics := sl.do(t, http.MethodGet, "/metrics")
	if !strings.Contains(string(metrics), `sluice_served_revision_info{revision="`+third+`"} 1`) ||
		!strings.Contains(string(metrics), "sluice_pinned_since_timestamp_seconds 0") {
		t.Errorf("/metrics lacks the served third commit, or says something is pinned")
	}
}
