package policies

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// The clusters of BackendTrafficPolicy healthCheck: per-policy copies of
// the clusters of the routes a policy is in force on (healthcheck.go
// says why).

// healthChecked gives route r of gateway g copies of its clusters that
// carry hc, named after policy, creating them in g.Clusters as needed.
// An HTTP check without a hostname sends the Host Envoy Gateway would:
// a Backend's hostname, else the route's (host, the first non-wildcard
// domain of its virtual host), else the first endpoint's address; never
// Envoy's default, the cluster name, which is not a valid Host.
// byName indexes g.Clusters; replaced collects the clusters r no longer
// uses. A gRPC check cannot run on a cluster that does not speak HTTP/2
// (only GRPCRoute backends do): such a copy gets no active check, and
// notes says so.
func (hc *healthCheck) healthChecked(g *ir.Gateway, r *ir.Route, host, policy string, byName map[string]*ir.Cluster, replaced map[string]bool, notes map[string]bool) {
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
		name := b.Cluster + "/healthcheck/" + policy
		if byName[name] == nil {
			c := *orig
			c.Name = name
			if hc.active != nil && (hc.active.GRPC == nil || c.HTTP2) {
				c.HealthCheck = hc.active
				if h := hc.active.HTTP; h != nil && h.Host == "" {
					active, http := *hc.active, *h
					http.Host = checkHost(&c, host)
					active.HTTP = &http
					c.HealthCheck = &active
				}
			} else if hc.active != nil {
				notes[fmt.Sprintf("spec.healthCheck.active: type GRPC is not applied to backend cluster %s, which does not speak HTTP/2", orig.Name)] = true
			}
			if hc.passive != nil {
				c.OutlierDetection = hc.passive
			}
			if hc.panic != nil {
				c.HealthyPanicThreshold = hc.panic
			}
			byName[name] = &c
			g.Clusters = append(g.Clusters, &c)
		}
		replaced[b.Cluster] = true
		backends[i].Cluster = name
	}
	if backends != nil {
		r.Backends = backends
	}
}

// pruneClusters removes the replaced clusters nothing refers to any more
// (routes' backends and mirrors, TCP and UDP listeners), and sorts the
// clusters by name again.
func pruneClusters(g *ir.Gateway, replaced map[string]bool) {
	used := map[string]bool{}
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

// checkHost is the Host of an HTTP health check of cluster c used by a
// route of host (or "").
func checkHost(c *ir.Cluster, host string) string {
	eps := c.Endpoints
	if len(c.Groups) > 0 {
		eps = c.Groups[0].Endpoints
	}
	var first string
	if len(eps) > 0 {
		first = eps[0].Host
	}
	switch {
	case c.DNS && first != "":
		return first
	case host != "":
		return host
	case strings.Contains(first, ":"):
		return "[" + first + "]"
	case first != "":
		return first
	}
	return "localhost"
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
