package notify_test

import (
	"context"
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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/serve/notify"
)

// start runs a Notifier of targets with short backoffs until the test
// ends.
func start(t *testing.T, targets ...notify.Target) (*notify.Notifier, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	n := notify.New(notify.Options{Targets: targets, Registerer: reg, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n, reg
}

// count reads sluice_notifications_total{target,result}.
func count(t *testing.T, reg *prometheus.Registry, target, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var tg, rs string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "target":
					tg = l.GetValue()
				case "result":
					rs = l.GetValue()
				}
			}
			if tg == target && rs == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series for %s/%s", target, result)
	return 0
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not after 10s: %s", what)
		}
	}
}

var rejected = notify.Event{Type: notify.RevisionRejected, Revision: "main@sha1:0123456789abcdef0123456789abcdef01234567",
	SHA: "0123456789abcdef0123456789abcdef01234567", Subject: "Break the YAML", Message: "routing.yaml:3: mapping values are not allowed"}

// TestWebhookSignedAndRetried: the webhook receives the event as JSON,
// signed with HMAC-SHA256 of the body; two 503 answers are retried and the
// third delivery counts as sent.
func TestWebhookSignedAndRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	got := make(chan notify.Event, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte("hook-secret"))
		mac.Write(body)
		if r.Header.Get(notify.SignatureHeader) != "sha256="+hex.EncodeToString(mac.Sum(nil)) || r.Header.Get(notify.EventHeader) != notify.RevisionRejected {
			t.Errorf("bad signature or event header: %v", r.Header)
		}
		if calls.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var ev notify.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body %s: %v", body, err)
		}
		got <- ev
	}))
	defer srv.Close()
	n, reg := start(t, notify.Target{Name: "ops", Sender: notify.Webhook(srv.URL, "hook-secret", nil)})
	n.Notify(rejected)
	select {
	case ev := <-got:
		if ev.Type != notify.RevisionRejected || ev.SHA != rejected.SHA || ev.Message != rejected.Message || ev.Time.IsZero() {
			t.Errorf("event = %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook was never delivered")
	}
	eventually(t, "counted as sent", func() bool { return count(t, reg, "ops", "sent") == 1 })
	if calls.Load() != 3 || count(t, reg, "ops", "failed") != 0 {
		t.Errorf("%d calls, %v failed", calls.Load(), count(t, reg, "ops", "failed"))
	}
}

// TestPermanentFailureNotRetried: a 400 is not retried; a target that
// wants only NACKs is not sent a rejection.
func TestPermanentFailureNotRetried(t *testing.T) {
	t.Parallel()
	var calls, nackCalls atomic.Int32
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no such hook", http.StatusBadRequest)
	}))
	defer bad.Close()
	nacks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { nackCalls.Add(1) }))
	defer nacks.Close()
	n, reg := start(t, notify.Target{Name: "bad", Sender: notify.Webhook(bad.URL, "", nil)},
		notify.Target{Name: "nacks", Events: []string{notify.Nack}, Sender: notify.Webhook(nacks.URL, "", nil)})
	n.Notify(rejected)
	eventually(t, "counted as failed", func() bool { return count(t, reg, "bad", "failed") == 1 })
	n.Notify(notify.Event{Type: notify.Nack, Gateway: "default/eg", Node: "envoy-1", Message: "bad route"})
	eventually(t, "the NACK sent", func() bool { return count(t, reg, "nacks", "sent") == 1 })
	if calls.Load() != 2 || nackCalls.Load() != 1 {
		t.Errorf("calls: %d to the failing target (want 2: one per event, no retry), %d to the NACK target (want 1)", calls.Load(), nackCalls.Load())
	}
}

// TestSlackMessage: the Slack target posts {"text": ...} naming the
// event, the revision and the reason.
func TestSlackMessage(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]string
		json.NewDecoder(r.Body).Decode(&msg)
		got <- msg["text"]
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	n, _ := start(t, notify.Target{Name: "slack", Sender: notify.Slack(srv.URL, nil)})
	n.Notify(rejected)
	select {
	case text := <-got:
		for _, want := range []string{"revision.rejected", rejected.Revision, `"Break the YAML"`, rejected.Message} {
			if !strings.Contains(text, want) {
				t.Errorf("slack text %q lacks %q", text, want)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing posted")
	}
}

// TestCommandHook: a command reads the event's JSON on its standard input
// and its type in $SLUICE_EVENT; one that exits 1 is retried.
func TestCommandHook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "event.json")
	// Fails the first time (no marker yet), then writes the event.
	script := `if [ ! -e "$2" ]; then touch "$2"; echo "first try fails" >&2; exit 1; fi; cat > "$1"; echo "$SLUICE_EVENT" >> "$1.type"`
	n, reg := start(t, notify.Target{Name: "cmd", Sender: notify.Command("sh", []string{"-c", script, "sh", out, filepath.Join(dir, "marker")})})
	n.Notify(rejected)
	eventually(t, "the command ran", func() bool { return count(t, reg, "cmd", "sent") == 1 })
	b, _ := os.ReadFile(out)
	typ, _ := os.ReadFile(out + ".type")
	var ev notify.Event
	if err := json.Unmarshal(b, &ev); err != nil || ev.SHA != rejected.SHA || strings.TrimSpace(string(typ)) != notify.RevisionRejected {
		t.Errorf("command got %s (%v), SLUICE_EVENT %q", b, err, typ)
	}
}

// TestQueueDropsOldest: while a target hangs on one event, a queue of two
// keeps the two newest of four more and counts two dropped.
func TestQueueDropsOldest(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev notify.Event
		json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		seen = append(seen, ev.Subject)
		first := len(seen) == 1
		mu.Unlock()
		if first {
			<-release
		}
	}))
	defer srv.Close()
	defer close(release)
	n, reg := start(t, notify.Target{Name: "slow", QueueSize: 2, Sender: notify.Webhook(srv.URL, "", nil)})
	n.Notify(notify.Event{Type: notify.RevisionApplied, Subject: "1"})
	eventually(t, "the first event in flight", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 1 })
	for _, s := range []string{"2", "3", "4", "5"} {
		n.Notify(notify.Event{Type: notify.RevisionApplied, Subject: s})
	}
	if got := count(t, reg, "slow", "dropped"); got != 2 {
		t.Errorf("dropped = %v, want 2", got)
	}
	release <- struct{}{}
	eventually(t, "the queue delivered", func() bool { return count(t, reg, "slow", "sent") == 3 })
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, ",") != "1,4,5" {
		t.Errorf("delivered %v, want 1,4,5", seen)
	}
}
