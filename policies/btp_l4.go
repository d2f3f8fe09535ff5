package policies

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	udpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/udp/udp_proxy/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy on TCPRoute, TLSRoute and UDPRoute traffic: a
// policy in force on such a route (through the route, its listener or
// its Gateway) sets what concerns the route's clusters, as Envoy Gateway
// does, on per-policy copies of them (btp_cluster_copies.go), which the
// tcp_proxy or udp_proxy then uses:
//
//   - TCPRoute and TLSRoute (tcp_proxy): healthCheck, circuitBreaker,
//     loadBalancer, tcpKeepalive, proxyProtocol and
//     timeout.tcp.connectTimeout; a consistent hash by source IP is the
//     tcp_proxy's hash policy.
//   - UDPRoute (udp_proxy): loadBalancer only, a consistent hash by
//     source IP on the udp_proxy. Envoy's active health checks speak TCP,
//     HTTP or gRPC, which a UDP service does not answer; Envoy Gateway
//     applies neither they nor the connection settings to UDP.
//
// What concerns HTTP requests (retry, rateLimit, faultInjection,
// compression, responseOverride, timeout.http, a consistent hash by
// header, cookie or query parameter) does not apply to them: the
// policy's Accepted condition names those fields for each such route.
// Unlike Envoy Gateway, which merges an L4 route's settings field by
// field across the route, listener and Gateway policies, one policy is
// in force on a route, as for HTTP.

// btpTCPFields are the top-level spec fields that apply to TCP and TLS
// routes; btpUDPFields those that apply to UDP routes. Fields sluice does
// not implement are named as unsupported already.
var (
	btpTCPFields = map[string]bool{
		"targetRef": true, "targetRefs": true, "targetSelectors": true,
		"healthCheck": true, "circuitBreaker": true, "loadBalancer": true,
		"tcpKeepalive": true, "proxyProtocol": true, "timeout": true,
	}
	btpUDPFields = map[string]bool{
		"targetRef": true, "targetRefs": true, "targetSelectors": true,
		"loadBalancer": true,
	}
)

// l4Ignored names the set spec fields that do not apply to TCP and TLS
// routes (tcp) and to UDP routes (udp), sorted.
func l4Ignored(spec egv1a1.BackendTrafficPolicySpec) (tcp, udp []string) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil, nil
	}
	for k, v := range m {
		if !btpImplemented[k] || string(v) == "null" || string(v) == "{}" || string(v) == "[]" {
			continue
		}
		if !btpTCPFields[k] {
			tcp = append(tcp, "spec."+k)
		}
		if !btpUDPFields[k] {
			udp = append(udp, "spec."+k)
		}
	}
	if to := spec.Timeout; to != nil && to.HTTP != nil {
		tcp = append(tcp, "spec.timeout.http")
	}
	if cb := spec.CircuitBreaker; cb != nil && cb.MaxRequestsPerConnection != nil {
		tcp = append(tcp, "spec.circuitBreaker.maxRequestsPerConnection")
	}
	if lb := spec.LoadBalancer; lb != nil && lb.ConsistentHash != nil && lb.ConsistentHash.Type != egv1a1.SourceIPConsistentHashType {
		tcp = append(tcp, "spec.loadBalancer.consistentHash (type "+string(lb.ConsistentHash.Type)+")")
		udp = append(udp, "spec.loadBalancer.consistentHash (type "+string(lb.ConsistentHash.Type)+")")
	}
	sort.Strings(tcp)
	sort.Strings(udp)
	return tcp, udp
}

// l4ClusterSettings is what policy f sets on the clusters of an L4
// route: its cluster traffic settings without the HTTP ones (for UDP,
// the load balancer only) and, for TCP, its health checks.
func (f *btpFeatures) l4ClusterSettings(udp bool) (*ir.ClusterTraffic, *healthCheck) {
	c := f.cluster
	if c == nil {
		c = &ir.ClusterTraffic{}
	}
	if udp {
		if c.LoadBalancer == nil {
			return nil, nil
		}
		return &ir.ClusterTraffic{LoadBalancer: c.LoadBalancer}, nil
	}
	t := *c
	t.IdleTimeout, t.MaxConnectionDuration = nil, nil
	if cb := t.CircuitBreaker; cb != nil && cb.MaxRequestsPerConnection != nil {
		cp := *cb
		cp.MaxRequestsPerConnection = nil
		t.CircuitBreaker = &cp
	}
	if t == (ir.ClusterTraffic{}) {
		return nil, f.healthCheck
	}
	return &t, f.healthCheck
}

// sourceIPHash is the policy's consistent hash by source IP, the only
// one an L4 proxy can compute, or nil.
func (f *btpFeatures) sourceIPHash() []ir.HashPolicy {
	lb := f.clusterLB()
	if lb == nil || lb.Type != ir.LBConsistentHash {
		return nil
	}
	var out []ir.HashPolicy
	for _, h := range lb.Hash {
		if h.SourceIP {
			out = append(out, h)
		}
	}
	return out
}

// applyL4 puts the cluster settings of the policies in force on the TCP,
// TLS and UDP routes of gateway g on copies of their clusters. effective
// gives the index of the policy in force on a route (or -1), keys the
// policies' NAMESPACE/NAME, notes collects each policy's status notes;
// byName and replaced are as for btpPlan.copyClusters.
func applyL4(g *ir.Gateway, effective func(*ir.RouteOrigin) int, features []*btpFeatures, keys []string, notes []map[string]bool,
	byName map[string]*ir.Cluster, replaced map[string]bool) {
	proxy := func(p *ir.TCPProxy) {
		if p == nil || p.Origin == nil {
			return
		}
		j := effective(p.Origin)
		if j < 0 {
			return
		}
		f := features[j]
		noteL4(notes[j], p.Origin, f.tcpIgnored)
		p.Hash = f.sourceIPHash()
		if t, hc := f.l4ClusterSettings(false); t == nil && hc == nil {
			return
		}
		backends := slices.Clone(p.Backends) // routes on several listeners share them
		for i, b := range backends {
			if name := f.l4Copy(g, b.Cluster, keys[j], false, byName, notes[j]); name != "" {
				replaced[b.Cluster] = true
				backends[i].Cluster = name
			}
		}
		p.Backends = backends
	}
	for _, l := range g.Listeners {
		proxy(l.TCP)
		for _, c := range l.TLSChains {
			proxy(c.TCP)
		}
	}
	for _, u := range g.UDPListeners {
		if u.Origin == nil {
			continue
		}
		j := effective(u.Origin)
		if j < 0 {
			continue
		}
		f := features[j]
		noteL4(notes[j], u.Origin, f.udpIgnored)
		u.Hash = f.sourceIPHash()
		if t, _ := f.l4ClusterSettings(true); t != nil {
			if name := f.l4Copy(g, u.Cluster, keys[j], true, byName, notes[j]); name != "" {
				replaced[u.Cluster] = true
				u.Cluster = name
			}
		}
	}
}

// l4Copy returns the name of the copy of cluster that carries the
// policy's settings for TCP (or UDP) traffic, creating it as needed, or
// "" when the cluster does not exist. HTTP routes under the policy share
// the copy when the settings are the same; otherwise its name ends in
// "/tcp" or "/udp".
func (f *btpFeatures) l4Copy(g *ir.Gateway, cluster, policy string, udp bool, byName map[string]*ir.Cluster, notes map[string]bool) string {
	orig := byName[cluster]
	if orig == nil {
		return ""
	}
	t, hc := f.l4ClusterSettings(udp)
	name := cluster + "/btp/" + policy
	switch {
	case udp && (hc != f.healthCheck || !reflect.DeepEqual(t, f.cluster)):
		name += "/udp"
	case !udp && !reflect.DeepEqual(t, f.cluster):
		name += "/tcp"
	}
	if byName[name] == nil {
		c := clusterCopy(orig, name)
		if hc != nil {
			hc.apply(c, orig.Name, "", notes)
		}
		c.Traffic = t
		byName[name] = c
		g.Clusters = append(g.Clusters, c)
	}
	return name
}

// noteL4 records in a policy's status notes the set fields that do not
// apply to the L4 route o.
func noteL4(notes map[string]bool, o *ir.RouteOrigin, ignored []string) {
	switch len(ignored) {
	case 0:
	case 1:
		notes[fmt.Sprintf("field %s does not apply to %s %s/%s and is ignored for it", ignored[0], o.Kind, o.Namespace, o.Name)] = true
	default:
		notes[fmt.Sprintf("fields %s do not apply to %s %s/%s and are ignored for it", strings.Join(ignored, ", "), o.Kind, o.Namespace, o.Name)] = true
	}
}

// TCPProxyHash is the tcp_proxy hash policy of p: a consistent hash by
// the client's address, or none.
func TCPProxyHash(p *ir.TCPProxy) []*typev3.HashPolicy {
	var out []*typev3.HashPolicy
	for _, h := range p.Hash {
		if h.SourceIP {
			out = append(out, &typev3.HashPolicy{PolicySpecifier: &typev3.HashPolicy_SourceIp_{SourceIp: &typev3.HashPolicy_SourceIp{}}})
		}
	}
	return out
}

// UDPProxyHash is the udp_proxy hash policy of u: a consistent hash by
// the client's address, or none.
func UDPProxyHash(u *ir.UDPListener) []*udpproxyv3.UdpProxyConfig_HashPolicy {
	var out []*udpproxyv3.UdpProxyConfig_HashPolicy
	for _, h := range u.Hash {
		if h.SourceIP {
			out = append(out, &udpproxyv3.UdpProxyConfig_HashPolicy{PolicySpecifier: &udpproxyv3.UdpProxyConfig_HashPolicy_SourceIp{SourceIp: true}})
		}
	}
	return out
}
