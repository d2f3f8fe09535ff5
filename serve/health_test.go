package serve_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// TestHealthOfLateEnvoy: an Envoy that connects after a revision was
// superseded is never pending for it, and the ACK latency of an Envoy that
// connects late counts from when it was sent the revision, not from the
// fetch of the revision.
func TestHealthOfLateEnvoy(t *testing.T) {
	t.Parallel()
	for name, delta := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := start(t, harnessOpts{})
			rev1, rev2 := revision("one"), revision("two")
			rec1 := h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
			early := h.dial(t, xdstest.Options{NodeID: "envoy-early", Cluster: "default/eg", Delta: delta})
			early.WaitFor(wait, atVersion(versionOf(t, rec1, "default/eg")))
			acked := func(sha string, nodes ...string) {
				t.Helper()
				waitUntil(t, "ACKs of "+sha, func() error {
					if g := h.health(t, sha, "default/eg"); !slices.Equal(g.Acked, nodes) {
						return fmt.Errorf("acked %v pending %v", g.Acked, g.Pending)
					}
					return nil
				})
			}
			acked(rev1.SHA, "envoy-early")
			h.apply(t, rev2, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001)), revisions.StateApplied)
			acked(rev2.SHA, "envoy-early")

			time.Sleep(300 * time.Millisecond) // the late Envoy comes well after the fetch
			connected := time.Now()
			h.dial(t, xdstest.Options{NodeID: "envoy-late", Cluster: "default/eg", Delta: delta})
			acked(rev2.SHA, "envoy-early", "envoy-late")
			since := time.Since(connected).Seconds()
			g2 := h.health(t, rev2.SHA, "default/eg")
			if g2.LastAckSeconds == nil || *g2.LastAckSeconds > since || g2.PublishedAt == nil || g2.AllAckedSeconds == nil {
				t.Errorf("rev2: the late ACK took %v s, more than the %v s since the Envoy connected: %+v", g2.LastAckSeconds, since, g2)
			}
			if g1 := h.health(t, rev1.SHA, "default/eg"); len(g1.Pending) != 0 || !slices.Equal(g1.Acked, []string{"envoy-early"}) {
				t.Errorf("rev1, superseded before envoy-late connected: acked %v pending %v; want only envoy-early, none pending", g1.Acked, g1.Pending)
			}
		})
	}
}

// syncBuffer is a log destination written by several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNackTextTruncated: an Envoy's NACK error of 11 KB over several
// lines is logged cut to 1 KiB, and kept in the history cut to 4 KiB.
func TestNackTextTruncated(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := start(t, harnessOpts{logs: &logs})
	rev := revision("one")
	h.apply(t, rev, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
	long := strings.Repeat("route rejected\nbecause ", 500) // 11.5 KB
	h.dial(t, xdstest.Options{NodeID: "envoy-bad", Cluster: "default/eg", Reject: func(typeURL string, _ []proto.Message) error {
		return errors.New(long)
	}})
	waitUntil(t, "the NACK is recorded", func() error {
		if g := h.health(t, rev.SHA, "default/eg"); len(g.Nacked) == 0 {
			return errors.New("no NACK yet")
		}
		return nil
	})
	if n := len(h.health(t, rev.SHA, "default/eg").Nacked[0].Error); n > 4096 {
		t.Errorf("the history keeps %d bytes of NACK text", n)
	}
	var logged string
	for _, l := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "envoy NACKed" {
			logged, _ = m["error"].(string)
		}
	}
	if logged == "" || len(logged) > 1024 || !strings.Contains(logged, "bytes]") {
		t.Errorf("logged NACK error of %d bytes: %q", len(logged), logged)
	}
}
