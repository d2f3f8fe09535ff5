package serve_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	rev1 := revision("one")
	rec1 := h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
	h.srv.Apply(revision("broken"), nil, errors.New("cannot parse"), time.Millisecond)

	m := h.metrics(t)
	for series, want := range map[string]string{
		`sluice_revisions_total{state="applied"}`:                                      "1",
		`sluice_revisions_total{state="rejected"}`:                                     "1",
		`sluice_snapshot_resources{gateway="default/eg",type="Cluster"}`:               "1",
		`sluice_snapshot_resources{gateway="default/eg",type="Listener"}`:              "1",
		`sluice_snapshot_resources{gateway="default/eg",type="RouteConfiguration"}`:    "1",
		`sluice_snapshot_resources{gateway="default/eg",type="ClusterLoadAssignment"}`: "1",
		`sluice_translate_duration_seconds_count`:                                      "2",
	} {
		if err := metricIs(m, series, want); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(m, "sluice_revision_last_applied_timestamp_seconds ") {
		t.Error("no sluice_revision_last_applied_timestamp_seconds")
	}

	// Connected proxies go up per stream and down when a stream ends.
	ctx, cancel := context.WithCancel(t.Context())
	c := xdstest.Dial(ctx, t, h.xds, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	c.WaitFor(wait, atVersion(versionOf(t, rec1, "default/eg")))
	// The server takes the client's last ACK after the client sent it.
	waitUntil(t, "envoy-1's ACK recorded", func() error {
		if g := h.health(t, rev1.SHA, "default/eg"); g.AllAckedSeconds == nil {
			return errors.New("not all ACKed")
		}
		return nil
	})
	d := h.dial(t, xdstest.Options{NodeID: "envoy-2", Cluster: "eg", Delta: true})
	bad := h.dial(t, xdstest.Options{NodeID: "envoy-bad", Cluster: "default/eg", Reject: func(typeURL string, _ []proto.Message) error {
		if typeURL == resourcev3.RouteType {
			return errors.New("no")
		}
		return nil
	}})
	d.WaitFor(wait, atVersion(versionOf(t, rec1, "default/eg")))
	bad.WaitFor(wait, func(s xdstest.State) bool { return len(s.NACKs) > 0 })
	waitUntil(t, "three proxies, two ACKs, a NACK", func() error {
		m := h.metrics(t)
		if err := metricIs(m, `sluice_xds_connected_proxies{gateway="default/eg"}`, "3"); err != nil {
			return err
		}
		if err := metricIs(m, `sluice_xds_acks_total{gateway="default/eg"}`, "2"); err != nil {
			return err
		}
		if _, err := metricValue(m, `sluice_xds_nacks_total{gateway="default/eg"}`); err != nil {
			return err
		}
		// Observed once per revision and gateway, when every Envoy
		// connected then had ACKed: envoy-1 alone, before the others came.
		return metricIs(m, `sluice_revision_ack_seconds_count`, "1")
	})
	cancel()
	waitUntil(t, "a proxy gone", func() error {
		return metricIs(h.metrics(t), `sluice_xds_connected_proxies{gateway="default/eg"}`, "2")
	})
}

// TestRevisionInfoBounded checks that sluice_revision_info keeps only the
// newest revisions, without a state label that would change; the states
// are counted in sluice_history_revisions, the served revision is in
// sluice_served_revision_info.
func TestRevisionInfoBounded(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	res := translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000))
	var shas []string
	for i := range 22 {
		rev := revision(fmt.Sprintf("commit %d", i))
		shas = append(shas, rev.SHA)
		h.apply(t, rev, res, revisions.StateApplied)
	}
	m := h.metrics(t)
	if n := strings.Count(m, "\nsluice_revision_info{"); n != 20 {
		t.Errorf("%d sluice_revision_info series, want 20", n)
	}
	for i, sha := range shas {
		has := strings.Contains(m, `revision="`+sha+`"`)
		if i < 2 && has {
			t.Errorf("revision %d of 22 still in sluice_revision_info", i+1)
		}
		if i >= 2 && !has {
			t.Errorf("revision %d of 22 missing from sluice_revision_info", i+1)
		}
	}
	for series, want := range map[string]string{
		`sluice_revision_info{revision="` + shas[21] + `"}`:        "1",
		`sluice_revision_info{revision="` + shas[20] + `"}`:        "1",
		`sluice_served_revision_info{revision="` + shas[21] + `"}`: "1",
		`sluice_history_revisions{state="applied"}`:                "1",
		`sluice_history_revisions{state="superseded"}`:             "21",
		`sluice_history_revisions{state="pinned"}`:                 "0",
		`sluice_pinned_since_timestamp_seconds`:                    "0",
		`sluice_revisions_total{state="pinned"}`:                   "0",
	} {
		if err := metricIs(m, series, want); err != nil {
			t.Error(err)
		}
	}
	if strings.Count(m, "\nsluice_served_revision_info{") != 1 {
		t.Error("more than one served revision")
	}
	if err := metricIs(m, `sluice_revisions_total{state="applied"}`, "22"); err != nil {
		t.Error(err)
	}
}
