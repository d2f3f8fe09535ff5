package policies

import (
	"slices"
	"strings"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// The clusters of a BackendTrafficPolicy's cluster settings (healthCheck,
// circuitBreaker, loadBalancer, tcpKeepalive, proxyProtocol, connection
// timeouts): Envoy Gateway gives each route rule clusters of its own, so
// those settings concern the policy's routes only. sluice gives each
// backend one cluster, which routes under different policies may share;
// so a route under a policy with cluster settings is sent to copies of
// its clusters named "<cluster>/btp/<policy namespace>/<policy name>",
// which carry all of them, and routes under no such policy keep the
// plain cluster. A cluster left without references is removed. Mirrors
// keep the plain clusters; TCP, TLS and UDP routes get copies too
// (btp_l4.go).

// clusterSettings says whether the policy sets anything on clusters.
func (f *btpFeatures) clusterSettings() bool {
	return f.healthCheck != nil || f.cluster != nil
}

// useCopies sends route r to the copies of its clusters that carry the
// cluster settings of policy f, and sets the hash policy of a consistent
// hash on r itself. Every cluster a route names is one of its Gateway's
// (g.Clusters); the copies are made once the Gateway's routes are built
// (copyClusters).
func (f *btpFeatures) useCopies(r *ir.Route) {
	if !f.clusterSettings() {
		return
	}
	if lb := f.clusterLB(); lb != nil && len(lb.Hash) > 0 {
		r.LoadBalancer = &ir.RouteLoadBalancer{Hash: lb.Hash}
	}
	var backends []ir.WeightedBackend
	suffix := copySuffix(f.key)
	for i, b := range r.Backends {
		if b.Cluster == "" {
			continue
		}
		if backends == nil {
			// Routes of one rule may share the slice: copy it.
			backends = slices.Clone(r.Backends)
		}
		backends[i].Cluster = b.Cluster + suffix
	}
	if backends != nil {
		r.Backends = backends
	}
}

// copySuffix ends the names of the cluster copies of the policy
// NAMESPACE/NAME key.
func copySuffix(key string) string { return "/btp/" + key }

// copyKey is what a cluster copy is made from: the Gateway, the cluster,
// the policy and the host of the first route that uses it (an HTTP
// health check's default Host).
type copyKey struct {
	gwNamespace, gwName string
	orig                *ir.Cluster
	f                   *btpFeatures
	host                string
}

// copyMemo keeps the cluster copies of a translation for the next one,
// so that an unchanged copy is the same object and its xDS is reused:
// last holds the last Plan's copies, made this Plan's.
type copyMemo struct {
	last, made map[copyKey]*ir.Cluster
}

// clusterUse is what copyClusters finds of a cluster of a Gateway: the
// cluster, whether a route or mirror names it and whether a copy
// replaces it for some route.
type clusterUse struct {
	c              *ir.Cluster
	used, replaced bool
}

// copyClusters adds to g the copies its HTTP routes name (useCopies), in
// route order, each made from the cluster it copies. It returns every
// cluster of g by name, copies included, with its use, and the same uses
// in the order of g.Clusters.
func (b *btpPlan) copyClusters(g *ir.Gateway, memo *copyMemo) (map[string]*clusterUse, []*clusterUse) {
	// One map, and entries allocated in blocks: this runs for every
	// route on every translation.
	uses := make(map[string]*clusterUse, 2*len(g.Clusters)) // room for a copy of each
	order := make([]*clusterUse, 0, 2*len(g.Clusters))
	slab := make([]clusterUse, 2*len(g.Clusters)+1)
	add := func(c *ir.Cluster) *clusterUse {
		if len(slab) == 0 {
			slab = make([]clusterUse, len(order)+1)
		}
		u := &slab[0]
		slab = slab[1:]
		u.c = c
		uses[c.Name] = u
		order = append(order, u)
		return u
	}
	for _, c := range g.Clusters {
		add(c)
	}
	forEachVirtualHost(g, func(vh *ir.VirtualHost) {
		host := vhostHost(vh)
		for _, r := range vh.Routes {
			for _, m := range r.Mirrors {
				if u := uses[m.Cluster]; u != nil {
					u.used = true
				}
			}
			for _, be := range r.Backends {
				u := uses[be.Cluster]
				if u == nil {
					c := b.makeCopy(g, be.Cluster, host, memo, uses)
					if c == nil {
						continue
					}
					u = add(c)
				}
				u.used = true
			}
		}
	})
	return uses, order
}

// makeCopy adds to g the copy named name, which a route of host uses,
// and marks the cluster it copies replaced; it returns nil when name
// names no copy of a cluster of g.
func (b *btpPlan) makeCopy(g *ir.Gateway, name, host string, memo *copyMemo, uses map[string]*clusterUse) *ir.Cluster {
	for j, f := range b.features {
		origName, ok := strings.CutSuffix(name, b.suffixes[j])
		orig := uses[origName]
		if !ok || orig == nil || !f.clusterSettings() {
			continue
		}
		k := copyKey{gwNamespace: g.Namespace, gwName: g.Name, orig: orig.c, f: f, host: host}
		c := memo.last[k]
		switch {
		case c == nil:
			c = clusterCopy(orig.c, name)
			if hc := f.healthCheck; hc != nil {
				hc.apply(c, origName, host, b.notes[j])
			}
			c.Traffic = f.cluster
		case f.healthCheck != nil:
			f.healthCheck.noteSkipped(c, origName, b.notes[j])
		}
		memo.made[k] = c
		g.Clusters = append(g.Clusters, c)
		orig.replaced = true
		return c
	}
	return nil
}

// clusterCopy is a copy of cluster orig named name.
func clusterCopy(orig *ir.Cluster, name string) *ir.Cluster {
	c := *orig
	c.Name = name
	return &c
}

func (f *btpFeatures) clusterLB() *ir.LoadBalancer {
	if f.cluster == nil {
		return nil
	}
	return f.cluster.LoadBalancer
}

// pruneClusters removes the replaced clusters nothing refers to any more:
// used are those the routes' backends and mirrors name; the TCP and UDP
// listeners' are added here.
func pruneClusters(g *ir.Gateway, replaced, used map[string]bool) {
	tcp := func(p *ir.TCPProxy) {
		if p != nil {
			for _, b := range p.Backends {
				used[b.Cluster] = true
			}
		}
	}
	for _, l := range g.Listeners {
		tcp(l.TCP)
		for _, c := range l.TLSChains {
			tcp(c.TCP)
		}
	}
	for _, u := range g.UDPListeners {
		used[u.Cluster] = true
	}
	g.Clusters = slices.DeleteFunc(g.Clusters, func(c *ir.Cluster) bool { return replaced[c.Name] && !used[c.Name] })
}

// vhostHost is the first non-wildcard domain of vh, without a port: the
// host of its routes.
func vhostHost(vh *ir.VirtualHost) string {
	for _, d := range vh.Domains {
		if !strings.Contains(d, "*") {
			host, _, _ := strings.Cut(d, ":")
			return host
		}
	}
	return ""
}

// forEachVirtualHost calls fn for every HTTP virtual host of g, in order.
func forEachVirtualHost(g *ir.Gateway, fn func(*ir.VirtualHost)) {
	for _, l := range g.Listeners {
		for _, vh := range l.VirtualHosts {
			fn(vh)
		}
		for _, c := range l.TLSChains {
			for _, vh := range c.VirtualHosts {
				fn(vh)
			}
		}
	}
}
