package serve_test

import (
	"regexp"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// versionOf returns the version a record gives a gateway.
func versionOf(t *testing.T, rec *revisions.Record, gateway string) *revisions.GatewayHealth {
	t.Helper()
	for _, g := range rec.Gateways {
		if g.Gateway == gateway {
			return g
		}
	}
	t.Fatalf("revision %s has no gateway %s", rec.Short(), gateway)
	return nil
}

// TestSnapshotVersions checks that a version is "<sha 12>-<content 12>",
// that an unchanged gateway keeps its version and is not re-pushed while a
// changed one is, and that two replicas agree on every version.
func TestSnapshotVersions(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	gws := []string{"default/eg", "default/other"}
	rev1, rev2 := revision("first"), revision("second: move other's backend")
	res1 := translateYAML(t, gws, gatewayYAML("eg", 8888, 3000), gatewayYAML("other", 9999, 4000))
	res2 := translateYAML(t, gws, gatewayYAML("eg", 8888, 3000), gatewayYAML("other", 9999, 4001))

	rec1 := h.apply(t, rev1, res1, revisions.StateApplied)
	form := regexp.MustCompile(`^` + rev1.SHA[:12] + `-[0-9a-f]{12}$`)
	eg1, other1 := versionOf(t, rec1, "default/eg"), versionOf(t, rec1, "default/other")
	for _, g := range []*revisions.GatewayHealth{eg1, other1} {
		if !form.MatchString(g.Version) || !g.Pushed {
			t.Errorf("rev1 %s: version %q pushed %v, want %s and pushed", g.Gateway, g.Version, g.Pushed, form)
		}
	}
	if eg1.Version[13:] == other1.Version[13:] {
		t.Errorf("gateways with different resources share the content hash %s", eg1.Version[13:])
	}

	eg := h.dial(t, xdstest.Options{NodeID: "envoy-eg", Cluster: "default/eg"})
	other := h.dial(t, xdstest.Options{NodeID: "envoy-other", Cluster: "default/other"})
	eg.WaitFor(wait, atVersion(eg1.Version))
	other.WaitFor(wait, atVersion(other1.Version))
	egAcks := len(eg.Acks())

	rec2 := h.apply(t, rev2, res2, revisions.StateApplied)
	eg2, other2 := versionOf(t, rec2, "default/eg"), versionOf(t, rec2, "default/other")
	if eg2.Pushed || eg2.Version != eg1.Version {
		t.Errorf("unchanged gateway: pushed %v version %q, want not pushed and %q", eg2.Pushed, eg2.Version, eg1.Version)
	}
	if !other2.Pushed || !regexp.MustCompile(`^`+rev2.SHA[:12]+`-[0-9a-f]{12}$`).MatchString(other2.Version) || other2.Version[13:] == other1.Version[13:] {
		t.Errorf("changed gateway: pushed %v version %q, want pushed with %s and a new content hash", other2.Pushed, other2.Version, rev2.SHA[:12])
	}
	other.WaitFor(wait, func(s xdstest.State) bool { return atVersion(other2.Version)(s) && endpointPort(s) == 4001 })
	// The unchanged gateway's snapshot is never set again, so its Envoy
	// sees nothing: same versions, no new ACK.
	if s := eg.Snapshot(); !atVersion(eg1.Version)(s) || len(eg.Acks()) != egAcks {
		t.Errorf("unchanged gateway was re-pushed: %d ACKs, want %d\n%s", len(eg.Acks()), egAcks, s)
	}

	// A replica that sees the same revisions computes the same versions
	// and serves byte-identical resources.
	replica := start(t, harnessOpts{})
	r1 := replica.apply(t, rev1, res1, revisions.StateApplied)
	r2 := replica.apply(t, rev2, res2, revisions.StateApplied)
	for _, pair := range [][2]*revisions.Record{{rec1, r1}, {rec2, r2}} {
		for _, gw := range gws {
			if a, b := versionOf(t, pair[0], gw), versionOf(t, pair[1], gw); a.Version != b.Version || a.Pushed != b.Pushed {
				t.Errorf("%s %s: replicas disagree: %q/%v vs %q/%v", pair[0].Short(), gw, a.Version, a.Pushed, b.Version, b.Pushed)
			}
		}
	}
	twin := replica.dial(t, xdstest.Options{NodeID: "envoy-other-2", Cluster: "default/other"})
	twin.WaitFor(wait, atVersion(other2.Version))
	sameResources(t, other.Snapshot(), twin.Snapshot())

	// The content half of a version depends on the resources only: a
	// replica that starts at rev2 gives the unchanged gateway the same
	// content hash (under rev2's SHA, since it never served rev1).
	fresh := start(t, harnessOpts{})
	f2 := fresh.apply(t, rev2, res2, revisions.StateApplied)
	if got := versionOf(t, f2, "default/eg").Version; got != rev2.SHA[:12]+"-"+eg1.Version[13:] {
		t.Errorf("fresh replica at rev2: eg version %q, want %s-%s", got, rev2.SHA[:12], eg1.Version[13:])
	}
}

// sameResources fails the test unless two Envoys hold byte-identical
// resources.
func sameResources(t *testing.T, a, b xdstest.State) {
	t.Helper()
	sameMessages(t, "cluster", a.Clusters, b.Clusters)
	sameMessages(t, "listener", a.Listeners, b.Listeners)
	sameMessages(t, "route", a.Routes, b.Routes)
	sameMessages(t, "endpoints", a.Endpoints, b.Endpoints)
}

func sameMessages[M proto.Message](t *testing.T, what string, a, b map[string]M) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("replicas serve %d and %d %s resources", len(a), len(b), what)
	}
	for name, m := range a {
		if other, ok := b[name]; !ok || !proto.Equal(m, other) {
			t.Errorf("%s %s differs between replicas", what, name)
		}
	}
}
