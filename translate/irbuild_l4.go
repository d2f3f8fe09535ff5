package translate

import (
	"sort"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// buildL4IR adds the HTTPS, TLS, TCP and UDP listeners of a Gateway to its
// IR. HTTPS and TLS listeners that share a port become one Listener whose
// chains are chosen by SNI; each HTTPS listener is one chain with its own
// routes; each TLSRoute is one chain per listener with the SNI names it
// wins.
func (t *translator) buildL4IR(g *gatewayState) {
	prefix := g.obj.Namespace + "/" + g.obj.Name + "/"
	// SNI names are owned as Host names are (owningListener): the most
	// specific listener hostname among the HTTPS and TLS ones of a port.
	sniHosts := map[uint32][]string{}
	for _, l := range g.listeners {
		if l.valid && sniProtocol(l.spec.Protocol) {
			sniHosts[uint32(l.spec.Port)] = append(sniHosts[uint32(l.spec.Port)], hostnameOf(l.spec.Hostname))
		}
	}
	t.mergedHosts(g, sniHosts, gwapiv1.HTTPSProtocolType, gwapiv1.TLSProtocolType)
	tlsPorts := map[uint32]*ir.Listener{}
	taken := map[uint32]map[string]bool{} // SNI names given to a chain, by port
	for _, l := range g.listeners {
		if !l.valid {
			continue
		}
		port := uint32(l.spec.Port)
		name := prefix + string(l.spec.Name)
		switch l.spec.Protocol {
		case gwapiv1.HTTPSProtocolType, gwapiv1.TLSProtocolType:
			il, ok := tlsPorts[port]
			if !ok {
				il = &ir.Listener{Name: name, Address: "0.0.0.0", Port: port}
				tlsPorts[port] = il
				taken[port] = map[string]bool{}
			}
			if l.spec.Protocol == gwapiv1.HTTPSProtocolType {
				il.TLSChains = append(il.TLSChains, t.httpsChain(g, l, name, sniHosts[port]))
				continue
			}
			for _, a := range l.l4 {
				if c := t.tlsRouteChain(g, l, a, name, sniHosts[port], taken[port]); c != nil {
					il.TLSChains = append(il.TLSChains, c)
				}
			}
		case gwapiv1.TCPProtocolType:
			if len(l.l4) == 0 {
				continue // no route: nothing to forward to, no port bound
			}
			g.ir.Listeners = append(g.ir.Listeners, &ir.Listener{
				Name: name, Address: "0.0.0.0", Port: port,
				TCP: t.tcpProxy(g, l, name, l.l4[0]),
			})
		case gwapiv1.UDPProtocolType:
			if len(l.l4) == 0 {
				continue
			}
			a := l.l4[0]
			t.addClusters(g, a.clusters)
			// validateL4Route lets a UDPRoute have one backend with weight.
			g.ir.UDPListeners = append(g.ir.UDPListeners, &ir.UDPListener{
				Name: name, Address: "0.0.0.0", Port: port, Cluster: a.backends[0].Cluster, Origin: l4Origin(g, l, a),
			})
		}
	}
	used := map[string]bool{}
	for _, il := range tlsPorts {
		if len(il.TLSChains) == 0 {
			continue // TLS listeners without routes: Envoy refuses a listener without chains
		}
		sort.Slice(il.TLSChains, func(i, j int) bool { return il.TLSChains[i].Name < il.TLSChains[j].Name })
		for _, c := range il.TLSChains {
			for _, s := range c.Secrets {
				used[s] = true
			}
		}
		g.ir.Listeners = append(g.ir.Listeners, il)
	}
	sort.Slice(g.ir.UDPListeners, func(i, j int) bool { return g.ir.UDPListeners[i].Port < g.ir.UDPListeners[j].Port })
	// Only the certificates of served chains go to Envoy.
	for name := range used {
		g.ir.Secrets = append(g.ir.Secrets, g.secrets[name])
	}
	sort.Slice(g.ir.Secrets, func(i, j int) bool { return g.ir.Secrets[i].Name < g.ir.Secrets[j].Name })
}

// serverNames turns a listener or route hostname into SNI names: none for
// "" or "*" (any name).
func serverNames(host string) []string {
	if host == "" || host == "*" {
		return nil
	}
	return []string{host}
}

// httpsChain is the chain of one HTTPS listener: its certificates and the
// virtual hosts of the routes attached to it, for the hosts it owns.
func (t *translator) httpsChain(g *gatewayState, l *listenerState, name string, sniHosts []string) *ir.TLSChain {
	own := hostnameOf(l.spec.Hostname)
	c := &ir.TLSChain{Name: name, ServerNames: serverNames(own), Secrets: l.secrets, HTTP: true, Listener: string(l.spec.Name)}
	vhosts := map[string]*vhostBuilder{}
	for _, ar := range l.routes {
		for _, host := range ar.hostnames {
			if owningListener(sniHosts, host) != own {
				continue // listener isolation, as for HTTP
			}
			vb, ok := vhosts[host]
			if !ok {
				vb = &vhostBuilder{prefix: name, host: host, listener: string(l.spec.Name), port: uint32(l.spec.Port), https: true}
				vhosts[host] = vb
			}
			vb.add(ar, g)
		}
	}
	for _, vb := range vhosts {
		c.VirtualHosts = append(c.VirtualHosts, t.virtualHost(vb, g))
	}
	sort.Slice(c.VirtualHosts, func(i, j int) bool { return c.VirtualHosts[i].Name < c.VirtualHosts[j].Name })
	return c
}

// tlsRouteChain is the chain of one TLSRoute on one TLS listener: the SNI
// names of the route that the listener owns and no older route has taken.
// It is nil when the route wins no name.
func (t *translator) tlsRouteChain(g *gatewayState, l *listenerState, a *l4Attached, name string, sniHosts []string, taken map[string]bool) *ir.TLSChain {
	own := hostnameOf(l.spec.Hostname)
	chainName := name + "/tlsroute/" + a.route.id()
	c := &ir.TLSChain{Name: chainName, Secrets: l.secrets, Listener: string(l.spec.Name)}
	won := false
	for _, host := range a.hostnames {
		sni := host
		if sni == "*" {
			sni = ""
		}
		if owningListener(sniHosts, sni) != own || taken[sni] {
			continue
		}
		taken[sni] = true
		won = true
		c.ServerNames = append(c.ServerNames, serverNames(sni)...)
	}
	if !won {
		return nil
	}
	sort.Strings(c.ServerNames)
	c.TCP = t.tcpProxy(g, l, chainName, a)
	return c
}

// tcpProxy forwards to the backends of a route attached to listener l.
func (t *translator) tcpProxy(g *gatewayState, l *listenerState, name string, a *l4Attached) *ir.TCPProxy {
	t.addClusters(g, a.clusters)
	return &ir.TCPProxy{Name: name, Backends: a.backends, Origin: l4Origin(g, l, a)}
}

// l4Origin names the route and listener of an L4 proxy, for policies.
func l4Origin(g *gatewayState, l *listenerState, a *l4Attached) *ir.RouteOrigin {
	return &ir.RouteOrigin{Kind: a.route.kind, Namespace: a.route.meta.Namespace, Name: a.route.meta.Name,
		GatewayNamespace: g.obj.Namespace, GatewayName: g.obj.Name, Listener: string(l.spec.Name)}
}

func (t *translator) addClusters(g *gatewayState, cs []*ir.Cluster) {
	for _, c := range cs {
		g.clusters[c.Name] = c
	}
}
