package endpoints_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	discoveryclient "k8s.io/client-go/kubernetes/typed/discovery/v1"
	"k8s.io/client-go/rest"

	"github.com/sluice-gitops/sluice/serve/endpoints"
	"github.com/sluice-gitops/sluice/serve/reconcile"
	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/serve/xdstest"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/kube"
	"github.com/sluice-gitops/sluice/sync/kube/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// head is a GatewayClass, Gateway eg of namespace ns and the start of
// its HTTPRoute web, up to its rules.
func head(ns string) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: %[1]s}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: %[1]s}
spec:
  parentRefs: [{name: eg}]
  rules:
`, ns)
}

// repo routes /app to Service app of namespace ns, whose endpoints are in
// the cluster, and /static to Service static, whose EndpointSlice is in
// the repository.
func repo(ns string) string {
	return head(ns) + fmt.Sprintf(`    - matches: [{path: {value: /app}}]
      backendRefs: [{name: app, port: 80}]
    - matches: [{path: {value: /static}}]
      backendRefs: [{name: static, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: %[1]s}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: static, namespace: %[1]s}
spec: {ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: static-1, namespace: %[1]s, labels: {kubernetes.io/service-name: static}}
addressType: IPv4
ports: [{port: 80}]
endpoints: [{addresses: [198.51.100.1]}]
`, ns)
}

// cluster is sluice serve's pieces in cluster mode: a directory source,
// the history and its publisher on a loopback port, live endpoints from
// the test API server, and the reconciler that wires them.
type cluster struct {
	hist *revisions.History
	rec  *reconcile.Reconciler
	live *endpoints.Live
	xds  string
	reg  *prometheus.Registry
}

// startCluster starts sluice on the repository of ns, watching as c the
// namespaces (any when none).
func startCluster(t *testing.T, ns string, batch time.Duration, c *rest.Config, namespaces ...string) *cluster {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "routing.yaml"), []byte(repo(ns)), 0o600); err != nil {
		t.Fatal(err)
	}
	return newCluster(t, dir, batch, c, namespaces...)
}

// newCluster starts sluice on the repository in dir.
func newCluster(t testing.TB, dir string, batch time.Duration, c *rest.Config, namespaces ...string) *cluster {
	t.Helper()
	src, err := gitsync.NewDirSource(gitsync.DirConfig{Paths: []string{dir}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	hist, err := revisions.New(revisions.Options{Logger: slog.New(slog.DiscardHandler), Registerer: reg, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	live := endpoints.New(endpoints.Options{
		Watch: kube.Config{Client: discoveryclient.NewForConfigOrDie(c), Namespaces: namespaces},
		Batch: batch, Registerer: reg, Logger: slog.New(slog.DiscardHandler),
	})
	rec := reconcile.New(reconcile.Options{Source: src, History: hist, Endpoints: live, Logger: slog.New(slog.DiscardHandler)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	live.Start(ctx)
	go func() { rec.ServeEndpoints(ctx); done <- struct{}{} }()
	go func() { _ = hist.Publisher().Serve(ctx, lis); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
		hist.Close()
	})
	return &cluster{hist: hist, rec: rec, live: live, xds: lis.Addr().String(), reg: reg}
}

// endpointsOf describes the assignment of cluster name as the client
// holds it: "zone: addr:port ...; zone: ...", or "none".
func endpointsOf(s xdstest.State, name string) string {
	cla, ok := s.Endpoints[name]
	if !ok {
		return "none"
	}
	return describe(cla)
}

func describe(cla *endpointv3.ClusterLoadAssignment) string { return describeLocs(cla.Endpoints) }

// describeLocs prints localities as "zone: addr:port ...; zone: ...",
// a failover locality by its region.
func describeLocs(locs []*endpointv3.LocalityLbEndpoints) string {
	out := ""
	for i, l := range locs {
		if i > 0 {
			out += "; "
		}
		out += l.GetLocality().GetZone() + l.GetLocality().GetRegion() + ":"
		for _, lb := range l.LbEndpoints {
			sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
			out += fmt.Sprintf(" %s:%d", sa.GetAddress(), sa.GetPortValue())
		}
	}
	return out
}

// waitAll waits until every client holds want for cluster name.
func waitAll(t *testing.T, clients []*xdstest.Client, name, want string) {
	t.Helper()
	for _, c := range clients {
		c.WaitFor(20*time.Second, func(s xdstest.State) bool { return endpointsOf(s, name) == want })
	}
}

// TestLiveEndpointsOverEDS: the EndpointSlices of a Service the
// repository has none for are created, scaled and deleted on a real API
// server while ADS clients (SotW and delta) watch: each change reaches
// them over EDS without a new revision, the revision's record shows the
// endpoint generation and its Envoys' new version, and the Service whose
// slice is in the repository keeps its endpoints.
func TestLiveEndpointsOverEDS(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	ns := o.Namespace("eds")
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1", Zone: "a"})
	c := startCluster(t, ns, 50*time.Millisecond, srv.Config("admin"))
	if err := c.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	appCluster := "service/" + ns + "/app/80"
	gw := ns + "/eg"
	clients := []*xdstest.Client{
		xdstest.Dial(t.Context(), t, c.xds, xdstest.Options{NodeID: "sotw", Cluster: gw}),
		xdstest.Dial(t.Context(), t, c.xds, xdstest.Options{NodeID: "delta", Cluster: gw, Delta: true}),
	}
	// The first revision is served with the endpoints listed before it.
	waitAll(t, clients, appCluster, "a: 192.0.2.1:8080")
	waitAll(t, clients, "service/"+ns+"/static/80", ": 198.51.100.1:80")
	before := clients[0].Snapshot().Versions

	// Scaled: two zones, IPv6, one endpoint not ready, one terminating.
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1", Zone: "a"},
		kubetest.Endpoint{Addr: "192.0.2.2", Zone: "b"}, kubetest.Endpoint{Addr: "192.0.2.3", Zone: "b", NotReady: true},
		kubetest.Endpoint{Addr: "192.0.2.4", Zone: "a", Terminating: true})
	o.SetSlice(ns, "app-v6", "app", "http", 8080, kubetest.Endpoint{Addr: "2001:db8::1", Zone: "b"})
	waitAll(t, clients, appCluster, "a: 192.0.2.1:8080; b: 192.0.2.2:8080 2001:db8::1:8080")
	// Only EDS moved: the other types keep their versions.
	after := clients[0].Snapshot().Versions
	for _, typ := range []string{resourcev3.ClusterType, resourcev3.ListenerType, resourcev3.RouteType} {
		if before[typ] == "" || after[typ] != before[typ] {
			t.Errorf("%s version %q became %q on an endpoint change", typ, before[typ], after[typ])
		}
	}
	if after[resourcev3.EndpointType] == before[resourcev3.EndpointType] {
		t.Errorf("EDS version stayed %q", after[resourcev3.EndpointType])
	}

	recs := c.hist.Revisions()
	if len(recs) != 1 {
		t.Fatalf("%d revisions; endpoint changes must not make new ones", len(recs))
	}
	rec := recs[0]
	if rec.Endpoints == nil || rec.Endpoints.Generation == 0 || rec.Endpoints.Updates == 0 {
		t.Fatalf("record's endpoints: %+v", rec.Endpoints)
	}
	eds := rec.Gateways[0].Types["ClusterLoadAssignment"]
	if eds == "" || eds == before[resourcev3.EndpointType] {
		t.Fatalf("the record's EDS version %q is not the new one", eds)
	}
	for _, cl := range clients {
		cl.WaitFor(10*time.Second, func(s xdstest.State) bool { return s.Versions[resourcev3.EndpointType] == eds })
	}
	// The ACKs reach sluice after the clients took the version.
	kubetest.Eventually(t, 10*time.Second, "both clients ACKed the new version in the record", func() bool {
		h := c.hist.Revision(rec.SHA).Gateways[0]
		return len(h.Acked) == 2 && len(h.Pending) == 0
	})

	o.DeleteSlice(ns, "app-1")
	waitAll(t, clients, appCluster, "b: 2001:db8::1:8080")
	o.DeleteSlice(ns, "app-v6")
	waitAll(t, clients, appCluster, ":")
	waitAll(t, clients, "service/"+ns+"/static/80", ": 198.51.100.1:80")
	if p, live := c.hist.EndpointProblems(); !live || len(p) != 0 {
		t.Fatalf("problems %q (live %v)", p, live)
	}
}

// TestLiveEndpointsBatch: a burst of changes (10 writers, 30 slices of
// one Service) reaches an Envoy in at most one push per batch window (1s
// here), however fast the changes come.
func TestLiveEndpointsBatch(t *testing.T) {
	srv := kubetest.Shared(t)
	o := srv.Objects(t)
	ns := o.Namespace("batch")
	o.SetSlice(ns, "app-1", "app", "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"})
	const window = time.Second
	c := startCluster(t, ns, window, srv.Config("admin"))
	if err := c.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	cl := xdstest.Dial(t.Context(), t, c.xds, xdstest.Options{NodeID: "n", Cluster: ns + "/eg"})
	appCluster := "service/" + ns + "/app/80"
	waitAll(t, []*xdstest.Client{cl}, appCluster, ": 192.0.2.1:8080")
	before := len(cl.AckTimes(resourcev3.EndpointType))
	const changes, writers = 30, 10
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < changes; i += writers {
				o.SetSlice(ns, fmt.Sprintf("app-burst-%d", i), "app", "http", 8080, kubetest.Endpoint{Addr: fmt.Sprintf("192.0.2.%d", 10+i)})
			}
		})
	}
	wg.Wait()
	want := ": 192.0.2.1:8080"
	for i := range changes {
		want += fmt.Sprintf(" 192.0.2.%d:8080", 10+i)
	}
	waitAll(t, []*xdstest.Client{cl}, appCluster, want)
	took := time.Since(start)
	pushes := len(cl.AckTimes(resourcev3.EndpointType)) - before
	t.Logf("%d endpoint changes in %s reached the Envoy in %d EDS pushes", changes, took.Round(time.Millisecond), pushes)
	if limit := int(took/window) + 1; pushes < 1 || pushes > limit {
		t.Fatalf("%d pushes for %d changes in %s: more than one per window (%d)", pushes, changes, took, limit)
	}
}
