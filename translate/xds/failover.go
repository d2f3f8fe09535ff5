package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// bindAdditional makes a listener bind its additional addresses too, on
// its port and protocol. ipv4_compat stays false: the "::" socket of a
// dual stack listener is IPv6-only, next to the "0.0.0.0" one.
func bindAdditional(lis *listenerv3.Listener, addrs []string) {
	base := lis.GetAddress().GetSocketAddress()
	for _, a := range addrs {
		addr := socketAddress(a, base.GetPortValue())
		addr.GetSocketAddress().Protocol = base.GetProtocol()
		lis.AdditionalAddresses = append(lis.AdditionalAddresses, &listenerv3.AdditionalAddress{Address: addr})
	}
}

// dnsLookupFamily is the address family a DNS cluster resolves, as Envoy
// Gateway chooses it: IPv4 first when no family is set, only IPv4 or only
// IPv6 for those families, and both for DualStack.
func dnsLookupFamily(family string) clusterv3.Cluster_DnsLookupFamily {
	switch family {
	case ir.IPv4:
		return clusterv3.Cluster_V4_ONLY
	case ir.IPv6:
		return clusterv3.Cluster_V6_ONLY
	case ir.DualStack:
		return clusterv3.Cluster_ALL
	}
	return clusterv3.Cluster_V4_PREFERRED
}

func lbEndpoint(ep *ir.Endpoint) *endpointv3.LbEndpoint {
	addr := socketAddress(ep.Host, ep.Port)
	if ep.Unix != "" {
		addr = &corev3.Address{Address: &corev3.Address_Pipe{Pipe: &corev3.Pipe{Path: ep.Unix}}}
	}
	return &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
		Endpoint: &endpointv3.Endpoint{Address: addr},
	}}
}

// localities are the load assignment of a cluster: one locality of all
// endpoints, or, for a failover cluster, one per group, named after it,
// with its priority and weight.
func localities(c *ir.Cluster) []*endpointv3.LocalityLbEndpoints {
	if len(c.Groups) == 0 {
		var lbs []*endpointv3.LbEndpoint
		for _, ep := range c.Endpoints {
			lbs = append(lbs, lbEndpoint(ep))
		}
		return []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbs}}
	}
	var out []*endpointv3.LocalityLbEndpoints
	for _, g := range c.Groups {
		loc := &endpointv3.LocalityLbEndpoints{
			Locality:            &corev3.Locality{Region: g.Name},
			Priority:            g.Priority,
			LoadBalancingWeight: wrapperspb.UInt32(g.Weight),
		}
		for _, ep := range g.Endpoints {
			loc.LbEndpoints = append(loc.LbEndpoints, lbEndpoint(ep))
		}
		out = append(out, loc)
	}
	return out
}

// applyFailover weighs the localities of a failover cluster. Its passive
// health checks are the cluster's OutlierDetection (xds_healthcheck.go).
func applyFailover(cl *clusterv3.Cluster, c *ir.Cluster) {
	if len(c.Groups) > 0 {
		cl.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{
			LocalityConfigSpecifier: &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig_{
				LocalityWeightedLbConfig: &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig{},
			},
		}
	}
}
