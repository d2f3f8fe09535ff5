package policies

import (
	"slices"
	"sort"
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

// applyClusters puts the cluster settings of policy f (named policy) on
// route r of gateway g: copies of its clusters that carry them, created
// in g.Clusters as needed, and the hash policy of a consistent hash on r
// itself. host is r's host (routeHosts), for HTTP health checks; byName
// indexes g.Clusters; replaced collects the clusters r no longer uses.
func (f *btpFeatures) applyClusters(g *ir.Gateway, r *ir.Route, host, policy string, byName map[string]*ir.Cluster, replaced map[string]bool) {
	if !f.clusterSettings() {
		return
	}
	if lb := f.clusterLB(); lb != nil && len(lb.Hash) > 0 {
		r.LoadBalancer = &ir.RouteLoadBalancer{Hash: lb.Hash}
	}
	var backends []ir.WeightedBackend
	for i, b := range r.Backends {
		orig := byName[b.Cluster]
		if orig == nil {
			continue
		}
		if backends == nil {
			// Routes of one rule may share the slice: copy it.
			backends = slices.Clone(r.Backends)
		}
		name := b.Cluster + "/btp/" + policy
		if byName[name] == nil {
			c := clusterCopy(orig, name)
			if hc := f.healthCheck; hc != nil {
				hc.apply(c, orig.Name, host, f.notes)
			}
			c.Traffic = f.cluster
			byName[name] = c
			g.Clusters = append(g.Clusters, c)
		}
		replaced[b.Cluster] = true
		backends[i].Cluster = name
	}
	if backends != nil {
		r.Backends = backends
	}
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

// pruneClusters removes the replaced clusters nothing refers to any more
// (routes' backends and mirrors, TCP and UDP listeners), and sorts the
// clusters by name again.
func pruneClusters(g *ir.Gateway, replaced map[string]bool) {
	used := make(map[string]bool, len(g.Clusters))
	forEachRoute([]*ir.Gateway{g}, func(r *ir.Route) {
		for _, b := range r.Backends {
			used[b.Cluster] = true
		}
		for _, m := range r.Mirrors {
			used[m.Cluster] = true
		}
	})
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
	sort.Slice(g.Clusters, func(i, j int) bool { return g.Clusters[i].Name < g.Clusters[j].Name })
}

// routeHosts maps the routes of g to the first non-wildcard domain of
// their virtual host.
func routeHosts(g *ir.Gateway) map[*ir.Route]string {
	out := map[*ir.Route]string{}
	each := func(vhs []*ir.VirtualHost) {
		for _, vh := range vhs {
			host := ""
			for _, d := range vh.Domains {
				if !strings.Contains(d, "*") {
					host, _, _ = strings.Cut(d, ":")
					break
				}
			}
			for _, r := range vh.Routes {
				out[r] = host
			}
		}
	}
	for _, l := range g.Listeners {
		each(l.VirtualHosts)
		for _, c := range l.TLSChains {
			each(c.VirtualHosts)
		}
	}
	return out
}
