package translate

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	corev1 "k8s.io/api/core/v1"
)

// liveRepo routes to a Service without EndpointSlices (app, named port,
// and through a BackendTrafficPolicy's copy too), one with slices in the
// repository (withslices) and an ExternalName Service (ext).
const liveRepo = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: infra}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: eg, namespace: infra}]
  rules:
    - matches: [{path: {value: /app}}]
      backendRefs: [{name: app, port: 80}]
    - matches: [{path: {value: /slices}}]
      backendRefs: [{name: withslices, port: 80}]
    - matches: [{path: {value: /ext}}]
      backendRefs: [{name: ext, port: 443}]
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: shop}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: withslices, namespace: shop}
spec: {ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: withslices-1, namespace: shop, labels: {kubernetes.io/service-name: withslices}}
addressType: IPv4
ports: [{port: 8080}]
endpoints: [{addresses: [10.0.0.1]}]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec: {type: ExternalName, externalName: example.com}
`

func TestLiveServices(t *testing.T) {
	fsys := fstest.MapFS{"repo.yaml": {Data: []byte(liveRepo)}}
	res, err := Translate(fsys, Options{LiveEndpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	g := res.Gateway("infra", "eg")
	want := []LiveService{{Namespace: "shop", Name: "app", Port: 80, PortName: "http", Protocol: corev1.ProtocolTCP}}
	if !reflect.DeepEqual(g.LiveServices, want) {
		t.Fatalf("LiveServices = %+v, want %+v", g.LiveServices, want)
	}
	if c := want[0].Cluster(); c != "service/shop/app/80" {
		t.Fatalf("Cluster() = %q", c)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "Service shop/app") {
			t.Fatalf("a live Service warns: %s", w)
		}
	}

	// Offline (sluice validate), today's behaviour: a warning, no list.
	res, err = Translate(fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Gateway("infra", "eg").LiveServices; l != nil {
		t.Fatalf("LiveServices without the option = %+v", l)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "Service shop/app: no EndpointSlice is labelled") {
		t.Fatalf("no warning for the Service without slices: %q", res.Warnings)
	}
}

// TestLiveServicesFailover finds a Service that is a locality of a
// failover cluster.
func TestLiveServicesFailover(t *testing.T) {
	b, err := os.ReadFile("testdata/backend-failover-service.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Drop the repository's slices, so that the Service's endpoints are
	// live, and the FQDN fallback of rule 0, which makes its cluster
	// resolve DNS itself rather than take EDS.
	in := strings.Replace(string(b), "kind: EndpointSlice", "kind: EndpointSliceGone", 1)
	in = strings.Replace(in, "- {group: gateway.envoyproxy.io, kind: Backend, name: standby-1, weight: 2}", "", 1)
	res, err := Translate(fstest.MapFS{"r.yaml": {Data: []byte(in)}}, Options{LiveEndpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Gateway("default", "eg").LiveServices
	if len(got) != 1 || got[0].Cluster() != "service/default/app/80" {
		t.Fatalf("LiveServices = %+v", got)
	}
	if p, ok := ServiceOfCluster("service/default/app/80/btp/default/p"); !ok || p != "service/default/app/80" {
		t.Fatalf("ServiceOfCluster of a copy = %q, %v", p, ok)
	}
	if _, ok := ServiceOfCluster("backend/default/x"); ok {
		t.Fatal("a Backend cluster is taken for a Service's")
	}
}
