package endpoints_test

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/sluice-gitops/sluice/serve/endpoints"
	"github.com/sluice-gitops/sluice/translate"
)

var app = translate.LiveService{Namespace: "shop", Name: "app", Port: 80, PortName: "http", Protocol: corev1.ProtocolTCP}

func slice(addrType discoveryv1.AddressType, portName string, port int32, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{AddressType: addrType, Endpoints: eps,
		Ports: []discoveryv1.EndpointPort{{Name: &portName, Port: &port}}}
}

func ep(addr, zone string, ready, serving *bool) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{addr}, Conditions: discoveryv1.EndpointConditions{Ready: ready, Serving: serving}}
	if zone != "" {
		e.Zone = &zone
	}
	return e
}

// TestZoneLocalities: ready and serving endpoints only (no condition is
// ready), of the slices with the Service port's name, IPv4 and IPv6 (in
// canonical form), grouped by zone, sorted and without repeats; FQDN
// slices left out.
func TestZoneLocalities(t *testing.T) {
	yes, no := new(bool), new(bool)
	*yes = true
	list := []*discoveryv1.EndpointSlice{
		slice(discoveryv1.AddressTypeIPv4, "http", 8080,
			ep("192.0.2.2", "b", yes, nil), ep("192.0.2.1", "a", nil, nil),
			ep("192.0.2.3", "a", no, nil), ep("192.0.2.4", "a", nil, no), ep("192.0.2.9", "", yes, yes)),
		slice(discoveryv1.AddressTypeIPv4, "http", 8080, ep("192.0.2.1", "a", yes, yes)), // a repeat
		slice(discoveryv1.AddressTypeIPv6, "http", 8080, ep("2001:db8:0::1", "b", yes, yes)),
		slice(discoveryv1.AddressTypeIPv4, "metrics", 9090, ep("192.0.2.7", "a", yes, yes)),
		slice(discoveryv1.AddressTypeFQDN, "http", 8080, ep("app.example.com", "a", yes, yes)),
	}
	got := describeLocs(endpoints.ZoneLocalities(app, list))
	want := ": 192.0.2.9:8080; a: 192.0.2.1:8080; b: 192.0.2.2:8080 2001:db8::1:8080"
	if got != want {
		t.Fatalf("localities\n got %s\nwant %s", got, want)
	}
	if got := endpoints.ZoneLocalities(app, nil); len(got) != 1 || len(got[0].LbEndpoints) != 0 {
		t.Fatalf("no slices: %s", describeLocs(got))
	}
}

// TestFill: the assignment of the Service's cluster and of a policy's
// copy take the live endpoints; a failover cluster's locality named after
// the Service takes them and keeps its priority; others are shared as
// they are.
func TestFill(t *testing.T) {
	live := map[string][]*endpointv3.LocalityLbEndpoints{
		app.Cluster(): endpoints.ZoneLocalities(app, []*discoveryv1.EndpointSlice{slice(discoveryv1.AddressTypeIPv4, "http", 8080, ep("192.0.2.1", "a", nil, nil))}),
	}
	backend := &endpointv3.ClusterLoadAssignment{ClusterName: "backend/shop/b", Endpoints: []*endpointv3.LocalityLbEndpoints{{}}}
	if endpoints.Fill(backend, live) != backend {
		t.Fatal("an assignment without live Services was copied")
	}
	for _, name := range []string{"service/shop/app/80", "service/shop/app/80/btp/shop/policy"} {
		cla := &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{}}}
		got := endpoints.Fill(cla, live)
		if d := describeLocs(got.Endpoints); d != "a: 192.0.2.1:8080" || got.ClusterName != name {
			t.Fatalf("%s: %s", name, d)
		}
		if len(cla.Endpoints[0].LbEndpoints) != 0 {
			t.Fatal("the translation's assignment was changed")
		}
	}
	failover := &endpointv3.ClusterLoadAssignment{ClusterName: "failover/httproute/shop/web/rule/0", Endpoints: []*endpointv3.LocalityLbEndpoints{
		{Locality: &corev3.Locality{Region: "service/shop/app/80"}},
		{Locality: &corev3.Locality{Region: "backend/shop/standby"}, Priority: 1},
	}}
	got := endpoints.Fill(failover, live)
	if d := describeLocs(got.Endpoints); d != "service/shop/app/80: 192.0.2.1:8080; backend/shop/standby:" || got.Endpoints[1].Priority != 1 {
		t.Fatalf("failover: %s", d)
	}
	for _, cla := range []*endpointv3.ClusterLoadAssignment{got, endpoints.Fill(&endpointv3.ClusterLoadAssignment{ClusterName: "service/shop/app/80"}, live)} {
		if err := cla.ValidateAll(); err != nil {
			t.Fatal(err)
		}
	}
}
