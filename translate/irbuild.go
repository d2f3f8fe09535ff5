package translate

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// buildGatewayIR merges the valid listeners of a Gateway by port and fills
// their virtual hosts from the attached routes.
func (t *translator) buildGatewayIR(g *gatewayState) {
	byPort := map[uint32]*ir.Listener{}
	vhosts := map[uint32]map[string]*vhostBuilder{}
	vhostOrder := map[uint32][]*vhostBuilder{} // as made: nearly sorted, cheaper to sort
	hostsOnPort := map[uint32][]string{}
	for _, l := range g.listeners {
		if l.valid && l.spec.Protocol == gwapiv1.HTTPProtocolType {
			hostsOnPort[uint32(l.spec.Port)] = append(hostsOnPort[uint32(l.spec.Port)], hostnameOf(l.spec.Hostname))
		}
	}
	t.mergedHosts(g, hostsOnPort, gwapiv1.HTTPProtocolType)
	for _, l := range g.listeners {
		if !l.valid || l.spec.Protocol != gwapiv1.HTTPProtocolType {
			continue // the other protocols: irbuild_l4.go
		}
		port := uint32(l.spec.Port)
		il, ok := byPort[port]
		if !ok {
			il = &ir.Listener{
				Name:    g.obj.Namespace + "/" + g.obj.Name + "/" + string(l.spec.Name),
				Address: "0.0.0.0",
				Port:    port,
			}
			byPort[port] = il
			vhosts[port] = map[string]*vhostBuilder{}
			g.ir.Listeners = append(g.ir.Listeners, il)
		}
		for _, ar := range l.routes {
			for _, host := range ar.hostnames {
				// Listener isolation: a host belongs to the most specific
				// listener that matches it; the routes of the others do not
				// see its requests.
				if owningListener(hostsOnPort[port], host) != hostnameOf(l.spec.Hostname) {
					continue
				}
				vb, ok := vhosts[port][host]
				if !ok {
					vb = &vhostBuilder{prefix: il.Name, host: host, listener: string(l.spec.Name), port: port}
					vhosts[port][host] = vb
					vhostOrder[port] = append(vhostOrder[port], vb)
				}
				vb.add(ar, g)
			}
		}
	}
	for _, il := range g.ir.Listeners {
		il.VirtualHosts = slices.Grow(il.VirtualHosts, len(vhostOrder[il.Port]))
		for _, vb := range vhostOrder[il.Port] {
			il.VirtualHosts = append(il.VirtualHosts, t.virtualHost(vb, g))
		}
		slices.SortFunc(il.VirtualHosts, func(a, b *ir.VirtualHost) int { return strings.Compare(a.Name, b.Name) })
	}
	t.buildL4IR(g)
	t.applyProxy(g)
	sort.Slice(g.ir.Listeners, func(i, j int) bool { return g.ir.Listeners[i].Port < g.ir.Listeners[j].Port })
	g.ir.Clusters = slices.Grow(g.ir.Clusters, len(g.clusters))
	for _, c := range g.clusters {
		g.ir.Clusters = append(g.ir.Clusters, c)
	}
	t.policies.FinishGateway(g.ir)
	slices.SortFunc(g.ir.Clusters, func(a, b *ir.Cluster) int { return strings.Compare(a.Name, b.Name) })
}

// vhostNamer is built once: building a Replacer costs more than using it.
var vhostNamer = strings.NewReplacer(".", "_", "*", "wildcard")

// owningListener returns the hostname of the listener that requests for
// host reach: an equal hostname, else the longest wildcard that covers it,
// else the listener without a hostname ("").
func owningListener(listeners []string, host string) string {
	best := ""
	for _, l := range listeners {
		switch {
		case l == host:
			return l
		case strings.HasPrefix(l, "*.") && wildcardMatches(l, host) && len(l) > len(best):
			best = l
		}
	}
	return best
}

func vhostName(host string) string {
	return vhostNamer.Replace(host)
}

// vhostBuilder collects the routes attached to one virtual host, then
// builds it.
type vhostBuilder struct {
	// prefix and host make the name, prefix/host as vhostName writes it.
	prefix, host string
	// routes are those attached, each once; one is held without an
	// allocation of its own.
	routes []*attachedRoute
	one    [1]*attachedRoute
	keys   []routeKey
	// first and seen hold the routes added: most virtual hosts have one
	// route, which needs no map.
	first *gwapiv1.HTTPRoute
	seen  map[*gwapiv1.HTTPRoute]bool
	// listener is the Gateway listener that owns the host; port and https
	// are its port and whether it terminates TLS (redirects need them).
	listener string
	port     uint32
	https    bool
}

// add attaches a route to the virtual host, once, and registers the
// clusters of its rules with the Gateway.
func (vb *vhostBuilder) add(ar *attachedRoute, g *gatewayState) {
	rt := ar.route
	if !vb.addOnce(rt) {
		return // attached through two listeners on the same port
	}
	for _, rb := range ar.rules {
		for _, c := range rb.clusters {
			g.clusters[c.Name] = c
		}
	}
	if vb.routes == nil {
		vb.routes = vb.one[:0]
	}
	vb.routes = append(vb.routes, ar)
}

// build returns the virtual host with one route per rule and match of
// each attached route, in precedence order, each with what the policies
// of plan in force on it do.
func (vb *vhostBuilder) build(g *gatewayState, plan *policies.Plan) *ir.VirtualHost {
	for _, ar := range vb.routes {
		vb.addRoutes(ar, g, plan)
	}
	vh := &ir.VirtualHost{Name: vb.prefix + "/" + vhostName(vb.host), Domains: []string{vb.host}}
	vb.sort(vh)
	return vh
}

// addRoutes appends one route per rule and match of an attached route.
func (vb *vhostBuilder) addRoutes(ar *attachedRoute, g *gatewayState, plan *policies.Plan) {
	rt := ar.route
	id := rt.Namespace + "/" + rt.Name
	// What every route of rt shares: the start of its name, its age,
	// where it comes from and the policies in force on it.
	prefix := strings.ToLower(ar.kind) + "/" + id + "/rule/"
	suffix := "/" + vhostName(vb.host)
	created := rt.CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z")
	origin := vb.origin(ar, g)
	inForce := plan.InForce(&origin)
	for i, rule := range httpRouteRules(rt) {
		matches := rule.Matches
		if len(matches) == 0 {
			matches = []gwapiv1.HTTPRouteMatch{{}}
		}
		rb := ar.rules[i]
		for j, m := range matches {
			r := &ir.Route{Name: prefix + strconv.Itoa(i) + "/match/" + strconv.Itoa(j) + suffix}
			applyMatch(r, m)
			r.GRPC = ar.grpc != nil
			r.Origin = origin
			switch {
			case rb.filters.unresolved:
				r.DirectStatus = 500 // a filter that cannot be resolved must not be skipped
			case rb.filters.directStatus != 0:
				r.DirectStatus, r.Direct = rb.filters.directStatus, rb.filters.direct
			case rb.filters.redirect != nil:
				r.Redirect = listenerRedirect(rb.filters.redirect, vb.port, vb.https)
			case len(rb.backends) == 0, !anyValid(rb.backends):
				r.DirectStatus = 500
				if r.GRPC {
					r.DirectStatus = 503 // UNAVAILABLE, as the GRPCRoute spec asks
				}
			default:
				r.Backends = rb.backends
			}
			rb.filters.apply(r)
			if len(r.Backends) > 0 {
				r.Session = routeSession(rt, i, rule.SessionPersistence, r.Path)
			}
			plan.ApplyRoute(r, inForce)
			k := routeKey{
				r: r, created: created,
				id: id, rule: i, match: j, grpc: ar.grpc != nil,
			}
			if k.grpc {
				k.service, k.method = grpcMatchKey(ar.grpc, i, j)
			}
			vb.keys = append(vb.keys, k)
		}
	}
}

// origin is where the routes of ar in this virtual host come from.
func (vb *vhostBuilder) origin(ar *attachedRoute, g *gatewayState) ir.RouteOrigin {
	return ir.RouteOrigin{Kind: ar.kind, Namespace: ar.route.Namespace, Name: ar.route.Name,
		GatewayNamespace: g.obj.Namespace, GatewayName: g.obj.Name, Listener: vb.listener}
}

// addOnce records a route and reports whether it is new. A route of one
// kind, namespace and name is one object (a GRPCRoute's, the HTTPRoute it
// translates to).
func (vb *vhostBuilder) addOnce(key *gwapiv1.HTTPRoute) bool {
	switch {
	case vb.first == nil:
		vb.first = key
		return true
	case vb.first == key || vb.seen[key]:
		return false
	}
	if vb.seen == nil {
		vb.seen = map[*gwapiv1.HTTPRoute]bool{}
	}
	vb.seen[key] = true
	return true
}

func anyValid(bs []ir.WeightedBackend) bool {
	for _, b := range bs {
		if b.Cluster != "" {
			return true
		}
	}
	return false
}

// applyMatch copies a match into the IR route, applying the CRD defaults:
// path PathPrefix "/", header and query type Exact.
func applyMatch(r *ir.Route, m gwapiv1.HTTPRouteMatch) {
	typ, value := gwapiv1.PathMatchPathPrefix, "/"
	if m.Path != nil {
		if m.Path.Type != nil {
			typ = *m.Path.Type
		}
		if m.Path.Value != nil {
			value = *m.Path.Value
		}
	}
	switch typ {
	case gwapiv1.PathMatchExact:
		r.Path.Exact = value
	case gwapiv1.PathMatchRegularExpression:
		r.Path.Regex = value
	default:
		r.Path.Prefix = value
	}
	if m.Method != nil {
		r.Method = string(*m.Method)
	}
	// Of entries with equivalent names only the first counts (header
	// names compare case-insensitively, query parameter names exactly).
	seen := map[string]bool{}
	for _, h := range m.Headers {
		if name := strings.ToLower(string(h.Name)); !seen[name] {
			seen[name] = true
			regex := h.Type != nil && *h.Type == gwapiv1.HeaderMatchRegularExpression
			r.Headers = append(r.Headers, stringMatch(string(h.Name), h.Value, regex))
		}
	}
	seen = map[string]bool{}
	for _, q := range m.QueryParams {
		if !seen[string(q.Name)] {
			seen[string(q.Name)] = true
			regex := q.Type != nil && *q.Type == gwapiv1.QueryParamMatchRegularExpression
			r.QueryParams = append(r.QueryParams, stringMatch(string(q.Name), q.Value, regex))
		}
	}
}

// stringMatch matches name's value exactly (the CRD default) or by regex.
func stringMatch(name, value string, regex bool) ir.StringMatch {
	if regex {
		return ir.StringMatch{Name: name, Regex: value}
	}
	return ir.StringMatch{Name: name, Exact: value}
}
