package serve_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/translate"
)

// TestRevisionStates walks revisions through applied, superseded and
// rejected, and checks lookups by prefix and the history order.
func TestRevisionStates(t *testing.T) {
	t.Parallel()
	var applied []*revisions.Record // OnApply runs in Apply, on this goroutine
	h := start(t, harnessOpts{onApply: func(r *revisions.Record) { applied = append(applied, r) }})

	rev1, rev2, rev3 := revision("one"), revision("two"), revision("three: broken YAML")
	res1 := translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000))
	res2 := translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3001))

	h.apply(t, rev1, res1, revisions.StateApplied)
	rec2 := h.apply(t, rev2, res2, revisions.StateApplied)
	if got := h.srv.Revision(rev1.SHA[:7]); got == nil || got.State != revisions.StateSuperseded {
		t.Errorf("rev1 after rev2 = %+v, want superseded", got)
	}
	terr := errors.New(`translate: doc.yaml:3: cannot parse "spec"`)
	rec3 := h.srv.Apply(rev3, nil, terr, time.Millisecond)
	if rec3.State != revisions.StateRejected || rec3.Reason != terr.Error() || rec3.AppliedAt != nil {
		t.Errorf("rev3 = %s %q applied at %v, want rejected with %q", rec3.State, rec3.Reason, rec3.AppliedAt, terr)
	}
	if got := h.srv.Revision(rev2.SHA); got == nil || got.State != revisions.StateApplied || got.AppliedAt == nil {
		t.Errorf("rev2 after the rejected rev3 = %+v, want still applied", got)
	}
	// rev2 is still what Envoys get.
	c := h.dial(t, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	c.WaitFor(wait, func(s xdstest.State) bool {
		return atVersion(versionOf(t, rec2, "default/eg"))(s) && endpointPort(s) == 3001
	})
	if len(applied) != 3 || applied[0].State != revisions.StateApplied || applied[2].State != revisions.StateRejected {
		t.Errorf("OnApply saw %d records, want 3 ending in rejected", len(applied))
	}

	recs := h.srv.Revisions()
	want := []struct {
		sha   string
		state revisions.State
		seq   int
	}{{rev3.SHA, revisions.StateRejected, 3}, {rev2.SHA, revisions.StateApplied, 2}, {rev1.SHA, revisions.StateSuperseded, 1}}
	if len(recs) != len(want) {
		t.Fatalf("%d revisions, want %d", len(recs), len(want))
	}
	for i, w := range want {
		if recs[i].SHA != w.sha || recs[i].State != w.state || recs[i].Sequence != w.seq {
			t.Errorf("revisions[%d] = %s %s #%d, want %s %s #%d", i, recs[i].Short(), recs[i].State, recs[i].Sequence, w.sha[:12], w.state, w.seq)
		}
	}

	for prefix, want := range map[string]string{
		rev2.SHA:       rev2.SHA,
		rev2.SHA[:7]:   rev2.SHA,
		rev1.SHA[:10]:  rev1.SHA,
		rev2.SHA[:6]:   "", // too short to name a commit
		"0000000":      "",
		rev1.SHA + "0": "",
	} {
		got := h.srv.Revision(prefix)
		switch {
		case want == "" && got != nil:
			t.Errorf("Revision(%q) = %s, want none", prefix, got.Short())
		case want != "" && (got == nil || got.SHA != want):
			t.Errorf("Revision(%q) = %v, want %s", prefix, got, want[:12])
		}
	}
}

// TestRejectedRevisionKeepsServing checks that a revision whose snapshot
// would not be Consistent (a listener naming a route configuration that
// is not there) is rejected as a whole and the Envoys keep the previous.
func TestRejectedRevisionKeepsServing(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	rev1 := revision("good")
	res1 := translateYAML(t, []string{"default/eg", "default/other"}, gatewayYAML("eg", 8888, 3000), gatewayYAML("other", 9999, 4000))
	rec1 := h.apply(t, rev1, res1, revisions.StateApplied)
	v1 := versionOf(t, rec1, "default/eg")
	c := h.dial(t, xdstest.Options{NodeID: "envoy-1", Cluster: "default/eg"})
	c.WaitFor(wait, atVersion(v1))

	// default/other is fine and changed; default/eg lost its routes.
	good := translateYAML(t, []string{"default/eg", "default/other"}, gatewayYAML("eg", 8888, 3001), gatewayYAML("other", 9999, 4001))
	eg, other := good.Gateway("default", "eg"), good.Gateway("default", "other")
	bad := &translate.Result{Gateways: []*translate.GatewayResult{
		{Namespace: "default", Name: "eg", Listeners: eg.Listeners, Clusters: eg.Clusters, Endpoints: eg.Endpoints},
		other,
	}}
	rev2 := revision("listener without its route")
	rec2 := h.srv.Apply(rev2, bad, nil, time.Millisecond)
	if rec2.State != revisions.StateRejected || !strings.Contains(rec2.Reason, "default/eg") || !strings.Contains(rec2.Reason, "consistent") {
		t.Fatalf("rev2 = %s %q, want rejected naming default/eg and consistency", rec2.State, rec2.Reason)
	}
	if got := h.srv.Revision(rev1.SHA); got.State != revisions.StateApplied {
		t.Errorf("rev1 = %s, want still applied", got.State)
	}

	// Nothing of rev2 was published, not even the valid gateway: a late
	// Envoy of default/other gets rev1, and envoy-1 keeps v1.
	o := h.dial(t, xdstest.Options{NodeID: "envoy-2", Cluster: "default/other"})
	o.WaitFor(wait, atVersion(versionOf(t, rec1, "default/other")))
	if s := c.Snapshot(); !atVersion(v1)(s) || endpointPort(s) != 3000 {
		t.Errorf("envoy-1 left rev1:\n%s", s)
	}

	// A good revision after the rejected one is served.
	rev3 := revision("fixed")
	rec3 := h.apply(t, rev3, good, revisions.StateApplied)
	c.WaitFor(wait, func(s xdstest.State) bool {
		return atVersion(versionOf(t, rec3, "default/eg"))(s) && endpointPort(s) == 3001
	})
}
