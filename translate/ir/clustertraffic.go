package ir

import (
	"errors"
	"fmt"
	"math/big"
)

// What a BackendTrafficPolicy sets on the clusters of the routes it is in
// force on (package policies, btp_cluster.go): how Envoy picks an
// endpoint, how many connections and requests it lets through, and how
// it connects.

// Load balancer types.
const (
	LBRoundRobin     = "RoundRobin"
	LBLeastRequest   = "LeastRequest"
	LBRandom         = "Random"
	LBConsistentHash = "ConsistentHash"
)

// MaxMaglevTableSize is the largest Maglev table Envoy accepts.
const MaxMaglevTableSize = 5000011

// ClusterTraffic is what a BackendTrafficPolicy configures on a cluster.
// Nil fields leave sluice's defaults.
type ClusterTraffic struct {
	LoadBalancer   *LoadBalancer      `json:"loadBalancer,omitempty" yaml:"loadBalancer,omitempty"`
	CircuitBreaker *CircuitBreaker    `json:"circuitBreaker,omitempty" yaml:"circuitBreaker,omitempty"`
	TCPKeepalive   *UpstreamKeepalive `json:"tcpKeepalive,omitempty" yaml:"tcpKeepalive,omitempty"`
	// ProxyProtocol, V1 or V2, makes Envoy open each connection to an
	// endpoint with a PROXY protocol header naming the client.
	ProxyProtocol string `json:"proxyProtocol,omitempty" yaml:"proxyProtocol,omitempty"`
	// ConnectTimeout bounds connection establishment, TLS included.
	ConnectTimeout *Duration `json:"connectTimeout,omitempty" yaml:"connectTimeout,omitempty"`
	// IdleTimeout closes an HTTP connection without requests for this
	// long (zero: never); MaxConnectionDuration closes any HTTP
	// connection this old (zero: never).
	IdleTimeout           *Duration `json:"idleTimeout,omitempty" yaml:"idleTimeout,omitempty"`
	MaxConnectionDuration *Duration `json:"maxConnectionDuration,omitempty" yaml:"maxConnectionDuration,omitempty"`
	// BufferLimit bounds, in bytes, what Envoy buffers for each
	// connection to an endpoint (per_connection_buffer_limit_bytes).
	BufferLimit *uint32 `json:"bufferLimit,omitempty" yaml:"bufferLimit,omitempty"`
}

// LoadBalancer is how Envoy picks an endpoint of the cluster.
type LoadBalancer struct {
	// Type is one of the LB constants.
	Type string `json:"type" yaml:"type"`
	// SlowStart, for RoundRobin and LeastRequest, ramps the traffic to a
	// new endpoint up over this window.
	SlowStart *Duration `json:"slowStart,omitempty" yaml:"slowStart,omitempty"`
	// TableSize, for ConsistentHash (Maglev), is the lookup table's size,
	// a prime; Envoy's default (65537) when zero.
	TableSize uint64 `json:"tableSize,omitempty" yaml:"tableSize,omitempty"`
	// Hash, for ConsistentHash, is what the policy's routes hash
	// (Route.LoadBalancer carries it to them).
	Hash []HashPolicy `json:"hash,omitempty" yaml:"hash,omitempty"`
}

// CircuitBreaker is the cluster's limits; beyond them Envoy fails
// requests fast (503) instead of queueing them.
type CircuitBreaker struct {
	MaxConnections      uint32 `json:"maxConnections" yaml:"maxConnections"`
	MaxPendingRequests  uint32 `json:"maxPendingRequests" yaml:"maxPendingRequests"`
	MaxParallelRequests uint32 `json:"maxParallelRequests" yaml:"maxParallelRequests"`
	MaxParallelRetries  uint32 `json:"maxParallelRetries" yaml:"maxParallelRetries"`
	// MaxRequestsPerConnection, when set, closes a connection after that
	// many requests.
	MaxRequestsPerConnection *uint32 `json:"maxRequestsPerConnection,omitempty" yaml:"maxRequestsPerConnection,omitempty"`
	// PerEndpointMaxConnections, when set, limits connections to each
	// endpoint.
	PerEndpointMaxConnections *uint32 `json:"perEndpointMaxConnections,omitempty" yaml:"perEndpointMaxConnections,omitempty"`
	// RetryBudget, when set, limits retries to a share of the active
	// requests instead of MaxParallelRetries.
	RetryBudget *RetryBudget `json:"retryBudget,omitempty" yaml:"retryBudget,omitempty"`
}

// RetryBudget allows Percent (0-100) of the active and pending requests
// as retries, and at least MinConcurrency.
type RetryBudget struct {
	Percent        float64 `json:"percent" yaml:"percent"`
	MinConcurrency uint32  `json:"minConcurrency" yaml:"minConcurrency"`
}

// UpstreamKeepalive probes idle connections to the endpoints; nil fields
// keep the system's values. Times are in whole seconds.
type UpstreamKeepalive struct {
	Probes   *uint32 `json:"probes,omitempty" yaml:"probes,omitempty"`
	IdleTime *uint32 `json:"idleTime,omitempty" yaml:"idleTime,omitempty"`
	Interval *uint32 `json:"interval,omitempty" yaml:"interval,omitempty"`
}

// RouteLoadBalancer is the route side of a BackendTrafficPolicy
// loadBalancer: what a consistent hash hashes.
type RouteLoadBalancer struct {
	Hash []HashPolicy `json:"hash" yaml:"hash"`
}

// HashPolicy is one input of a consistent hash: exactly one of a request
// header, a cookie, a query parameter or the client's address.
type HashPolicy struct {
	Header     string      `json:"header,omitempty" yaml:"header,omitempty"`
	Cookie     *HashCookie `json:"cookie,omitempty" yaml:"cookie,omitempty"`
	QueryParam string      `json:"queryParam,omitempty" yaml:"queryParam,omitempty"`
	SourceIP   bool        `json:"sourceIP,omitempty" yaml:"sourceIP,omitempty"`
}

// HashCookie hashes a cookie; with TTL, Envoy sets the cookie on the
// response when the request has none, with that Max-Age and Attributes.
type HashCookie struct {
	Name       string                `json:"name" yaml:"name"`
	TTL        *Duration             `json:"ttl,omitempty" yaml:"ttl,omitempty"`
	Attributes []HashCookieAttribute `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

// HashCookieAttribute is one attribute of a generated cookie, such as
// SameSite=Strict.
type HashCookieAttribute struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value,omitempty" yaml:"value,omitempty"`
}

// validate checks what Envoy demands of the cluster settings.
func (t *ClusterTraffic) validate() error {
	var errs []error
	if lb := t.LoadBalancer; lb != nil {
		errs = append(errs, lb.validate())
	}
	if cb := t.CircuitBreaker; cb != nil && cb.RetryBudget != nil {
		if p := cb.RetryBudget.Percent; p < 0 || p > 100 {
			errs = append(errs, fmt.Errorf("retry budget %v%% is not a percentage", p))
		}
	}
	if k := t.TCPKeepalive; k != nil {
		for _, n := range []*uint32{k.Probes, k.IdleTime, k.Interval} {
			if n != nil && *n == 0 {
				errs = append(errs, errors.New("TCP keepalive probes and times must be at least 1"))
				break
			}
		}
	}
	switch t.ProxyProtocol {
	case "", "V1", "V2":
	default:
		errs = append(errs, fmt.Errorf("PROXY protocol version %q is not V1 or V2", t.ProxyProtocol))
	}
	if d := t.ConnectTimeout; d != nil && *d <= 0 {
		errs = append(errs, errors.New("connect timeout must be positive"))
	}
	for _, d := range []*Duration{t.IdleTimeout, t.MaxConnectionDuration} {
		if d != nil && *d < 0 {
			errs = append(errs, errors.New("connection timeouts must not be negative"))
		}
	}
	return errors.Join(errs...)
}

func (lb *LoadBalancer) validate() error {
	var errs []error
	switch lb.Type {
	case LBRoundRobin, LBLeastRequest:
	case LBRandom, LBConsistentHash:
		if lb.SlowStart != nil {
			errs = append(errs, fmt.Errorf("load balancer %s has no slow start", lb.Type))
		}
	default:
		errs = append(errs, fmt.Errorf("load balancer type %q is unknown", lb.Type))
	}
	if lb.SlowStart != nil && *lb.SlowStart <= 0 {
		errs = append(errs, errors.New("slow start window must be positive"))
	}
	if lb.Type == LBConsistentHash {
		if len(lb.Hash) == 0 {
			errs = append(errs, errors.New("consistent hash needs something to hash"))
		}
		if n := lb.TableSize; n != 0 && (n > MaxMaglevTableSize || !big.NewInt(int64(n)).ProbablyPrime(0)) {
			errs = append(errs, fmt.Errorf("maglev table size %d is not a prime up to %d", n, MaxMaglevTableSize))
		}
	} else if len(lb.Hash) > 0 || lb.TableSize != 0 {
		errs = append(errs, fmt.Errorf("load balancer %s hashes nothing", lb.Type))
	}
	for _, h := range lb.Hash {
		errs = append(errs, h.validate())
	}
	return errors.Join(errs...)
}

func (h HashPolicy) validate() error {
	n := 0
	for _, set := range []bool{h.Header != "", h.Cookie != nil, h.QueryParam != "", h.SourceIP} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return errors.New("a hash policy is exactly one of header, cookie, query parameter, source IP")
	case h.Cookie != nil && h.Cookie.Name == "":
		return errors.New("a hashed cookie needs a name")
	case h.Cookie != nil && h.Cookie.TTL != nil && *h.Cookie.TTL < 0:
		return errors.New("a hashed cookie's TTL must not be negative")
	}
	return nil
}
