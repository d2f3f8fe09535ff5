package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy features set on clusters: loadBalancer
// (btp_lb.go), circuitBreaker (btp_circuitbreaker.go), tcpKeepalive,
// proxyProtocol and the connection timeouts (btp_connection.go). They go,
// with healthCheck, on per-policy copies of the clusters of the routes
// the policy is in force on (btp_cluster_copies.go). Invalid values make
// the whole policy invalid, naming the field; sub-fields sluice does not
// implement are named in status and ignored.

// btpClusterFields are the BackendTrafficPolicy spec fields this file's
// features implement. timeout is shared with btp_route.go: the
// connection timeouts are set here, the request ones on routes.
var btpClusterFields = map[string]bool{
	"loadBalancer": true, "circuitBreaker": true, "tcpKeepalive": true,
	"proxyProtocol": true, "timeout": true, "connection": true,
}

// clusterTrafficSpec checks the cluster features of a spec; it returns
// what they set (nil for none), the fields it ignores and the problems.
func clusterTrafficSpec(spec egv1a1.BackendTrafficPolicySpec) (*ir.ClusterTraffic, []string, []error) {
	return clusterSettings("spec", spec.ClusterSettings)
}

// clusterSettings checks the cluster features of ClusterSettings at field
// (a BackendTrafficPolicy's spec, or a policy backend's backendSettings).
func clusterSettings(field string, cs egv1a1.ClusterSettings) (*ir.ClusterTraffic, []string, []error) {
	v := &specValidator{}
	t := &ir.ClusterTraffic{
		LoadBalancer:   v.loadBalancer(field+".loadBalancer", cs.LoadBalancer),
		CircuitBreaker: v.circuitBreaker(field+".circuitBreaker", cs.CircuitBreaker),
		TCPKeepalive:   v.tcpKeepalive(field+".tcpKeepalive", cs.TCPKeepalive),
		ProxyProtocol:  v.proxyProtocol(field+".proxyProtocol", cs.ProxyProtocol),
	}
	v.clusterTimeouts(field+".timeout", cs.Timeout, t)
	t.BufferLimit = v.connection(field+".connection", cs.Connection)
	if len(v.errs) > 0 {
		return nil, nil, v.errs
	}
	if *t == (ir.ClusterTraffic{}) {
		return nil, v.ignored, nil
	}
	return t, v.ignored, nil
}

// ClusterTraffic is the BackendTrafficPolicy settings of a cluster:
// loadBalancer, circuitBreaker, tcpKeepalive, proxyProtocol, connection
// timeouts and HTTP options (a feature.Feature).
type ClusterTraffic struct{ feature.Base }

// Cluster applies c.Traffic to the xDS cluster cl, after its TLS (which
// the PROXY protocol wraps) and health checks.
func (ClusterTraffic) Cluster(cl *clusterv3.Cluster, c *ir.Cluster) {
	t := c.Traffic
	if t == nil {
		return
	}
	if lb := t.LoadBalancer; lb != nil {
		applyLoadBalancer(cl, lb)
	}
	if cb := t.CircuitBreaker; cb != nil {
		cl.CircuitBreakers = circuitBreakers(cb)
	}
	applyConnection(cl, t)
	applyHTTPOptions(cl, t)
}
