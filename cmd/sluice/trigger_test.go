package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// hook posts a GitHub push event for ref, signed with secret, to
// /hooks/git and returns the status.
func (r *running) hook(t *testing.T, secret, ref string) int {
	t.Helper()
	body := []byte(`{"ref":"` + ref + `","repository":{"full_name":"platform/routing"}}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, r.admin+"/hooks/git", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// metrics returns the samples of /metrics by series ("name{labels}").
func (r *running) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	code, body := r.do(t, http.MethodGet, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// syncs is the number of syncs run so far, whatever their result.
func syncs(m map[string]float64) float64 {
	return m[`sluice_sync_total{result="changed"}`] + m[`sluice_sync_total{result="unchanged"}`] + m[`sluice_sync_total{result="error"}`]
}

// TestWebhookSync: a push and a signed GitHub webhook bring the new commit
// to an Envoy without waiting for the interval; a burst of 50 webhooks
// costs at most 2 syncs and 2 fetches; sluice_sync_total counts it all.
func TestWebhookSync(t *testing.T) {
	git, repo, sl := startWebhookServe(t)
	envoy := xdstest.Dial(context.Background(), t, sl.xds, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" })

	// A wrong signature is refused and a push to another branch ignored.
	if code := sl.hook(t, "not the secret", "refs/heads/main"); code != http.StatusUnauthorized {
		t.Errorf("webhook with a wrong signature: %d; want 401", code)
	}
	if code := sl.hook(t, webhookSecret, "refs/heads/feature"); code != http.StatusOK {
		t.Errorf("webhook for another branch: %d; want 200 (ignored)", code)
	}

	// One push, one webhook.
	pushPort(t, repo, "3001")
	if code := sl.hook(t, webhookSecret, "refs/heads/main"); code != http.StatusAccepted {
		t.Fatalf("webhook: %d; want 202", code)
	}
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3001" && acked(s) })

	// One push, 50 webhooks at once.
	pushPort(t, repo, "3002")
	if code, body := sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", code, body) // settles the syncs of the first webhook
	}
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3002" && acked(s) })
	pushPort(t, repo, "3003")
	after := checkWebhookBurst(t, git, sl, envoy)
	checkSyncMetrics(t, after)
}

// webhookSecret is the secret of TestWebhookSync's webhook.
const webhookSecret = "hook-s3cret"

// startWebhookServe commits the quickstart and serves it with a webhook
// signed with webhookSecret and an interval of an hour.
func startWebhookServe(t *testing.T) (*gittest.Server, *gittest.Repo, *running) {
	t.Helper()
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("quickstart.yaml", quickstart(t))
	repo.Commit("Add the quickstart")
	repo.Push()
	secretFile := filepath.Join(t.TempDir(), "webhook-secret")
	if err := os.WriteFile(secretFile, []byte(webhookSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`
source:
  git:
    url: ` + git.URL() + `
    interval: 1h
    webhook: {secretFile: ` + secretFile + `}
    verify: {insecureSkipVerify: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	return git, repo, startServe(t, cfg, "admin-token")
}

// pushPort commits and pushes quickstart.yaml with the backend moved to
// port.
func pushPort(t *testing.T, repo *gittest.Repo, port string) {
	t.Helper()
	repo.WriteFile("quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: "+port, 1))
	repo.Commit("Move the backend to port " + port)
	repo.Push()
}

// checkWebhookBurst posts 50 webhooks at once for the pushed head at port
// 3003 and checks the Envoy gets it and, with an operator's sync after,
// it cost at most 3 syncs and 1 or 2 fetches. It returns the metrics
// after.
func checkWebhookBurst(t *testing.T, git *gittest.Server, sl *running, envoy *xdstest.Client) map[string]float64 {
	t.Helper()
	before, fetches := sl.metrics(t), git.Fetches()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if code := sl.hook(t, webhookSecret, "refs/heads/main"); code != http.StatusAccepted {
				t.Errorf("webhook in the burst: %d; want 202", code)
			}
		})
	}
	wg.Wait()
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3003" && acked(s) })
	// An operator's sync returns after a run that started after it, so
	// every run the burst caused has finished; it may be one of them.
	if code, body := sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", code, body)
	}
	after := sl.metrics(t)
	runs, fetched := syncs(after)-syncs(before), git.Fetches()-fetches
	t.Logf("50 webhooks + 1 operator sync: %v syncs, %d fetches", runs, fetched)
	if runs > 3 || fetched > 2 || fetched < 1 {
		t.Errorf("50 webhooks + 1 operator sync ran %v syncs and %d fetches; want ≤ 3 syncs (≤ 2 for the burst) and 1 or 2 fetches", runs, fetched)
	}
	return after
}

// checkSyncMetrics checks every new head was one "changed" sync: the
// first sync and three pushes. Nothing failed.
func checkSyncMetrics(t *testing.T, after map[string]float64) {
	t.Helper()
	for series, want := range map[string]float64{
		`sluice_sync_total{result="changed"}`: 4,
		`sluice_sync_total{result="error"}`:   0,
	} {
		if got, ok := after[series]; !ok || got != want {
			t.Errorf("%s = %v (exported: %v); want %v", series, got, ok, want)
		}
	}
	if after[`sluice_sync_total{result="unchanged"}`] < 1 || after["sluice_sync_duration_seconds_count"] != syncs(after) ||
		after["sluice_source_last_success_timestamp_seconds"] < 1e9 {
		t.Errorf("sync metrics: unchanged %v, duration count %v of %v syncs, last success %v",
			after[`sluice_sync_total{result="unchanged"}`], after["sluice_sync_duration_seconds_count"], syncs(after),
			after["sluice_source_last_success_timestamp_seconds"])
	}
}

// TestCronSchedule: with a cron schedule and no webhook, a push reaches
// the Envoy at the next scheduled sync; the webhook is off.
func TestCronSchedule(t *testing.T) {
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("quickstart.yaml", quickstart(t))
	repo.Commit("Add the quickstart")
	repo.Push()
	cfg, err := config.Parse([]byte("source: {git: {url: " + git.URL() + ", schedule: '@every 1s', verify: {insecureSkipVerify: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "")
	envoy := xdstest.Dial(context.Background(), t, sl.xds, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" })

	repo.WriteFile("quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: 3001", 1))
	repo.Commit("Move the backend to port 3001")
	repo.Push()
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3001" })

	if code := sl.hook(t, "", "refs/heads/main"); code != http.StatusForbidden {
		t.Errorf("webhook without a configured secret: %d; want 403", code)
	}
}

// TestForcePushIsRecorded: a force-pushed head is recorded as a rejected
// revision with reason NonFastForward, counted in
// sluice_sync_force_push_refusals_total, and the Envoy keeps its snapshot.
func TestForcePushIsRecorded(t *testing.T) {
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("quickstart.yaml", quickstart(t))
	first := repo.Commit("Add the quickstart")
	repo.Push()
	cfg, err := config.Parse([]byte("source: {git: {url: " + git.URL() + ", interval: 1h, verify: {insecureSkipVerify: true}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "admin-token")
	envoy := xdstest.Dial(context.Background(), t, sl.xds, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	envoy.WaitFor(waitTimeout, func(s xdstest.State) bool { return endpointOf(s) == "0.0.0.0:3000" && acked(s) })

	// Rewrite the only commit: the new head does not descend from it.
	repo.WriteFile("quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: 3001", 1))
	repo.Git("add", "--all")
	repo.Git("commit", "--quiet", "--amend", "-m", "Rewrite history")
	forced := repo.Head()
	repo.Push()
	if code, body := sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", code, body)
	}
	recs := sl.revisions(t)
	if len(recs) != 2 || recs[0].SHA != forced || recs[0].State != revisions.StateRejected || !strings.HasPrefix(recs[0].Reason, "NonFastForward") ||
		recs[1].SHA != first || recs[1].State != revisions.StateApplied {
		t.Fatalf("revisions = %+v; want %s rejected (NonFastForward), %s applied", recs, forced, first)
	}
	m := sl.metrics(t)
	if m["sluice_sync_force_push_refusals_total"] != 1 || m[`sluice_sync_total{result="error"}`] != 0 {
		t.Errorf("force-push refusals %v, sync errors %v; want 1 and 0", m["sluice_sync_force_push_refusals_total"], m[`sluice_sync_total{result="error"}`])
	}
	if endpointOf(envoy.Snapshot()) != "0.0.0.0:3000" {
		t.Error("the Envoy left the applied revision")
	}
}
