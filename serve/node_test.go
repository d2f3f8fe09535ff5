package serve_test

import (
	"fmt"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sluice-gitops/sluice/serve/publish"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
)

// emptyAt holds when the client ACKed version on CDS and LDS and holds
// no resource at all.
func emptyAt(version string) func(xdstest.State) bool {
	return func(s xdstest.State) bool {
		return s.Versions[resourcev3.ClusterType] == version && s.Versions[resourcev3.ListenerType] == version &&
			len(s.Clusters)+len(s.Listeners)+len(s.Routes)+len(s.Endpoints) == 0
	}
}

func TestGatewayKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"eg": "default/eg", "infra/eg": "infra/eg", "": ""} {
		if got := publish.GatewayKey(in); got != want {
			t.Errorf("GatewayKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnknownAndRemovedGateways checks the Envoy-to-gateway mapping: no
// answer before any revision, node.cluster "eg" serving default/eg, an
// empty snapshot for an unknown gateway (whether its Envoy came before or
// after the first revision) and for a gateway a revision removed.
func TestUnknownAndRemovedGateways(t *testing.T) {
	t.Parallel()
	h := start(t, harnessOpts{})
	short := h.dial(t, xdstest.Options{NodeID: "envoy-short", Cluster: "eg"})
	early := h.dial(t, xdstest.Options{NodeID: "stray-early", Cluster: "default/nope"})
	waitUntil(t, "both Envoys known", func() error {
		if n := len(h.srv.Nodes()); n != 2 {
			return fmt.Errorf("%d nodes", n)
		}
		return nil
	})
	// Before any revision nobody is answered. Absence cannot be waited
	// for, so give the server a short, bounded chance to answer wrongly.
	time.Sleep(200 * time.Millisecond)
	for _, c := range []*xdstest.Client{short, early} {
		if s := c.Snapshot(); len(s.Versions) != 0 {
			t.Errorf("answered before any revision:\n%s", s)
		}
	}
	if h.srv.Ready() {
		t.Error("Ready before any revision")
	}

	rev1 := revision("one gateway")
	rec1 := h.apply(t, rev1, translateYAML(t, []string{"default/eg"}, gatewayYAML("eg", 8888, 3000)), revisions.StateApplied)
	eg1 := versionOf(t, rec1, "default/eg")
	short.WaitFor(wait, func(s xdstest.State) bool { return atVersion(eg1)(s) && endpointPort(s) == 3000 })
	if s := short.Snapshot(); s.Listeners["default/eg/http"] == nil {
		t.Errorf("node.cluster eg did not get default/eg's listener:\n%s", s)
	}
	var nodeGateway string
	for _, n := range h.srv.Nodes() {
		if n.Node == "envoy-short" {
			nodeGateway = n.Gateway
		}
	}
	if nodeGateway != "default/eg" {
		t.Errorf("envoy-short maps to gateway %q, want default/eg", nodeGateway)
	}

	// The unknown gateway's Envoy that connected before the revision, and
	// one that connects after, both get an empty snapshot of rev1.
	// Versions come from content alone: an empty type has the same version
	// on every gateway, CDS as LDS.
	early.WaitFor(wait, func(s xdstest.State) bool {
		v := s.Versions[resourcev3.ClusterType]
		return v != "" && emptyAt(v)(s)
	})
	emptyV := early.Snapshot().Versions[resourcev3.ClusterType]
	late := h.dial(t, xdstest.Options{NodeID: "stray-late", Cluster: "default/nope"})
	late.WaitFor(wait, emptyAt(emptyV))

	// rev2 removes default/eg: its Envoys get an empty snapshot.
	rev2 := revision("remove eg")
	res2 := translateYAML(t, nil)
	rec2 := h.apply(t, rev2, res2, revisions.StateApplied)
	g := versionOf(t, rec2, "default/eg")
	if !g.Pushed || g.Types["Cluster"] != emptyV || g.Types["Listener"] != emptyV {
		t.Errorf("removed gateway: %+v, want pushed with empty types at %s", g, emptyV)
	}
	for typ, n := range g.Resources {
		if n != 0 {
			t.Errorf("removed gateway has %d %s", n, typ)
		}
	}
	short.WaitFor(wait, emptyAt(emptyV))
}
