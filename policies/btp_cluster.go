package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy features set on clusters. (scaffold: to be implemented)

// btpClusterFields are the BackendTrafficPolicy spec fields this file's
// features implement.
var btpClusterFields = map[string]bool{}

// clusterTrafficSpec checks the cluster features of a spec; it returns
// what they set (nil for none), the fields it ignores and the problems.
func clusterTrafficSpec(spec egv1a1.BackendTrafficPolicySpec) (*ir.ClusterTraffic, []string, []string) {
	return nil, nil, nil
}

// TrafficClusterConfig applies c.Traffic to the xDS cluster cl.
func TrafficClusterConfig(cl *clusterv3.Cluster, c *ir.Cluster) {}

// LoadBalancerRouteConfig applies r.LoadBalancer (hash policies) to the
// xDS route action ra.
func LoadBalancerRouteConfig(ra *routev3.RouteAction, r *ir.Route) {}
