package serve_test

import (
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// TestRejectKeepsServing: a revision the source refused (here an unsigned
// commit) is recorded as rejected with its reason and never served.
func TestRejectKeepsServing(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	good := revision("good")
	h.apply(t, good, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8080, 3000)), revisions.StateApplied)
	envoy := h.dial(t, xdstest.Options{NodeID: "e", Cluster: "default/eg"})
	envoy.WaitFor(wait, func(s xdstest.State) bool { return endpointPort(s) == 3000 })

	bad := revision("unsigned")
	rec := h.srv.Reject(bad, "Unsigned", "commit "+bad.Short()+" is not signed")
	if rec.State != revisions.StateRejected || !strings.HasPrefix(rec.Reason, "Unsigned: commit ") {
		t.Fatalf("Reject = %s %q", rec.State, rec.Reason)
	}
	if got := h.srv.AppliedSHA(); got != good.SHA {
		t.Errorf("applied = %s, want %s still", got, good.SHA)
	}
	recs := h.srv.Revisions()
	if len(recs) != 2 || recs[0].SHA != bad.SHA || recs[1].State != revisions.StateApplied {
		t.Errorf("revisions: %+v", recs)
	}
	if err := metricIs(h.metrics(t), `sluice_revisions_total{state="rejected"}`, "1"); err != nil {
		t.Error(err)
	}
	// Refused again (a sync after a restart): still one record.
	again := h.srv.Reject(bad, "Unsigned", "commit "+bad.Short()+" is not signed")
	if again == nil || again.Sequence != rec.Sequence || len(h.srv.Revisions()) != 2 {
		t.Errorf("a second rejection of the same commit made a record: %+v, %d records", again, len(h.srv.Revisions()))
	}
	if err := metricIs(h.metrics(t), `sluice_revisions_total{state="rejected"}`, "1"); err != nil {
		t.Error(err)
	}
}
