package ir

// ClusterTraffic is what a BackendTrafficPolicy configures on a cluster.
type ClusterTraffic struct{}

// RouteLoadBalancer is the route side of a BackendTrafficPolicy
// loadBalancer.
type RouteLoadBalancer struct{}
