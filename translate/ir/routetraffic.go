package ir

// RouteTraffic is what a BackendTrafficPolicy configures on a route.
type RouteTraffic struct{}
