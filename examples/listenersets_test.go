package examples

import (
	"os"
	"slices"
	"testing"

	"github.com/sluice-gitops/sluice/translate"
	"github.com/sluice-gitops/sluice/translate/status"
)

// TestListenerSetsShareThePort checks that the listener-sets example's
// Gateway serves the shop team's hostname beside its own on one port,
// each to its own backend, and counts the ListenerSet as attached.
func TestListenerSetsShareThePort(t *testing.T) {
	res, err := translate.Translate(os.DirFS("listener-sets"), translate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := res.Gateway("platform", "eg")
	if g == nil || len(g.Listeners) != 1 || len(g.Routes) != 1 {
		t.Fatalf("want one listener and one route table, got %+v", g)
	}
	if port := g.Listeners[0].GetAddress().GetSocketAddress().GetPortValue(); port != 8888 {
		t.Errorf("listener on port %d, want 8888", port)
	}
	clusters := map[string]string{} // domain → cluster
	for _, vh := range g.Routes[0].GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			clusters[vh.GetDomains()[0]] = r.GetRoute().GetCluster()
		}
	}
	want := map[string]string{"status.example.com": "backend/platform/status-page", "shop.example.com": "backend/shop/storefront"}
	for host, c := range want {
		if clusters[host] != c {
			t.Errorf("%s goes to %q, want %q (all: %v)", host, clusters[host], c, clusters)
		}
	}
	i := slices.IndexFunc(res.Status, func(s *status.Object) bool { return s.Kind == "Gateway" && s.Name == "eg" })
	if i < 0 {
		t.Fatal("the Gateway has no status")
	}
	if n := res.Status[i].AttachedListenerSets; n == nil || *n != 1 {
		t.Errorf("the Gateway does not count one attached ListenerSet: %+v", res.Status[i])
	}
}
