package policies

import (
	"reflect"
	"strings"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

func TestAttachRouteKinds(t *testing.T) {
	targets := Targets{
		Gateways: []Gateway{{Namespace: "default", Name: "eg", Listeners: []string{"db"}}},
		Routes: []Route{{Kind: KindTCPRoute, Namespace: "default", Name: "db", Labels: map[string]string{"app": "db"},
			Parents: []Parent{{"default", "eg", "db"}}}},
	}
	l4 := on("l4", 0, KindTCPRoute, "db", "")
	l4.RouteKinds = L4RouteKinds
	sel := selecting("sel", KindTCPRoute, map[string]string{"app": "db"})
	sel.RouteKinds = L4RouteKinds
	sel.Created = time.Date(2024, 1, 1, 0, 5, 0, 0, time.UTC)
	httpOnly := on("http", 1, KindTCPRoute, "db", "")
	httpSel := selecting("httpsel", KindTCPRoute, map[string]string{"app": "db"})
	a := Attach([]Policy{l4, sel, httpOnly, httpSel}, targets)

	if got := a.Effective(KindTCPRoute, "default", "db", Parent{"default", "eg", "db"}); got != 0 {
		t.Errorf("policy in force on the TCPRoute = %d, want 0 (the older one)", got)
	}
	if got := summary(a.Status(1)); got != "default/eg:Conflicted" {
		t.Errorf("the newer L4 policy: %s, want Conflicted", got)
	}
	st := a.Status(2)
	if got := summary(st); got != "Invalid" {
		t.Fatalf("a TCPRoute target of an HTTP-only kind: %s, want Invalid", got)
	}
	if msg := st.Conditions[0].Message; !strings.Contains(msg, `"TCPRoute" is not supported by sluice; supported: Gateway, HTTPRoute, GRPCRoute`) {
		t.Errorf("message %q does not name the supported kinds", msg)
	}
	if got := summary(a.Status(3)); got != "Invalid" {
		t.Errorf("a TCPRoute selector of an HTTP-only kind: %s, want Invalid", got)
	}
}

func TestL4Ignored(t *testing.T) {
	d := gwapiv1.Duration("5s")
	n := int64(3)
	spec := egv1a1.BackendTrafficPolicySpec{}
	retries := int32(2)
	spec.Retry = &egv1a1.Retry{NumRetries: &retries}
	spec.Timeout = &egv1a1.Timeout{TCP: &egv1a1.TCPTimeout{ConnectTimeout: &d}, HTTP: &egv1a1.HTTPTimeout{RequestTimeout: &d}}
	spec.CircuitBreaker = &egv1a1.CircuitBreaker{MaxRequestsPerConnection: &n}
	spec.LoadBalancer = &egv1a1.LoadBalancer{Type: egv1a1.ConsistentHashLoadBalancerType,
		ConsistentHash: &egv1a1.ConsistentHash{Type: egv1a1.HeaderConsistentHashType}}
	tcp, udp := l4Ignored(spec)
	wantTCP := []string{"spec.circuitBreaker.maxRequestsPerConnection", "spec.loadBalancer.consistentHash (type Header)", "spec.retry", "spec.timeout.http"}
	wantUDP := []string{"spec.circuitBreaker", "spec.loadBalancer.consistentHash (type Header)", "spec.retry", "spec.timeout"}
	if !reflect.DeepEqual(tcp, wantTCP) {
		t.Errorf("tcp = %q, want %q", tcp, wantTCP)
	}
	if !reflect.DeepEqual(udp, wantUDP) {
		t.Errorf("udp = %q, want %q", udp, wantUDP)
	}
}

// l4Gateway has cluster c behind an HTTP route, a TCP proxy reached on
// two listeners (sharing one backends slice) and a UDP listener.
func l4Gateway() (*ir.Gateway, []ir.WeightedBackend) {
	origin := func(kind, listener string) *ir.RouteOrigin {
		return &ir.RouteOrigin{Kind: kind, Namespace: "default", Name: "r", GatewayNamespace: "default", GatewayName: "eg", Listener: listener}
	}
	shared := []ir.WeightedBackend{{Cluster: "c", Weight: 1}}
	return &ir.Gateway{
		Clusters: []*ir.Cluster{{Name: "c"}},
		Listeners: []*ir.Listener{
			{Name: "a", TCP: &ir.TCPProxy{Name: "a", Backends: shared, Origin: origin(KindTCPRoute, "a")}},
			{Name: "b", TCP: &ir.TCPProxy{Name: "b", Backends: shared, Origin: origin(KindTCPRoute, "b")}},
		},
		UDPListeners: []*ir.UDPListener{{Name: "u", Cluster: "c", Origin: origin(KindUDPRoute, "u")}},
	}, shared
}

func TestApplyL4(t *testing.T) {
	idle := ir.Duration(time.Minute)
	lb := &ir.LoadBalancer{Type: ir.LBConsistentHash, Hash: []ir.HashPolicy{{SourceIP: true}}}
	f := &btpFeatures{cluster: &ir.ClusterTraffic{
		LoadBalancer: lb, CircuitBreaker: &ir.CircuitBreaker{MaxConnections: 5}, IdleTimeout: &idle}}
	g, shared := l4Gateway()
	byName := map[string]*ir.Cluster{"c": g.Clusters[0]}
	replaced, notes := map[string]bool{}, []map[string]bool{{}}
	onlyA := func(o *ir.RouteOrigin) int {
		if o.Listener == "b" {
			return -1
		}
		return 0
	}
	applyL4(g, onlyA, []*btpFeatures{f}, []string{"default/p"}, notes, byName, replaced)
	pruneClusters(g, replaced, map[string]bool{})

	if got := g.Listeners[0].TCP.Backends[0].Cluster; got != "c/btp/default/p/tcp" {
		t.Errorf("listener a's cluster = %q, want the TCP copy (no HTTP idle timeout)", got)
	}
	if got := g.Listeners[1].TCP.Backends[0].Cluster; got != "c" || shared[0].Cluster != "c" {
		t.Errorf("listener b (no policy) uses %q, the shared slice %q: want the plain cluster", got, shared[0].Cluster)
	}
	if got := g.UDPListeners[0].Cluster; got != "c/btp/default/p/udp" {
		t.Errorf("UDP listener's cluster = %q, want the UDP copy", got)
	}
	tcp, udp := byName["c/btp/default/p/tcp"], byName["c/btp/default/p/udp"]
	if tcp == nil || tcp.Traffic.IdleTimeout != nil || tcp.Traffic.CircuitBreaker == nil || tcp.Traffic.LoadBalancer != lb {
		t.Errorf("TCP copy traffic = %+v, want the circuit breaker and load balancer without the idle timeout", tcp)
	}
	if udp == nil || udp.Traffic.CircuitBreaker != nil || udp.Traffic.LoadBalancer != lb {
		t.Errorf("UDP copy traffic = %+v, want the load balancer only", udp)
	}
	if !reflect.DeepEqual(g.Listeners[0].TCP.Hash, lb.Hash) || !reflect.DeepEqual(g.UDPListeners[0].Hash, lb.Hash) {
		t.Errorf("hash policies: tcp %v, udp %v; want source IP on both", g.Listeners[0].TCP.Hash, g.UDPListeners[0].Hash)
	}
	if g.Listeners[1].TCP.Hash != nil {
		t.Errorf("listener b has a hash policy without a policy")
	}
	var names []string
	for _, c := range g.Clusters {
		names = append(names, c.Name)
	}
	if want := []string{"c", "c/btp/default/p/tcp", "c/btp/default/p/udp"}; !reflect.DeepEqual(names, want) {
		t.Errorf("clusters = %q, want %q (c is still used by listener b)", names, want)
	}
}

func TestApplyL4SharesHTTPCopy(t *testing.T) {
	// Settings that mean the same on TCP: the copy HTTP routes use.
	f := &btpFeatures{cluster: &ir.ClusterTraffic{CircuitBreaker: &ir.CircuitBreaker{MaxConnections: 5}}}
	g, _ := l4Gateway()
	byName, notes := map[string]*ir.Cluster{"c": g.Clusters[0]}, []map[string]bool{{}}
	all := func(*ir.RouteOrigin) int { return 0 }
	applyL4(g, all, []*btpFeatures{f}, []string{"default/p"}, notes, byName, map[string]bool{})
	if got := g.Listeners[0].TCP.Backends[0].Cluster; got != "c/btp/default/p" {
		t.Errorf("TCP cluster = %q, want the policy's plain copy", got)
	}
	if got := g.UDPListeners[0].Cluster; got != "c" {
		t.Errorf("UDP cluster = %q: a circuit breaker does not apply to UDP, want the plain cluster", got)
	}
	if len(notes[0]) != 0 {
		t.Errorf("notes %v without ignored fields", notes[0])
	}
	f.udpIgnored = []string{"spec.circuitBreaker"}
	applyL4(g, all, []*btpFeatures{f}, []string{"default/p"}, notes, byName, map[string]bool{})
	if !notes[0]["field spec.circuitBreaker does not apply to UDPRoute default/r and is ignored for it"] {
		t.Errorf("notes %v do not name the UDP route's ignored field", notes[0])
	}
}
