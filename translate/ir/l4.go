package ir

import "fmt"

// TLSChain is one filter chain of a port that takes TLS (HTTPS and TLS
// listeners), chosen by the SNI of the ClientHello.
type TLSChain struct {
	// Name names the chain and, when it serves HTTP, its route
	// configuration.
	Name string `json:"name" yaml:"name"`
	// ServerNames are the SNI names the chain takes (exact or "*."
	// wildcards). None means every name that no other chain takes.
	ServerNames []string `json:"serverNames,omitempty" yaml:"serverNames,omitempty"`
	// Secrets name the certificates (Gateway.Secrets) that terminate TLS.
	// None means the TLS stream passes through to the backends.
	Secrets []string `json:"secrets,omitempty" yaml:"secrets,omitempty"`
	// HTTP is set when the chain serves HTTP after terminating TLS
	// (protocol HTTPS); VirtualHosts then holds its hosts.
	HTTP         bool           `json:"http,omitempty" yaml:"http,omitempty"`
	VirtualHosts []*VirtualHost `json:"virtualHosts,omitempty" yaml:"virtualHosts,omitempty"`
	// TCP forwards the stream when the chain does not serve HTTP.
	TCP *TCPProxy `json:"tcp,omitempty" yaml:"tcp,omitempty"`
	// Listener names the Gateway listener (its sectionName) the chain
	// comes from, for policies.
	Listener string `json:"listener,omitempty" yaml:"listener,omitempty"`
	// Client, when set, is what the ClientTrafficPolicy in force on the
	// chain's Gateway listener configures on the chain: its connection
	// manager, TLS context and chain filters. What belongs to the whole
	// port (socket options, listener filters) is the Listener's Client.
	Client *ClientTraffic `json:"client,omitempty" yaml:"client,omitempty"`
}

// TCPProxy forwards a TCP stream to weighted backends. A backend with an
// empty Cluster stands for an invalid reference: its share of connections
// is refused.
type TCPProxy struct {
	Name     string            `json:"name" yaml:"name"`
	Backends []WeightedBackend `json:"backends" yaml:"backends"`
	// Origin is the TCPRoute or TLSRoute and listener the proxy serves,
	// for policies; Hash the tcp_proxy's hash policy (a policy's
	// consistent hash by source IP).
	Origin *RouteOrigin `json:"origin,omitempty" yaml:"origin,omitempty"`
	Hash   []HashPolicy `json:"hash,omitempty" yaml:"hash,omitempty"`
}

// UDPListener is one bound UDP port whose datagrams go to one cluster.
type UDPListener struct {
	Name    string `json:"name" yaml:"name"`
	Address string `json:"address" yaml:"address"`
	Port    uint32 `json:"port" yaml:"port"`
	// AdditionalAddresses are bound too, on the same port (dual stack).
	AdditionalAddresses []string `json:"additionalAddresses,omitempty" yaml:"additionalAddresses,omitempty"`
	// Cluster receives the datagrams; empty drops them (no valid backend).
	Cluster string `json:"cluster" yaml:"cluster"`
	// Origin is the UDPRoute and listener, for policies; Hash the
	// udp_proxy's hash policy (a consistent hash by source IP).
	Origin *RouteOrigin `json:"origin,omitempty" yaml:"origin,omitempty"`
	Hash   []HashPolicy `json:"hash,omitempty" yaml:"hash,omitempty"`
}

// Secret is a certificate and its private key, or a generic secret
// (Generic: an OIDC client or HMAC secret), served to Envoy over SDS.
// Neither the key nor a generic secret is ever printed: they have no
// json or yaml name.
type Secret struct {
	Name        string `json:"name" yaml:"name"`
	Certificate []byte `json:"certificate,omitempty" yaml:"certificate,omitempty"`
	PrivateKey  []byte `json:"-" yaml:"-"`
	Generic     []byte `json:"-" yaml:"-"`
}

// validateL4 checks the TLS chains, TCP proxies, UDP listeners and secrets
// of a gateway.
func (g *Gateway) validateL4(clusters map[string]bool) []error {
	secrets, errs := g.validateSecrets()
	for _, l := range g.Listeners {
		errs = append(errs, validateL4Listener(l, secrets, clusters)...)
	}
	return append(errs, g.validateUDPListeners(clusters)...)
}

// validateSecrets checks that each secret is defined once and is either a
// certificate with its key or a generic secret, and that the OIDC secrets
// exist. It returns the names of the secrets.
func (g *Gateway) validateSecrets() (map[string]bool, []error) {
	var errs []error
	secrets := map[string]bool{}
	for _, s := range g.Secrets {
		if secrets[s.Name] {
			errs = append(errs, fmt.Errorf("secret %q is defined twice", s.Name))
		}
		generic, cert := len(s.Generic) > 0, len(s.Certificate) > 0 || len(s.PrivateKey) > 0
		switch {
		case generic && cert:
			errs = append(errs, fmt.Errorf("secret %q is both a certificate and a generic secret", s.Name))
		case !generic && (len(s.Certificate) == 0 || len(s.PrivateKey) == 0):
			errs = append(errs, fmt.Errorf("secret %q has no certificate or key", s.Name))
		}
		secrets[s.Name] = true
	}
	for _, s := range g.oidcSecrets() {
		if !secrets[s] {
			errs = append(errs, fmt.Errorf("oidc secret %q does not exist", s))
		}
	}
	return secrets, errs
}

// validateTCPProxy checks that p, of owner, has backends and that their
// clusters exist.
func validateTCPProxy(owner string, p *TCPProxy, clusters map[string]bool) []error {
	var errs []error
	if len(p.Backends) == 0 {
		errs = append(errs, fmt.Errorf("%s: tcp proxy %q has no backends", owner, p.Name))
	}
	for _, b := range p.Backends {
		if b.Cluster != "" && !clusters[b.Cluster] {
			errs = append(errs, fmt.Errorf("%s: cluster %q does not exist", owner, b.Cluster))
		}
	}
	return errs
}

// validateL4Listener checks that l is one kind of listener (plain HTTP, TLS
// chains or a TCP proxy), its TCP proxy and its TLS chains.
func validateL4Listener(l *Listener, secrets, clusters map[string]bool) []error {
	var errs []error
	kinds := 0
	for _, set := range []bool{len(l.VirtualHosts) > 0, len(l.TLSChains) > 0, l.TCP != nil} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		errs = append(errs, fmt.Errorf("listener %q mixes plain HTTP, TLS chains and a TCP proxy", l.Name))
	}
	if l.TCP != nil {
		errs = append(errs, validateTCPProxy("listener "+l.Name, l.TCP, clusters)...)
	}
	catchAll := 0
	names := map[string]bool{}
	for _, c := range l.TLSChains {
		if len(c.ServerNames) == 0 {
			catchAll++
		}
		for _, n := range c.ServerNames {
			if names[n] {
				errs = append(errs, fmt.Errorf("listener %q: server name %q is taken by two chains", l.Name, n))
			}
			names[n] = true
		}
		errs = append(errs, validateTLSChain(c, secrets, clusters)...)
	}
	if catchAll > 1 {
		errs = append(errs, fmt.Errorf("listener %q has %d chains without server names", l.Name, catchAll))
	}
	return errs
}

// validateTLSChain checks that the secrets of c exist and that it serves
// either HTTP, terminating TLS, or TCP.
func validateTLSChain(c *TLSChain, secrets, clusters map[string]bool) []error {
	var errs []error
	for _, s := range c.Secrets {
		if !secrets[s] {
			errs = append(errs, fmt.Errorf("chain %q: secret %q does not exist", c.Name, s))
		}
	}
	switch {
	case c.HTTP && c.TCP != nil:
		errs = append(errs, fmt.Errorf("chain %q serves both HTTP and TCP", c.Name))
	case c.HTTP && len(c.Secrets) == 0:
		errs = append(errs, fmt.Errorf("chain %q serves HTTP without terminating TLS", c.Name))
	case !c.HTTP && c.TCP == nil:
		errs = append(errs, fmt.Errorf("chain %q serves neither HTTP nor TCP", c.Name))
	case c.TCP != nil:
		errs = append(errs, validateTCPProxy("chain "+c.Name, c.TCP, clusters)...)
	}
	return errs
}

// validateUDPListeners checks that no port is bound twice and that the
// clusters exist.
func (g *Gateway) validateUDPListeners(clusters map[string]bool) []error {
	var errs []error
	ports := map[uint32]bool{}
	for _, u := range g.UDPListeners {
		if ports[u.Port] {
			errs = append(errs, fmt.Errorf("udp listener %q: port %d is bound twice", u.Name, u.Port))
		}
		ports[u.Port] = true
		if u.Cluster != "" && !clusters[u.Cluster] {
			errs = append(errs, fmt.Errorf("udp listener %q: cluster %q does not exist", u.Name, u.Cluster))
		}
	}
	return errs
}
