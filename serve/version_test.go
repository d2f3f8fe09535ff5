package serve_test

import (
	"maps"
	"regexp"
	"testing"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
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

// TestSnapshotVersions checks that versions are derived from content
// alone: a gateway's and each of its types' are hashes, without the commit;
// an unchanged gateway keeps its version and is not re-pushed, and a
// changed one moves only the versions of the types that changed; and two
// replicas, whatever revisions they saw, agree on every version.
func TestSnapshotVersions(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	gws := []string{"default/eg", "default/other"}
	rev1, rev2 := revision("first"), revision("second: move other's backend")
	res1 := translateYAML(t, gws, gatewayYAML("eg", 8888, 3000), gatewayYAML("other", 9999, 4000))
	res2 := translateYAML(t, gws, gatewayYAML("eg", 8888, 3000), gatewayYAML("other", 9999, 4001))

	rec1 := h.apply(t, rev1, res1, revisions.StateApplied)
	form := regexp.MustCompile(`^[0-9a-f]{16}$`)
	eg1, other1 := versionOf(t, rec1, "default/eg"), versionOf(t, rec1, "default/other")
	for _, g := range []*revisions.GatewayHealth{eg1, other1} {
		if !form.MatchString(g.Version) || !g.Pushed {
			t.Errorf("rev1 %s: version %q pushed %v, want %s and pushed", g.Gateway, g.Version, g.Pushed, form)
		}
		for _, typ := range allTypes {
			if v := g.Types[typeName(typ)]; !form.MatchString(v) || v == g.Version {
				t.Errorf("rev1 %s: %s version %q, want its own %s", g.Gateway, typeName(typ), v, form)
			}
		}
	}
	if eg1.Version == other1.Version {
		t.Errorf("gateways with different resources share the version %s", eg1.Version)
	}

	eg := h.dial(t, xdstest.Options{NodeID: "envoy-eg", Cluster: "default/eg"})
	other := h.dial(t, xdstest.Options{NodeID: "envoy-other", Cluster: "default/other"})
	eg.WaitFor(wait, atVersion(eg1))
	other.WaitFor(wait, atVersion(other1))
	egAcks, otherAcks := len(eg.Acks()), len(other.Acks())

	rec2 := h.apply(t, rev2, res2, revisions.StateApplied)
	eg2, other2 := versionOf(t, rec2, "default/eg"), versionOf(t, rec2, "default/other")
	if eg2.Pushed || eg2.Version != eg1.Version {
		t.Errorf("unchanged gateway: pushed %v version %q, want not pushed and %q", eg2.Pushed, eg2.Version, eg1.Version)
	}
	if !other2.Pushed || !form.MatchString(other2.Version) || other2.Version == other1.Version {
		t.Errorf("changed gateway: pushed %v version %q, want pushed under a new version", other2.Pushed, other2.Version)
	}
	// Only the endpoints moved: the other types keep their versions.
	for _, typ := range allTypes {
		name := typeName(typ)
		if moved := other2.Types[name] != other1.Types[name]; moved != (typ == resourcev3.EndpointType) {
			t.Errorf("%s version %q → %q: moved %v", name, other1.Types[name], other2.Types[name], moved)
		}
	}
	other.WaitFor(wait, func(s xdstest.State) bool { return atVersion(other2)(s) && endpointPort(s) == 4001 })
	// The changed gateway's Envoy is sent the endpoints alone; the
	// unchanged gateway's snapshot is never set again, so its Envoy sees
	// nothing: same versions, no new ACK.
	if acks := other.Acks()[otherAcks:]; len(acks) != 1 || acks[0].TypeURL != resourcev3.EndpointType {
		t.Errorf("changed gateway's Envoy ACKed %+v, want the endpoints alone", acks)
	}
	if s := eg.Snapshot(); !atVersion(eg1)(s) || len(eg.Acks()) != egAcks {
		t.Errorf("unchanged gateway was re-pushed: %d ACKs, want %d\n%s", len(eg.Acks()), egAcks, s)
	}

	// A replica that sees the same revisions computes the same versions
	// and serves byte-identical resources.
	replica := start(t, harnessOpts{})
	sameVersions(t, gws, []*revisions.Record{rec1, rec2},
		[]*revisions.Record{replica.apply(t, rev1, res1, revisions.StateApplied), replica.apply(t, rev2, res2, revisions.StateApplied)})
	twin := replica.dial(t, xdstest.Options{NodeID: "envoy-other-2", Cluster: "default/other"})
	twin.WaitFor(wait, atVersion(other2))
	sameResources(t, other.Snapshot(), twin.Snapshot())

	// A replica that starts at rev2, never having served rev1, gives the
	// unchanged gateway the same version.
	fresh := start(t, harnessOpts{})
	f2 := fresh.apply(t, rev2, res2, revisions.StateApplied)
	if got := versionOf(t, f2, "default/eg"); got.Version != eg1.Version || !maps.Equal(got.Types, eg1.Types) {
		t.Errorf("fresh replica at rev2: eg version %q %v, want %q %v", got.Version, got.Types, eg1.Version, eg1.Types)
	}
}

// sameVersions fails the test unless two replicas' records of the same
// revisions give each gateway the same versions.
func sameVersions(t *testing.T, gws []string, recs, replica []*revisions.Record) {
	t.Helper()
	for i := range recs {
		for _, gw := range gws {
			if a, b := versionOf(t, recs[i], gw), versionOf(t, replica[i], gw); a.Version != b.Version || a.Pushed != b.Pushed || !maps.Equal(a.Types, b.Types) {
				t.Errorf("%s %s: replicas disagree: %q/%v %v vs %q/%v %v", recs[i].Short(), gw, a.Version, a.Pushed, a.Types, b.Version, b.Pushed, b.Types)
			}
		}
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
