package endpoints_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sluice-gitops/sluice/serve/xdstest"
	"github.com/sluice-gitops/sluice/sync/kube/kubetest"
)

// churnRepo routes /svc-I to Service svc-I of ns, for n Services whose
// endpoints are in the cluster.
func churnRepo(ns string, n int) string {
	var b strings.Builder
	b.WriteString(head(ns))
	for i := range n {
		fmt.Fprintf(&b, "    - {matches: [{path: {value: /svc-%d}}], backendRefs: [{name: svc-%d, port: 80}]}\n", i, i)
	}
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%d, namespace: %s}\nspec: {ports: [{name: http, port: 80}]}\n", i, ns)
	}
	return b.String()
}

// BenchmarkEndpointChurn sends b.N EndpointSlice updates to the API
// server from 8 writers, spread over 100 live Services of one gateway,
// while 20 ADS clients watch. Each update replaces the slice's 10
// endpoints with 10 new addresses, as a rolling deploy does. It reports
// the endpoint changes (addresses added) per second the API server took,
// the EDS pushes each client received and the endpoint changes per push:
// batching (100ms) keeps a client's pushes near 10 a second however fast
// the changes come.
func BenchmarkEndpointChurn(b *testing.B) {
	const services, clients, writers, perWrite = 100, 20, 8, 10
	srv := kubetest.Shared(b)
	o := srv.Objects(b)
	ns := o.Namespace("churn")
	for i := range services {
		o.SetSlice(ns, fmt.Sprintf("svc-%d-1", i), fmt.Sprintf("svc-%d", i), "http", 8080, kubetest.Endpoint{Addr: "192.0.2.1"})
	}
	c := startChurnCluster(b, ns, services)
	var cls []*xdstest.Client
	for i := range clients {
		cls = append(cls, xdstest.Dial(b.Context(), b, c.xds, xdstest.Options{NodeID: fmt.Sprintf("envoy-%d", i), Cluster: ns + "/eg"}))
	}
	last := fmt.Sprintf("service/%s/svc-%d/80", ns, services-1)
	for _, cl := range cls {
		cl.WaitFor(30*time.Second, func(s xdstest.State) bool { return endpointsOf(s, last) == ": 192.0.2.1:8080" })
	}
	before := len(cls[0].AckTimes(resourcev3.EndpointType))
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < b.N; i += writers {
				svc := i % services
				o.SetSlice(ns, fmt.Sprintf("svc-%d-1", svc), fmt.Sprintf("svc-%d", svc), "http", 8080, churnEndpoints(i, perWrite)...)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	// The last write of each Service is what every client must hold.
	final := map[int]string{}
	for i := range b.N {
		want := ":"
		for _, e := range churnEndpoints(i, perWrite) {
			want += " " + e.Addr + ":8080"
		}
		final[i%services] = want
	}
	for _, cl := range cls {
		cl.WaitFor(60*time.Second, func(s xdstest.State) bool {
			for svc, want := range final {
				if endpointsOf(s, fmt.Sprintf("service/%s/svc-%d/80", ns, svc)) != want {
					return false
				}
			}
			return true
		})
	}
	b.StopTimer()
	pushes := len(cls[0].AckTimes(resourcev3.EndpointType)) - before
	b.ReportMetric(float64(b.N)/took.Seconds(), "writes/s")
	b.ReportMetric(float64(b.N*perWrite)/took.Seconds(), "endpoint-changes/s")
	b.ReportMetric(float64(pushes), "pushes/client")
	if pushes > 0 {
		b.ReportMetric(float64(b.N*perWrite)/float64(pushes), "endpoint-changes/push")
	}
}

// churnEndpoints are the n endpoints of write i, in address order, each
// address its own (198.18.0.0/15, the benchmarking range).
func churnEndpoints(i, n int) []kubetest.Endpoint {
	var eps []kubetest.Endpoint
	for j := range n {
		k := i*n + j
		eps = append(eps, kubetest.Endpoint{Addr: fmt.Sprintf("198.18.%d.%d", k/250, 1+k%250)})
	}
	return eps
}

func startChurnCluster(b *testing.B, ns string, services int) *cluster {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "routing.yaml"), []byte(churnRepo(ns, services)), 0o600); err != nil {
		b.Fatal(err)
	}
	c := newCluster(b, dir, 0, kubetest.Shared(b).Config("admin"))
	if err := c.rec.SyncOnce(b.Context()); err != nil {
		b.Fatal(err)
	}
	return c
}
