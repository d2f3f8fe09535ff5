package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/notify"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// TestNotifyTargets: sluice serve with the notify targets of sluice.yaml
// posts a signed webhook and runs a command when a revision is applied
// and when one is rejected.
func TestNotifyTargets(t *testing.T) {
	events := make(chan notify.Event, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte("notify-secret"))
		mac.Write(body)
		if r.Header.Get(notify.SignatureHeader) != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("webhook signature %q does not match the body", r.Header.Get(notify.SignatureHeader))
		}
		var ev notify.Event
		json.Unmarshal(body, &ev)
		events <- ev
	}))
	defer hook.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notify.secret"), []byte("notify-secret\n"), 0o600)
	out := filepath.Join(dir, "rejected.log")

	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("quickstart.yaml", quickstart(t))
	repo.Commit("Add the quickstart")
	repo.Push()
	os.WriteFile(filepath.Join(dir, "sluice.yaml"), []byte(`source: {git: {url: `+git.URL()+`, interval: 1h, verify: {insecureSkipVerify: true}}}
notify:
- name: ops
  webhook: {url: `+hook.URL+`, secretFile: notify.secret}
- command: {path: sh, args: ["-c", "cat >> `+out+`; echo >> `+out+`"]}
  events: [revision.rejected]
`), 0o600)
	cfg, err := config.Load(filepath.Join(dir, "sluice.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "s3cret")
	if ev := recvEvent(t, events); ev.Type != notify.RevisionApplied || ev.Subject != "Add the quickstart" {
		t.Errorf("first event %+v", ev)
	}
	repo.WriteFile("quickstart.yaml", "kind: [unclosed\n")
	bad := repo.Commit("Break the YAML")
	repo.Push()
	sl.do(t, http.MethodPost, "/api/v1/sync")
	if ev := recvEvent(t, events); ev.Type != notify.RevisionRejected || ev.SHA != bad || !strings.Contains(ev.Message, "quickstart.yaml") {
		t.Errorf("second event %+v", ev)
	}
	var logged notify.Event
	waitFor(t, "the command wrote the rejection", func() bool {
		b, _ := os.ReadFile(out)
		return json.Unmarshal(b, &logged) == nil
	})
	if logged.Type != notify.RevisionRejected || logged.SHA != bad {
		t.Errorf("the command was given %+v", logged)
	}
	_, metrics := sl.do(t, http.MethodGet, "/metrics")
	if !strings.Contains(string(metrics), `sluice_notifications_total{result="sent",target="ops"} 2`) {
		t.Errorf("/metrics lacks 2 notifications sent to ops")
	}
}

func recvEvent(t *testing.T, events <-chan notify.Event) notify.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(waitTimeout):
		t.Fatal("no notification")
	}
	return notify.Event{}
}

// waitFor polls cond until it holds, for up to waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not after %s: %s", waitTimeout, what)
		}
	}
}
