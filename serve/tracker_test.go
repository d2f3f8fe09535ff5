package serve_test

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

var modes = map[string]bool{"sotw": false, "delta": true}

// TestAckHealth checks that ACKs land in the revision's gateway health,
// also for a revision that changes only endpoints (which a delta stream
// receives as a single EDS response).
func TestAckHealth(t *testing.T) {
	t.Parallel()
	for name, delta := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := start(t, harnessOpts{})
			rev1, rev2 := revision("one"), revision("two: port only")
			rec1 := h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
			c := h.dial(t, xdstest.Options{NodeID: "envoy-ok", Cluster: "default/eg", Delta: delta})
			c.WaitFor(wait, atVersion(versionOf(t, rec1, "default/eg")))
			waitUntil(t, "rev1 ACKed", func() error {
				g := h.health(t, rev1.SHA, "default/eg")
				if !slices.Equal(g.Acked, []string{"envoy-ok"}) || g.FirstAckSeconds == nil || len(g.Pending) != 0 {
					return fmt.Errorf("acked %v pending %v first %v", g.Acked, g.Pending, g.FirstAckSeconds)
				}
				return nil
			})
			g := h.health(t, rev1.SHA, "default/eg")
			if *g.FirstAckSeconds < 0 || *g.FirstAckSeconds > wait.Seconds() || *g.LastAckSeconds != *g.FirstAckSeconds || len(g.Nacked) != 0 {
				t.Errorf("rev1 health %+v first %v last %v", g, *g.FirstAckSeconds, *g.LastAckSeconds)
			}

			rec2 := h.apply(t, rev2, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001)), revisions.StateApplied)
			v2 := versionOf(t, rec2, "default/eg").Version
			c.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3001 })
			waitUntil(t, "rev2 ACKed", func() error {
				g := h.health(t, rev2.SHA, "default/eg")
				if !slices.Equal(g.Acked, []string{"envoy-ok"}) || len(g.Pending) != 0 {
					return fmt.Errorf("acked %v pending %v", g.Acked, g.Pending)
				}
				return nil
			})
			if n := h.srv.Nodes(); len(n) != 1 || n[0].Version != v2 || n[0].LastAck == nil || n[0].Streams != 1 {
				t.Errorf("nodes = %+v, want envoy-ok at %s", n, v2)
			}
		})
	}
}

// TestNackHealth checks that an Envoy rejecting the routes shows in
// Nacked with its error, not in Acked nor Pending, once however often it
// NACKs; and that the server does not send a NACKed version again.
func TestNackHealth(t *testing.T) {
	t.Parallel()
	for name, delta := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := start(t, harnessOpts{})
			rev1 := revision("routes the Envoy rejects")
			h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
			errBad := errors.New("route default/eg/http: unknown filter (test)")
			var routeResponses atomic.Int32
			bad := h.dial(t, xdstest.Options{NodeID: "envoy-bad", Cluster: "default/eg", Delta: delta,
				Reject: func(typeURL string, _ []proto.Message) error {
					if typeURL == resourcev3.RouteType {
						routeResponses.Add(1)
						return errBad
					}
					return nil
				}})
			h.dial(t, xdstest.Options{NodeID: "envoy-good", Cluster: "default/eg", Delta: delta})
			bad.WaitFor(wait, func(s xdstest.State) bool { return len(s.NACKs) > 0 })
			waitUntil(t, "NACK and ACK recorded", func() error {
				g := h.health(t, rev1.SHA, "default/eg")
				if len(g.Nacked) != 1 || !slices.Equal(g.Acked, []string{"envoy-good"}) {
					return fmt.Errorf("acked %v nacked %+v", g.Acked, g.Nacked)
				}
				return nil
			})
			g := h.health(t, rev1.SHA, "default/eg")
			if n := g.Nacked[0]; n.Node != "envoy-bad" || n.Error != errBad.Error() || n.At.IsZero() {
				t.Errorf("nacked = %+v, want envoy-bad with %q", n, errBad)
			}
			if len(g.Pending) != 0 {
				t.Errorf("pending = %v, want none (envoy-bad NACKed, envoy-good ACKed)", g.Pending)
			}
			for _, n := range h.srv.Nodes() {
				if n.Node == "envoy-bad" && (n.NackError != errBad.Error() || n.LastNack == nil || n.Version != "") {
					t.Errorf("node envoy-bad = %+v, want its NACK and no version taken", n)
				}
			}

			// Watch what the server does after the NACK. Measuring how
			// often something happens needs a window of time. Neither
			// server sends the NACKed version again: delta keeps what it
			// sent, and for SotW the server holds the NACK's watch until
			// the snapshot changes (go-control-plane alone would answer a
			// NACK with the same version at once, in a loop:
			// envoyproxy/go-control-plane#962).
			time.Sleep(250 * time.Millisecond)
			if n := routeResponses.Load(); n != 1 {
				t.Errorf("%d route responses to envoy-bad, want 1: the NACKed version was sent again", n)
			}
			if g := h.health(t, rev1.SHA, "default/eg"); len(g.Nacked) != 1 {
				t.Errorf("repeated NACKs recorded %d times, want once: %+v", len(g.Nacked), g.Nacked)
			}
			if s := bad.Snapshot(); len(s.Routes) != 0 || len(s.Clusters) != 1 {
				t.Errorf("envoy-bad state:\n%s", s)
			}
		})
	}
}

// TestPendingHealth holds an Envoy in the middle of receiving a new
// version: it is Pending until it answers, then Acked.
func TestPendingHealth(t *testing.T) {
	t.Parallel()
	for name, delta := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := start(t, harnessOpts{})
			rev1, rev2 := revision("one"), revision("two")
			rec1 := h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)

			// Once armed, the client blocks on the first response it
			// receives until released: it neither ACKs nor NACKs it.
			var armed atomic.Bool
			held, release := make(chan struct{}), make(chan struct{})
			slow := h.dial(t, xdstest.Options{NodeID: "envoy-slow", Cluster: "default/eg", Delta: delta,
				Reject: func(string, []proto.Message) error {
					if armed.CompareAndSwap(true, false) {
						close(held)
						<-release
					}
					return nil
				}})
			released := false
			t.Cleanup(func() {
				if !released {
					close(release)
				}
			})
			slow.WaitFor(wait, atVersion(versionOf(t, rec1, "default/eg")))
			waitUntil(t, "rev1 ACKed", func() error {
				if g := h.health(t, rev1.SHA, "default/eg"); len(g.Acked) != 1 {
					return fmt.Errorf("acked %v", g.Acked)
				}
				return nil
			})

			armed.Store(true)
			h.apply(t, rev2, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001)), revisions.StateApplied)
			select {
			case <-held:
			case <-time.After(wait):
				t.Fatal("rev2 never reached the client")
			}
			if g := h.health(t, rev2.SHA, "default/eg"); !slices.Equal(g.Pending, []string{"envoy-slow"}) || len(g.Acked)+len(g.Nacked) != 0 {
				t.Errorf("while held: pending %v acked %v nacked %v, want pending envoy-slow", g.Pending, g.Acked, g.Nacked)
			}
			// A revision the Envoy has taken does not list it as pending.
			if g := h.health(t, rev1.SHA, "default/eg"); len(g.Pending) != 0 {
				t.Errorf("rev1 pending %v, want none", g.Pending)
			}

			close(release)
			released = true
			waitUntil(t, "rev2 ACKed", func() error {
				g := h.health(t, rev2.SHA, "default/eg")
				if !slices.Equal(g.Acked, []string{"envoy-slow"}) || len(g.Pending) != 0 {
					return fmt.Errorf("acked %v pending %v", g.Acked, g.Pending)
				}
				return nil
			})
		})
	}
}
