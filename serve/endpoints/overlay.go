package endpoints

import (
	"cmp"
	"net/netip"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/sluice-gitops/sluice/translate"
)

// Overlay returns g with the live endpoints of its LiveServices: the
// ClusterLoadAssignment of a Service port's cluster (and of the copies
// policies made of it) gets one locality per zone, and the locality of a
// failover cluster that stands for the Service gets its endpoints. g is
// not changed; the assignments without live Services are shared.
func (l *Live) Overlay(g *translate.GatewayResult) *translate.GatewayResult {
	if len(g.LiveServices) == 0 {
		return g
	}
	live := make(map[string][]*endpointv3.LocalityLbEndpoints, len(g.LiveServices))
	for _, s := range g.LiveServices {
		live[s.Cluster()] = zoneLocalities(s, l.watcher.Slices(s.Namespace, s.Name))
	}
	out := *g
	out.Endpoints = make([]*endpointv3.ClusterLoadAssignment, len(g.Endpoints))
	for i, cla := range g.Endpoints {
		out.Endpoints[i] = fill(cla, live)
	}
	return &out
}

// fill returns cla with the live endpoints of the Services it stands for,
// or cla itself when it stands for none.
func fill(cla *endpointv3.ClusterLoadAssignment, live map[string][]*endpointv3.LocalityLbEndpoints) *endpointv3.ClusterLoadAssignment {
	if prefix, ok := translate.ServiceOfCluster(cla.ClusterName); ok {
		if locs, ok := live[prefix]; ok {
			c := proto.Clone(cla).(*endpointv3.ClusterLoadAssignment)
			c.Endpoints = locs
			return c
		}
	}
	var c *endpointv3.ClusterLoadAssignment
	for i, loc := range cla.Endpoints {
		if loc.Locality == nil {
			continue
		}
		locs, ok := live[loc.Locality.Region] // a failover group
		if !ok {
			continue
		}
		if c == nil {
			c = proto.Clone(cla).(*endpointv3.ClusterLoadAssignment)
		}
		c.Endpoints[i].LbEndpoints = nil
		for _, l := range locs {
			c.Endpoints[i].LbEndpoints = append(c.Endpoints[i].LbEndpoints, l.LbEndpoints...)
		}
	}
	if c == nil {
		return cla
	}
	return c
}

// liveEndpoint is one endpoint of a Service port.
type liveEndpoint struct {
	zone string
	addr netip.Addr
	port uint32
}

// zoneLocalities turns the slices of Service port s into localities, one
// per zone (sorted, the endpoints without a zone first, in a locality
// without one), each of its endpoints sorted and without repeats. An
// endpoint serves when it is ready (or does not say) and serving (or does
// not say); of its addresses the first is used, as kube-proxy does. FQDN
// slices are left out: an EDS endpoint is an address.
func zoneLocalities(s translate.LiveService, list []*discoveryv1.EndpointSlice) []*endpointv3.LocalityLbEndpoints {
	var eps []liveEndpoint
	for _, sl := range list {
		port := translate.LiveSlicePort(s, sl)
		if port == 0 || sl.AddressType == discoveryv1.AddressTypeFQDN {
			continue
		}
		for _, ep := range sl.Endpoints {
			c := ep.Conditions
			if (c.Ready != nil && !*c.Ready) || (c.Serving != nil && !*c.Serving) || len(ep.Addresses) == 0 {
				continue
			}
			addr, err := netip.ParseAddr(ep.Addresses[0])
			if err != nil {
				continue // the API server validates addresses
			}
			e := liveEndpoint{addr: addr, port: port}
			if ep.Zone != nil {
				e.zone = *ep.Zone
			}
			eps = append(eps, e)
		}
	}
	slices.SortFunc(eps, func(a, b liveEndpoint) int {
		return cmp.Or(cmp.Compare(a.zone, b.zone), a.addr.Compare(b.addr), cmp.Compare(a.port, b.port))
	})
	eps = slices.Compact(eps)
	var out []*endpointv3.LocalityLbEndpoints
	for i, e := range eps {
		if i == 0 || e.zone != eps[i-1].zone {
			loc := &endpointv3.LocalityLbEndpoints{}
			if e.zone != "" {
				loc.Locality = &corev3.Locality{Zone: e.zone}
			}
			out = append(out, loc)
		}
		loc := out[len(out)-1]
		loc.LbEndpoints = append(loc.LbEndpoints, lbEndpoint(e))
	}
	if out == nil {
		// No endpoint: an empty locality, as translate serves a Service
		// without any (Envoy answers 503).
		out = []*endpointv3.LocalityLbEndpoints{{}}
	}
	return out
}

func lbEndpoint(e liveEndpoint) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: e.addr.String(), PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: e.port},
		}}},
	}}}
}
