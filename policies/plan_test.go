package policies

import (
	"slices"
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// applySecurity applies SecurityPolicies to built gateways the way
// translate does, through a Plan: each route, then each Gateway, then the
// status.
func applySecurity(in SecurityInput, gateways []*ir.Gateway) []*status.Object {
	_, sp := applyPlan(PlanInput{Security: in}, nil, gateways)
	return sp
}

// applyPlan applies a Plan made with last to the routes of built gateways,
// finishes them and sorts their clusters, and returns the Plan's status.
func applyPlan(in PlanInput, last *Plan, gateways []*ir.Gateway) (*Plan, []*status.Object) {
	p := NewPlan(in, last)
	for _, g := range gateways {
		forEachVirtualHost(g, func(vh *ir.VirtualHost) {
			for _, r := range vh.Routes {
				p.ApplyRoute(r, p.InForce(&r.Origin))
			}
		})
		p.FinishGateway(g)
		slices.SortFunc(g.Clusters, func(a, b *ir.Cluster) int { return strings.Compare(a.Name, b.Name) })
	}
	btp, sp := p.Status()
	return p, append(btp, sp...)
}

// TestPlanKeepsEqualValues: a Plan made with the last one gives routes
// the same InForce (==) and Gateways the same cluster copies while the
// policies are equal, even as new objects; a changed policy gives another.
func TestPlanKeepsEqualValues(t *testing.T) {
	orig := &ir.Cluster{Name: "c"} // the same backend each time
	build := func() []*ir.Gateway {
		g := planGateway()
		g.Clusters[0] = orig
		return []*ir.Gateway{g}
	}
	spec := func(retries int) PlanInput {
		return PlanInput{BackendTraffic: BackendTrafficInput{Policies: []*egv1a1.BackendTrafficPolicy{btpOnGateway(retries)}, Targets: planTargets()}}
	}
	first := build()
	p1, _ := applyPlan(spec(3), nil, first)
	second := build()
	p2, _ := applyPlan(spec(3), p1, second)
	r := &first[0].Listeners[0].VirtualHosts[0].Routes[0].Origin
	if p1.InForce(r) != p2.InForce(r) || p2.InForce(r) == (InForce{}) {
		t.Errorf("equal policies: InForce differs between plans (or is empty)")
	}
	if first[0].Clusters[0] != second[0].Clusters[0] || !strings.HasSuffix(first[0].Clusters[0].Name, "/btp/default/p") {
		t.Errorf("equal policies: the cluster copy %q is not kept", second[0].Clusters[0].Name)
	}
	third := build()
	p3, _ := applyPlan(spec(4), p2, third)
	if p3.InForce(r) == p2.InForce(r) {
		t.Errorf("changed policy: InForce is the last one's")
	}
	if third[0].Clusters[0] == second[0].Clusters[0] {
		t.Errorf("changed policy: the cluster copy is the last one's")
	}
}

// planGateway is a Gateway with one listener, one route and its cluster.
func planGateway() *ir.Gateway {
	route := &ir.Route{Name: "r", Backends: []ir.WeightedBackend{{Cluster: "c", Weight: 1}},
		Origin: ir.RouteOrigin{Kind: KindHTTPRoute, Namespace: "default", Name: "app", GatewayNamespace: "default", GatewayName: "eg", Listener: "http"}}
	return &ir.Gateway{Namespace: "default", Name: "eg", Clusters: []*ir.Cluster{{Name: "c"}},
		Listeners: []*ir.Listener{{Name: "l", VirtualHosts: []*ir.VirtualHost{{Name: "v", Domains: []string{"app.example.com"}, Routes: []*ir.Route{route}}}}}}
}

// planTargets are planGateway's Gateway and route.
func planTargets() Targets {
	return Targets{Gateways: []Gateway{{Namespace: "default", Name: "eg", Listeners: []string{"http"}}},
		Routes: []Route{{Kind: KindHTTPRoute, Namespace: "default", Name: "app", Parents: []Parent{{Namespace: "default", Name: "eg", Listener: "http"}}}}}
}

// btpOnGateway is a BackendTrafficPolicy on planGateway's Gateway with
// route settings (retries) and cluster settings (a circuit breaker), a
// new object on each call.
func btpOnGateway(retries int) *egv1a1.BackendTrafficPolicy {
	n := int32(retries)
	maxConns := int64(100)
	return &egv1a1.BackendTrafficPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "p"},
		Spec: egv1a1.BackendTrafficPolicySpec{
			PolicyTargetReferences: egv1a1.PolicyTargetReferences{TargetRefs: []gwapiv1.LocalPolicyTargetReferenceWithSectionName{{
				LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{Group: gwapiv1.GroupName, Kind: KindGateway, Name: "eg"}}}},
			ClusterSettings: egv1a1.ClusterSettings{
				Retry:          &egv1a1.Retry{NumRetries: &n},
				CircuitBreaker: &egv1a1.CircuitBreaker{MaxConnections: &maxConns},
			},
		}}
}
