package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"

	gitsync "github.com/sluice-gitops/sluice/sync"

	"github.com/sluice-gitops/sluice/serve/notify"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// notifyTarget is a webhook receiver on 127.0.0.1:0 that hands on every
// event it is posted.
func notifyTarget(t *testing.T) (*notify.Notifier, <-chan notify.Event) {
	t.Helper()
	events := make(chan notify.Event, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev notify.Event
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		events <- ev
	}))
	t.Cleanup(srv.Close)
	n := notify.New(notify.Options{Targets: []notify.Target{{Name: "test", Sender: notify.Webhook(srv.URL, "s", nil)}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n, events
}

// recv returns the next event posted.
func recv(t *testing.T, events <-chan notify.Event) notify.Event {
	t.Helper()
	select {
	case ev := <-events:
		return ev
	case <-time.After(wait):
		t.Fatal("no event")
	}
	return notify.Event{}
}

// next returns the next event posted, failing the test unless it is of
// type typ and its message holds msg.
func next(t *testing.T, events <-chan notify.Event, typ, msg string) notify.Event {
	t.Helper()
	ev := recv(t, events)
	if ev.Type != typ || !strings.Contains(ev.Message, msg) {
		t.Fatalf("event %+v, want %s with %q", ev, typ, msg)
	}
	return ev
}

// TestNotifications: the history tells a real webhook of a revision
// applied and rejected, a NACK and the automatic rollback it causes, a
// pin and an unpin, and the source failing and recovering.
func TestNotifications(t *testing.T) {
	t.Parallel()
	n, events := notifyTarget(t)
	h := start(t, harnessOpts{rollbackOnNack: true, notify: n.Notify})
	rev1, res1 := commit(t, 3000)
	h.apply(t, rev1, res1, revisions.StateApplied)
	if ev := next(t, events, notify.RevisionApplied, ""); ev.SHA != rev1.SHA || ev.Revision != rev1.String() {
		t.Errorf("applied event %+v", ev)
	}
	h.srv.Apply(revision("broken"), nil, errors.New("routing.yaml:3: cannot parse"), time.Millisecond)
	next(t, events, notify.RevisionRejected, "routing.yaml:3: cannot parse")

	picky := h.dial(t, xdstest.Options{NodeID: "envoy-picky", Cluster: "default/eg", Reject: func(typeURL string, res []proto.Message) error {
		for _, m := range res {
			if cla, ok := m.(*endpointv3.ClusterLoadAssignment); ok && strings.Contains(fmt.Sprint(cla), "port_value:3001") {
				return errors.New("port 3001 is not allowed here")
			}
		}
		return nil
	}})
	picky.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3000 })
	waitUntil(t, "rev1 ACKed", func() error {
		if len(h.health(t, rev1.SHA, "default/eg").Acked) == 0 {
			return errors.New("not yet")
		}
		return nil
	})
	rev2, res2 := commit(t, 3001)
	h.apply(t, rev2, res2, revisions.StateApplied)
	// The NACK may come before Apply returns: either order.
	first, second := recv(t, events), recv(t, events)
	if first.Type == notify.Nack {
		first, second = second, first
	}
	if first.Type != notify.RevisionApplied || first.SHA != rev2.SHA {
		t.Errorf("applied event %+v", first)
	}
	if second.Type != notify.Nack || second.Node != "envoy-picky" || second.SHA != rev2.SHA || !strings.Contains(second.Message, "port 3001 is not allowed here") {
		t.Errorf("NACK event %+v", second)
	}
	next(t, events, notify.AutomaticRollback, "rolled back to version")

	if _, err := h.srv.Rollback(rev1, res1); err != nil {
		t.Fatal(err)
	}
	next(t, events, notify.RevisionPinned, "rolled back by an operator")
	if _, err := h.srv.Unpin(gitsync.Revision{}, nil); err != nil {
		t.Fatal(err)
	}
	next(t, events, notify.RevisionUnpinned, "the pin is removed")

	h.srv.SourceError(errors.New("remote unreachable"))
	h.srv.SourceError(errors.New("remote unreachable")) // told once
	h.srv.SourceOK()
	next(t, events, notify.SourceFailing, "remote unreachable")
	next(t, events, notify.SourceRecovered, "after 2 failed syncs")
}
