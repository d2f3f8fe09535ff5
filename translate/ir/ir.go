package ir

import (
	"errors"
	"fmt"
)

// Gateway is everything one Envoy fleet serves.
type Gateway struct {
	Namespace string      `json:"namespace" yaml:"namespace"`
	Name      string      `json:"name" yaml:"name"`
	Listeners []*Listener `json:"listeners,omitempty" yaml:"listeners,omitempty"`
	Clusters  []*Cluster  `json:"clusters,omitempty" yaml:"clusters,omitempty"`
	// UDPListeners are sorted by port.
	UDPListeners []*UDPListener `json:"udpListeners,omitempty" yaml:"udpListeners,omitempty"`
	// Secrets are sorted by name.
	Secrets []*Secret `json:"secrets,omitempty" yaml:"secrets,omitempty"`
	// IPFamily is the EnvoyProxy's spec.ipFamily (ipfamily.go): IPv4 (or
	// empty), IPv6 or DualStack.
	IPFamily string `json:"ipFamily,omitempty" yaml:"ipFamily,omitempty"`
}

// Listener is one bound TCP port. Gateway listeners that share a port are
// merged into one Listener: plain HTTP ones into its VirtualHosts, HTTPS
// and TLS ones into its TLSChains. A TCP listener has a port to itself.
type Listener struct {
	Name    string `json:"name" yaml:"name"`
	Address string `json:"address" yaml:"address"`
	Port    uint32 `json:"port" yaml:"port"`
	// AdditionalAddresses are bound too, on the same port (dual stack).
	AdditionalAddresses []string `json:"additionalAddresses,omitempty" yaml:"additionalAddresses,omitempty"`
	// VirtualHosts are sorted by name.
	VirtualHosts []*VirtualHost `json:"virtualHosts,omitempty" yaml:"virtualHosts,omitempty"`
	// TLSChains are sorted by name.
	TLSChains []*TLSChain `json:"tlsChains,omitempty" yaml:"tlsChains,omitempty"`
	// TCP forwards every connection (protocol TCP).
	TCP *TCPProxy `json:"tcp,omitempty" yaml:"tcp,omitempty"`
	// Client, when set, is what a ClientTrafficPolicy configures for the
	// connections this listener accepts (clienttraffic.go).
	Client *ClientTraffic `json:"client,omitempty" yaml:"client,omitempty"`
	// Proxy, when set, is what the Gateway's EnvoyProxy configures for
	// its HTTP connection managers: access logs, filter order (proxy.go).
	Proxy *ProxySettings `json:"proxy,omitempty" yaml:"proxy,omitempty"`
}

// VirtualHost groups the routes for a set of domains.
type VirtualHost struct {
	Name    string   `json:"name" yaml:"name"`
	Domains []string `json:"domains" yaml:"domains"`
	// Routes are in match order: the first that matches wins.
	Routes []*Route `json:"routes,omitempty" yaml:"routes,omitempty"`
}

// PathMatch is one of exact, prefix (path-element aware) or regex.
type PathMatch struct {
	Exact  string `json:"exact,omitempty" yaml:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty" yaml:"regex,omitempty"`
}

// StringMatch matches a header or query parameter by exact value or regex.
type StringMatch struct {
	Name  string `json:"name" yaml:"name"`
	Exact string `json:"exact,omitempty" yaml:"exact,omitempty"`
	Regex string `json:"regex,omitempty" yaml:"regex,omitempty"`
}

// Route is one match of one HTTPRoute rule and what to do with it.
type Route struct {
	Name        string        `json:"name" yaml:"name"`
	Path        PathMatch     `json:"path" yaml:"path"`
	Method      string        `json:"method,omitempty" yaml:"method,omitempty"`
	Headers     []StringMatch `json:"headers,omitempty" yaml:"headers,omitempty"`
	QueryParams []StringMatch `json:"queryParams,omitempty" yaml:"queryParams,omitempty"`
	// Backends receive the traffic in proportion to their weights. A
	// backend with an empty Cluster stands for an invalid reference: its
	// share of requests gets a 500.
	Backends []WeightedBackend `json:"backends,omitempty" yaml:"backends,omitempty"`
	// DirectStatus, when set, answers every request with this status.
	DirectStatus uint32 `json:"directStatus,omitempty" yaml:"directStatus,omitempty"`
	// Direct, only with DirectStatus, is the body and headers of the
	// direct response (Envoy Gateway's HTTPRouteFilter directResponse).
	Direct *DirectResponse `json:"direct,omitempty" yaml:"direct,omitempty"`
	// Redirect, when set, answers every request with a redirect; then
	// there are no Backends.
	Redirect *Redirect `json:"redirect,omitempty" yaml:"redirect,omitempty"`

	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty" yaml:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty" yaml:"responseHeaders,omitempty"`
	Rewrite         *URLRewrite     `json:"rewrite,omitempty" yaml:"rewrite,omitempty"`
	Mirrors         []Mirror        `json:"mirrors,omitempty" yaml:"mirrors,omitempty"`
	CORS            *CORS           `json:"cors,omitempty" yaml:"cors,omitempty"`
	// Timeout bounds the whole request, retries included; zero disables
	// it, nil leaves Envoy's default (15s).
	Timeout *Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// BackendTimeout bounds each request to a backend (each try).
	BackendTimeout *Duration `json:"backendTimeout,omitempty" yaml:"backendTimeout,omitempty"`
	Retry          *Retry    `json:"retry,omitempty" yaml:"retry,omitempty"`
	// Session, when set, keeps a client on the endpoint it was first sent
	// to (Envoy's stateful session filter).
	Session *SessionPersistence `json:"session,omitempty" yaml:"session,omitempty"`
	// GRPC marks a route of a GRPCRoute: a missing backend answers 503,
	// which gRPC clients read as UNAVAILABLE.
	GRPC bool `json:"grpc,omitempty" yaml:"grpc,omitempty"`
	// Origin names the route object and Gateway listener the route comes
	// from, for policy attachment.
	Origin RouteOrigin `json:"origin" yaml:"origin"`
	// ResponseOverride, when set, replaces matching responses
	// (BackendTrafficPolicy responseOverride, in policies).
	ResponseOverride *ResponseOverride `json:"responseOverride,omitempty" yaml:"responseOverride,omitempty"`
	// Security, when set, authenticates and authorizes requests
	// (SecurityPolicy, in policies).
	Security *Security `json:"security,omitempty" yaml:"security,omitempty"`
	// Traffic, when set, is what a BackendTrafficPolicy configures on the
	// route itself: retries, timeouts, rate limits, faults, compression
	// (routetraffic.go).
	Traffic *RouteTraffic `json:"traffic,omitempty" yaml:"traffic,omitempty"`
	// LoadBalancer, when set, is the route side of a BackendTrafficPolicy
	// loadBalancer: the hash policy of consistent hashing (clustertraffic.go).
	LoadBalancer *RouteLoadBalancer `json:"loadBalancer,omitempty" yaml:"loadBalancer,omitempty"`
	// Extensions, when set, are the external processors and Wasm modules
	// of an EnvoyExtensionPolicy (extension.go).
	Extensions *Extensions `json:"extensions,omitempty" yaml:"extensions,omitempty"`
}

// WeightedBackend is a cluster and its share of a route's traffic.
type WeightedBackend struct {
	Cluster string `json:"cluster" yaml:"cluster"`
	Weight  uint32 `json:"weight" yaml:"weight"`
	// Header changes for the requests sent to this backend only, applied
	// after the route's.
	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty" yaml:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty" yaml:"responseHeaders,omitempty"`
}

// Cluster is a set of upstream endpoints.
type Cluster struct {
	Name string `json:"name" yaml:"name"`
	// DNS clusters resolve hostnames themselves; the others get their
	// endpoints over EDS.
	DNS       bool        `json:"dns,omitempty" yaml:"dns,omitempty"`
	Endpoints []*Endpoint `json:"endpoints" yaml:"endpoints"`
	// HTTP2 makes Envoy speak HTTP/2 to the endpoints (h2c, or h2 over
	// TLS), as gRPC needs.
	HTTP2 bool `json:"http2,omitempty" yaml:"http2,omitempty"`
	// TLS, when set, makes Envoy originate TLS to the endpoints.
	TLS *UpstreamTLS `json:"tls,omitempty" yaml:"tls,omitempty"`
	// Groups, instead of Endpoints, hold the endpoints of a failover
	// cluster by backend and priority (failover.go).
	Groups []*EndpointGroup `json:"groups,omitempty" yaml:"groups,omitempty"`
	// HealthCheck, when set, checks the endpoints actively (healthcheck.go).
	HealthCheck *ActiveHealthCheck `json:"healthCheck,omitempty" yaml:"healthCheck,omitempty"`
	// OutlierDetection ejects failing endpoints (passive health checks),
	// so that traffic moves to a lower priority.
	OutlierDetection *OutlierDetection `json:"outlierDetection,omitempty" yaml:"outlierDetection,omitempty"`
	// HealthyPanicThreshold, when set, is the percentage of healthy
	// endpoints below which Envoy ignores health (Envoy's default: 50).
	HealthyPanicThreshold *uint32 `json:"healthyPanicThreshold,omitempty" yaml:"healthyPanicThreshold,omitempty"`
	// Traffic, when set, is what a BackendTrafficPolicy configures on the
	// cluster: circuit breakers, load balancing, keepalive, connection
	// timeouts, PROXY protocol (clustertraffic.go).
	Traffic *ClusterTraffic `json:"traffic,omitempty" yaml:"traffic,omitempty"`
}

// Endpoint is an upstream address: a host (IP or hostname) and port, or a
// Unix socket path.
type Endpoint struct {
	Host string `json:"host,omitempty" yaml:"host,omitempty"`
	Port uint32 `json:"port,omitempty" yaml:"port,omitempty"`
	Unix string `json:"unix,omitempty" yaml:"unix,omitempty"`
}

// Validate checks the invariants the xDS translation relies on.
func (g *Gateway) Validate() error {
	var errs []error
	clusters := make(map[string]bool, len(g.Clusters))
	for _, c := range g.Clusters {
		if clusters[c.Name] {
			errs = append(errs, fmt.Errorf("cluster %q is defined twice", c.Name))
		}
		clusters[c.Name] = true
		if err := c.validateGroups(); err != nil {
			errs = append(errs, fmt.Errorf("cluster %q: %w", c.Name, err))
		}
		if err := c.validateHealth(); err != nil {
			errs = append(errs, fmt.Errorf("cluster %q: %w", c.Name, err))
		}
		if c.TLS != nil {
			if err := c.TLS.validate(); err != nil {
				errs = append(errs, fmt.Errorf("cluster %q: %w", c.Name, err))
			}
		}
		if c.Traffic != nil {
			if err := c.Traffic.validate(); err != nil {
				errs = append(errs, fmt.Errorf("cluster %q: %w", c.Name, err))
			}
		}
	}
	ports := map[uint32]bool{}
	for _, l := range g.Listeners {
		if ports[l.Port] {
			errs = append(errs, fmt.Errorf("listener %q: port %d is bound twice", l.Name, l.Port))
		}
		ports[l.Port] = true
		errs = append(errs, validateVirtualHosts(l.VirtualHosts, clusters)...)
		for _, c := range l.TLSChains {
			errs = append(errs, validateVirtualHosts(c.VirtualHosts, clusters)...)
		}
	}
	errs = append(errs, g.validateL4(clusters)...)
	return errors.Join(errs...)
}

func validateVirtualHosts(vhs []*VirtualHost, clusters map[string]bool) []error {
	var errs []error
	checked := map[*Extensions]bool{} // shared by routes: checked once
	for _, vh := range vhs {
		for _, r := range vh.Routes {
			if r.Extensions != nil && !checked[r.Extensions] {
				checked[r.Extensions] = true
				if err := r.Extensions.validate(clusters); err != nil {
					errs = append(errs, fmt.Errorf("route %q: %w", r.Name, err))
				}
			}
			for _, b := range r.Backends {
				if b.Cluster != "" && !clusters[b.Cluster] {
					errs = append(errs, fmt.Errorf("route %q: cluster %q does not exist", r.Name, b.Cluster))
				}
			}
			if len(r.Backends) == 0 && r.DirectStatus == 0 && r.Redirect == nil {
				errs = append(errs, fmt.Errorf("route %q has neither backends nor a direct response", r.Name))
			}
			errs = append(errs, r.validateFilters(clusters)...)
			if r.ResponseOverride != nil {
				if err := r.ResponseOverride.validate(); err != nil {
					errs = append(errs, fmt.Errorf("route %q: %w", r.Name, err))
				}
			}
			if r.Security != nil {
				if err := r.Security.validate(clusters); err != nil {
					errs = append(errs, fmt.Errorf("route %q: %w", r.Name, err))
				}
			}
			if r.Session != nil {
				if err := r.Session.validate(); err != nil {
					errs = append(errs, fmt.Errorf("route %q: %w", r.Name, err))
				}
			}
			if r.Traffic != nil {
				if err := r.Traffic.validate(); err != nil {
					errs = append(errs, fmt.Errorf("route %q: %w", r.Name, err))
				}
			}
		}
	}
	return errs
}
