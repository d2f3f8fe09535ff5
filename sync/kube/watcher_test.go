package kube_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"
	"k8s.io/client-go/rest"

	"github.com/sluice-gitops/sluice/sync/kube"
	"github.com/sluice-gitops/sluice/sync/kube/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

var eventually = kubetest.Eventually

// addrs lists the first address of every endpoint of the slices.
func addrs(list []*discoveryv1.EndpointSlice) []string {
	var out []string
	for _, s := range list {
		for _, ep := range s.Endpoints {
			out = append(out, ep.Addresses[0])
		}
	}
	slices.Sort(out)
	return out
}

func startWatcher(t *testing.T, c *rest.Config, namespaces ...string) *kube.Watcher {
	t.Helper()
	w := kube.New(kube.Config{Client: discoveryclient.NewForConfigOrDie(c), Namespaces: namespaces})
	w.Start(t.Context())
	return w
}

// TestWatcherFollowsSlices: slices of a wanted Service are created,
// scaled and deleted on the API server, and the watcher follows; the
// slices of a Service in the same namespace that is not wanted are not
// listed; wanting one more Service restarts the namespace's informer
// without losing the first's slices.
func TestWatcherFollowsSlices(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	ns := o.Namespace("follow")
	w := startWatcher(t, srv.Config("admin"))
	w.Want([]kube.Service{{Namespace: ns, Name: "app"}})
	if !w.WaitSynced(t.Context()) {
		t.Fatal("not synced")
	}
	o.SetSlice(ns, "other-1", "other", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.99"})
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"}, kubetest.Endpoint{Addr: "192.0.2.2"})
	eventually(t, 10*time.Second, "app's slice listed", func() bool { return len(addrs(w.Slices(ns, "app"))) == 2 })
	if got := w.Slices(ns, "other"); len(got) != 0 {
		t.Fatalf("a Service not wanted has slices: %v", addrs(got))
	}
	gen := w.Generation()
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"}, kubetest.Endpoint{Addr: "192.0.2.2"},
		kubetest.Endpoint{Addr: "192.0.2.3"}, kubetest.Endpoint{Addr: "192.0.2.4"})
	o.SetSlice(ns, "app-2", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.5"})
	eventually(t, 10*time.Second, "app scaled to 5", func() bool { return len(addrs(w.Slices(ns, "app"))) == 5 })
	if w.Generation() <= gen {
		t.Fatalf("generation %d did not grow from %d", w.Generation(), gen)
	}

	w.Want([]kube.Service{{Namespace: ns, Name: "app"}, {Namespace: ns, Name: "other"}})
	if got := addrs(w.Slices(ns, "app")); len(got) != 5 {
		t.Fatalf("while the informer restarts, app has %v", got)
	}
	eventually(t, 10*time.Second, "other listed", func() bool { return len(w.Slices(ns, "other")) == 1 })

	o.DeleteSlice(ns, "app-1")
	eventually(t, 10*time.Second, "app-1 deleted", func() bool {
		return slices.Equal(addrs(w.Slices(ns, "app")), []string{"192.0.2.5"})
	})
	if p := w.Problems(); len(p) != 0 {
		t.Fatalf("problems: %q", p)
	}
}

// TestWatcherNamespaceNotWatched names a wanted Service in a namespace
// sluice may not watch.
func TestWatcherNamespaceNotWatched(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	allowed, other := o.Namespace("allowed"), o.Namespace("other")
	o.SetSlice(other, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"})
	w := startWatcher(t, srv.Config("admin"), allowed)
	w.Want([]kube.Service{{Namespace: other, Name: "app"}, {Namespace: allowed, Name: "web"}})
	w.WaitSynced(t.Context())
	p := w.Problems()
	if len(p) != 1 || !strings.Contains(p[0], "namespace "+other+" is not watched (kubernetes.namespaces: "+allowed+"): Services app get no endpoints") {
		t.Fatalf("problems: %q", p)
	}
	if got := w.Slices(other, "app"); len(got) != 0 {
		t.Fatalf("slices of a namespace not watched: %v", addrs(got))
	}
}

// TestWatcherRBAC: without permission to list EndpointSlices the problem
// names RBAC; once a Role grants it, the slices are listed and the
// problem is gone.
func TestWatcherRBAC(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	ns := o.Namespace("rbac")
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"})
	w := startWatcher(t, srv.Config("sluice"))
	w.Want([]kube.Service{{Namespace: ns, Name: "app"}})
	eventually(t, 10*time.Second, "an RBAC problem", func() bool {
		p := w.Problems()
		return len(p) == 1 && strings.Contains(p[0], "namespace "+ns+": missing RBAC permission") && strings.Contains(p[0], "forbidden")
	})
	o.GrantSlices(ns, "sluice")
	// The informer retries with a growing backoff (up to 30s).
	eventually(t, 60*time.Second, "slices listed once granted", func() bool {
		return len(w.Slices(ns, "app")) == 1 && len(w.Problems()) == 0
	})
}

// TestWatcherAPIServerLost: when the connection to the API server is cut,
// the watcher keeps the slices it listed and says the API server does not
// answer; when it is back, it follows changes again.
func TestWatcherAPIServerLost(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	ns := o.Namespace("lost")
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"})
	p, c := srv.ProxiedConfig(t)
	w := startWatcher(t, c)
	w.Want([]kube.Service{{Namespace: ns, Name: "app"}})
	eventually(t, 10*time.Second, "listed", func() bool { return len(w.Slices(ns, "app")) == 1 })

	p.Cut()
	eventually(t, 30*time.Second, "the lost API server named", func() bool {
		pr := w.Problems()
		return len(pr) == 1 && strings.Contains(pr[0], "namespace "+ns+": the API server does not answer") &&
			strings.Contains(pr[0], "the last endpoints listed keep serving")
	})
	if got := addrs(w.Slices(ns, "app")); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("the last slices are gone: %v", got)
	}
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"}, kubetest.Endpoint{Addr: "192.0.2.2"})

	p.Restore()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for len(w.Problems()) != 0 || len(addrs(w.Slices(ns, "app"))) != 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("not back: problems %q, slices %v", w.Problems(), addrs(w.Slices(ns, "app")))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
