package serve_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// TestAutoRollbackOnNack: with RollbackOnNack, an Envoy NACKing a new
// revision makes its gateway serve the version its Envoys ACKed before,
// under that version; the revision is failed for the gateway, in the API
// and the metrics; and the NACKed version is not sent again.
func TestAutoRollbackOnNack(t *testing.T) {
	t.Parallel()
	for name, delta := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := start(t, harnessOpts{rollbackOnNack: true})
			rev1, res1 := commit(t, 3000)
			rec1 := h.apply(t, rev1, res1, revisions.StateApplied)
			g1 := versionOf(t, rec1, "default/eg")
			v1, eds1 := g1.Version, g1.Types["ClusterLoadAssignment"]

			// envoy-picky refuses endpoints on port 3001.
			var bad atomic.Int32
			picky := h.dial(t, xdstest.Options{NodeID: "envoy-picky", Cluster: "default/eg", Delta: delta,
				Reject: func(typeURL string, res []proto.Message) error {
					for _, m := range res {
						if cla, ok := m.(*endpointv3.ClusterLoadAssignment); ok && strings.Contains(fmt.Sprint(cla), "port_value:3001") {
							bad.Add(1)
							return errors.New("port 3001 is not allowed here (test)")
						}
					}
					return nil
				}})
			good := h.dial(t, xdstest.Options{NodeID: "envoy-good", Cluster: "default/eg", Delta: delta})
			for _, c := range []*xdstest.Client{picky, good} {
				c.WaitFor(wait, func(s xdstest.State) bool {
					return endpointPort(s) == 3000 && s.Versions[resourcev3.EndpointType] == eds1
				})
			}
			waitUntil(t, "rev1 ACKed by both", func() error {
				if g := h.health(t, rev1.SHA, "default/eg"); len(g.Acked) != 2 {
					return fmt.Errorf("acked %v", g.Acked)
				}
				return nil
			})

			rev2, res2 := commit(t, 3001)
			h.apply(t, rev2, res2, revisions.StateApplied)
			picky.WaitFor(wait, func(s xdstest.State) bool { return len(s.NACKs) > 0 })
			waitUntil(t, "rev2 failed", func() error {
				rec := h.srv.Revision(rev2.SHA)
				if rec.State != revisions.StateFailed || !rec.Gateways[0].Failed {
					return fmt.Errorf("rev2 %s %+v", rec.State, rec.Gateways[0])
				}
				return nil
			})
			// Both Envoys run rev1's version again.
			for _, c := range []*xdstest.Client{picky, good} {
				c.WaitFor(wait, func(s xdstest.State) bool {
					return endpointPort(s) == 3000 && s.Versions[resourcev3.EndpointType] == eds1
				})
			}
			g := h.health(t, rev2.SHA, "default/eg")
			if !strings.Contains(g.FailReason, "envoy-picky NACKed") || !strings.Contains(g.FailReason, "rolled back to version "+v1) {
				t.Errorf("fail reason = %q", g.FailReason)
			}
			if err := metricIs(h.metrics(t), `sluice_revision_rollbacks_total{gateway="default/eg",reason="nack"}`, "1"); err != nil {
				t.Error(err)
			}
			if err := metricIs(h.metrics(t), `sluice_history_revisions{state="failed"}`, "1"); err != nil {
				t.Error(err)
			}
			// The NACKed version is not sent again.
			time.Sleep(250 * time.Millisecond)
			if n := bad.Load(); n != 1 {
				t.Errorf("envoy-picky was sent port 3001 %d times, want 1", n)
			}

			// A fixed revision is served as usual.
			rev3, res3 := commit(t, 3002)
			h.apply(t, rev3, res3, revisions.StateApplied)
			for _, c := range []*xdstest.Client{picky, good} {
				c.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3002 })
			}
			if rec := h.srv.Revision(rev2.SHA); rec.State != revisions.StateFailed {
				t.Errorf("rev2 after rev3 = %s, want still failed", rec.State)
			}
		})
	}
}
