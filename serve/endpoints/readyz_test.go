package endpoints_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/serve"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/sync/kube/kubetest"
)

// readyz is the body of /readyz.
type readyz struct {
	Ready            bool     `json:"ready"`
	Kubernetes       string   `json:"kubernetes"`
	KubernetesErrors []string `json:"kubernetesErrors"`
}

func getReadyz(t *testing.T, url string) (int, readyz) {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r readyz
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r
}

// waitReadyz polls /readyz until cond holds.
func waitReadyz(t *testing.T, url, what string, cond func(readyz) bool) readyz {
	t.Helper()
	var r readyz
	kubetest.Eventually(t, 40*time.Second, "/readyz "+what, func() bool {
		var code int
		code, r = getReadyz(t, url)
		return code == http.StatusOK && cond(r)
	})
	return r
}

// TestLiveEndpointsAPIServerLost: when the API server cannot be reached,
// /readyz stays 200 but says kubernetes degraded and why, and the Envoys
// keep the last endpoints; when it is back, changes made meanwhile are
// served and /readyz is ok again.
func TestLiveEndpointsAPIServerLost(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	ns := o.Namespace("lost")
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"})
	p, conf := srv.ProxiedConfig(t)
	c := startCluster(t, ns, 50*time.Millisecond, conf)
	if err := c.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(serve.AdminHandler(c.hist, serve.AdminOptions{Gatherer: c.reg}))
	t.Cleanup(admin.Close)
	cl := xdstest.Dial(t.Context(), t, c.xds, xdstest.Options{NodeID: "n", Cluster: ns + "/eg"})
	appCluster := "service/" + ns + "/app/80"
	waitAll(t, []*xdstest.Client{cl}, appCluster, ": 192.0.2.1:8080")
	waitReadyz(t, admin.URL, "ok", func(r readyz) bool { return r.Kubernetes == "ok" })

	p.Cut()
	r := waitReadyz(t, admin.URL, "degraded", func(r readyz) bool { return r.Kubernetes == "degraded" })
	if !r.Ready || len(r.KubernetesErrors) != 1 || !strings.Contains(r.KubernetesErrors[0], "namespace "+ns+": the API server does not answer") {
		t.Fatalf("/readyz: %+v", r)
	}
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.2"})
	if got := endpointsOf(cl.Snapshot(), appCluster); got != ": 192.0.2.1:8080" {
		t.Fatalf("while the API server is lost the Envoy holds %s", got)
	}

	p.Restore()
	waitAll(t, []*xdstest.Client{cl}, appCluster, ": 192.0.2.2:8080")
	waitReadyz(t, admin.URL, "ok again", func(r readyz) bool { return r.Kubernetes == "ok" && len(r.KubernetesErrors) == 0 })
}

// TestLiveEndpointsNamespaceNotWatched: a route to a Service in a
// namespace sluice may not watch is named in /readyz, and its cluster has
// no endpoints.
func TestLiveEndpointsNamespaceNotWatched(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	ns, allowed := o.Namespace("forbidden"), o.Namespace("allowed")
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"})
	c := startCluster(t, ns, 50*time.Millisecond, srv.Config("admin"), allowed)
	if err := c.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(serve.AdminHandler(c.hist, serve.AdminOptions{}))
	t.Cleanup(admin.Close)
	r := waitReadyz(t, admin.URL, "degraded", func(r readyz) bool { return r.Kubernetes == "degraded" })
	if len(r.KubernetesErrors) != 1 || !strings.Contains(r.KubernetesErrors[0], "namespace "+ns+" is not watched") {
		t.Fatalf("/readyz: %+v", r)
	}
	cl := xdstest.Dial(t.Context(), t, c.xds, xdstest.Options{NodeID: "n", Cluster: ns + "/eg"})
	waitAll(t, []*xdstest.Client{cl}, "service/"+ns+"/app/80", ":")
}
