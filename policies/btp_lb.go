package policies

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy loadBalancer: RoundRobin, LeastRequest, Random or
// ConsistentHash (Maglev, as Envoy Gateway uses), with a slow start
// window for the first two. A consistent hash hashes a header (or
// several), a cookie, query parameters or the client's address: the
// cluster gets the Maglev balancer, the policy's routes the hash policy.
//
// Without a loadBalancer a cluster balances LeastRequest, Envoy Gateway's
// default (translate, buildCluster). sluice sets the balancer
// with Envoy's lb_policy and its typed lb_config (Envoy Gateway uses the
// equivalent load_balancing_policy extensions), which keeps the locality
// weighting of failover clusters and the healthy panic threshold in
// common_lb_config working unchanged.
//
// zoneAware, endpointOverride and the BackendUtilization and
// DynamicModule types are not supported: named in status and ignored
// (the cluster keeps the default balancer), after the CRD's rules on
// them pass.

// lbImplemented are the loadBalancer fields sluice implements.
var lbImplemented = map[string]bool{"type": true, "consistentHash": true, "slowStart": true}

func (v *specValidator) loadBalancer(field string, lb *egv1a1.LoadBalancer) *ir.LoadBalancer {
	if lb == nil {
		return nil
	}
	switch lb.Type {
	case "":
		v.errs.Add(field+".type", "is required; one of RoundRobin, LeastRequest, Random, ConsistentHash")
		return nil
	case egv1a1.RoundRobinLoadBalancerType, egv1a1.LeastRequestLoadBalancerType, egv1a1.RandomLoadBalancerType,
		egv1a1.ConsistentHashLoadBalancerType, egv1a1.BackendUtilizationLoadBalancerType, egv1a1.DynamicModuleLoadBalancerType:
	default:
		v.errs.Add(field+".type", "%q is not one of RoundRobin, LeastRequest, Random, ConsistentHash, BackendUtilization, DynamicModule", lb.Type)
		return nil
	}
	v.lbRules(field, lb)
	out := &ir.LoadBalancer{Type: string(lb.Type)}
	switch lb.Type {
	case egv1a1.RoundRobinLoadBalancerType, egv1a1.LeastRequestLoadBalancerType, egv1a1.RandomLoadBalancerType:
	case egv1a1.ConsistentHashLoadBalancerType:
		if lb.ConsistentHash != nil {
			out.TableSize, out.Hash = v.consistentHash(field+".consistentHash", lb.ConsistentHash)
		}
	default: // BackendUtilization, DynamicModule
		v.ignore(fmt.Sprintf("%s (type %s)", field, lb.Type))
		return nil
	}
	if s := lb.SlowStart; s != nil {
		if s.Window == nil {
			v.errs.Add(field+".slowStart.window", "is required")
		} else {
			w := v.durationMin(field+".slowStart.window", *s.Window, fields.Positive)
			out.SlowStart = &w
		}
	}
	v.ignored = append(v.ignored, unimplemented(field, lb, lbImplemented)...)
	return out
}

// lbRules are the CRD's rules on which fields go with which type.
func (v *specValidator) lbRules(field string, lb *egv1a1.LoadBalancer) {
	needs := []struct {
		typ egv1a1.LoadBalancerType
		sub string
		set bool
	}{
		{egv1a1.ConsistentHashLoadBalancerType, "consistentHash", lb.ConsistentHash != nil},
		{egv1a1.BackendUtilizationLoadBalancerType, "backendUtilization", lb.BackendUtilization != nil},
		{egv1a1.DynamicModuleLoadBalancerType, "dynamicModule", lb.DynamicModule != nil},
	}
	for _, n := range needs {
		switch {
		case lb.Type == n.typ && !n.set:
			v.errs.Add(fmt.Sprintf("%s.%s", field, n.sub), "must be set for type %s", n.typ)
		case lb.Type != n.typ && n.set:
			v.errs.Add(fmt.Sprintf("%s.%s", field, n.sub), "can only be set for type %s, not %s", n.typ, lb.Type)
		}
	}
	switch lb.Type {
	case egv1a1.RandomLoadBalancerType, egv1a1.ConsistentHashLoadBalancerType, egv1a1.DynamicModuleLoadBalancerType:
		if lb.SlowStart != nil {
			v.errs.Add(field+".slowStart", "is only supported for types RoundRobin, LeastRequest and BackendUtilization, not %s", lb.Type)
		}
	}
	if z := lb.ZoneAware; z != nil {
		switch {
		case z.PreferLocal != nil && len(z.WeightedZones) > 0:
			v.errs.Add(field+".zoneAware", "preferLocal and weightedZones cannot be set together")
		case z.PreferLocal != nil && (lb.Type == egv1a1.ConsistentHashLoadBalancerType || lb.Type == egv1a1.BackendUtilizationLoadBalancerType):
			v.errs.Add(field+".zoneAware.preferLocal", "is not supported for type %s", lb.Type)
		case lb.Type == egv1a1.DynamicModuleLoadBalancerType:
			v.errs.Add(field+".zoneAware", "is not supported for type %s", lb.Type)
		}
		if p := z.PreferLocal; p != nil && p.PercentageEnabled != nil {
			v.percent(field+".zoneAware.preferLocal.percentageEnabled", int64(*p.PercentageEnabled))
		}
	}
	if lb.EndpointOverride != nil && lb.Type == egv1a1.DynamicModuleLoadBalancerType {
		v.errs.Add(field+".endpointOverride", "is not supported for type %s", lb.Type)
	}
}

// consistentHash checks a consistentHash and returns its Maglev table
// size (0: Envoy's default) and what it hashes.
func (v *specValidator) consistentHash(field string, ch *egv1a1.ConsistentHash) (uint64, []ir.HashPolicy) {
	var size uint64
	if n := ch.TableSize; n != nil {
		size = *n
		switch {
		case *n < 2 || *n > ir.MaxMaglevTableSize:
			v.errs.Add(field+".tableSize", "%d is not between 2 and %d", *n, ir.MaxMaglevTableSize)
		case !big.NewInt(int64(*n)).ProbablyPrime(0):
			v.errs.Add(field+".tableSize", "%d is not a prime number", *n)
		}
	}
	subs := []struct {
		typ egv1a1.ConsistentHashType
		sub string
		set bool
	}{
		{egv1a1.HeaderConsistentHashType, "header", ch.Header != nil},
		{egv1a1.HeadersConsistentHashType, "headers", ch.Headers != nil},
		{egv1a1.CookieConsistentHashType, "cookie", ch.Cookie != nil},
		{egv1a1.QueryParamsConsistentHashType, "queryParams", ch.QueryParams != nil},
	}
	for _, s := range subs {
		switch {
		case ch.Type == s.typ && !s.set:
			v.errs.Add(fmt.Sprintf("%s.%s", field, s.sub), "must be set for type %s", s.typ)
		case ch.Type != s.typ && s.set:
			v.errs.Add(fmt.Sprintf("%s.%s", field, s.sub), "can only be set for type %s, not %s", s.typ, ch.Type)
		}
	}
	var hash []ir.HashPolicy
	switch ch.Type {
	case egv1a1.SourceIPConsistentHashType:
		hash = []ir.HashPolicy{{SourceIP: true}}
	case egv1a1.HeaderConsistentHashType:
		if ch.Header != nil {
			hash = []ir.HashPolicy{{Header: v.token(field+".header.name", ch.Header.Name)}}
		}
	case egv1a1.HeadersConsistentHashType:
		if ch.Headers != nil && len(ch.Headers) == 0 {
			v.errs.Add(field+".headers", "must name at least one header")
		}
		for i, h := range ch.Headers {
			if h == nil {
				v.errs.Add(fmt.Sprintf("%s.headers[%d]", field, i), "is empty")
				continue
			}
			hash = append(hash, ir.HashPolicy{Header: v.token(fmt.Sprintf("%s.headers[%d].name", field, i), h.Name)})
		}
	case egv1a1.CookieConsistentHashType:
		if ch.Cookie != nil {
			hash = []ir.HashPolicy{{Cookie: v.hashCookie(field+".cookie", ch.Cookie)}}
		}
	case egv1a1.QueryParamsConsistentHashType:
		if ch.QueryParams != nil && len(ch.QueryParams) == 0 {
			v.errs.Add(field+".queryParams", "must name at least one query parameter")
		}
		for i, q := range ch.QueryParams {
			if q == nil || q.Name == "" {
				v.errs.Add(fmt.Sprintf("%s.queryParams[%d].name", field, i), "is required")
				continue
			}
			hash = append(hash, ir.HashPolicy{QueryParam: q.Name})
		}
	case "":
		v.errs.Add(field+".type", "is required; one of SourceIP, Header, Headers, Cookie, QueryParams")
	default:
		v.errs.Add(field+".type", "%q is not one of SourceIP, Header, Headers, Cookie, QueryParams", ch.Type)
	}
	return size, hash
}

// token checks a header or cookie name: an HTTP token.
func (v *specValidator) token(field, name string) string {
	if !validCookieName(name) {
		v.errs.Add(field, "%q is not a valid HTTP token", name)
	}
	return name
}

func (v *specValidator) hashCookie(field string, c *egv1a1.Cookie) *ir.HashCookie {
	out := &ir.HashCookie{
		Name: v.token(field+".name", c.Name),
		TTL:  v.optDuration(field+".ttl", c.TTL, 0),
	}
	names := make([]string, 0, len(c.Attributes))
	for n := range c.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		val := c.Attributes[n]
		v.token(fmt.Sprintf("%s.attributes[%s]", field, n), n)
		if strings.ContainsFunc(val, func(r rune) bool { return r < ' ' || r == 0x7f || r == ';' }) {
			v.errs.Add(fmt.Sprintf("%s.attributes[%s]", field, n), "%q holds a control character or ';'", val)
		}
		out.Attributes = append(out.Attributes, ir.HashCookieAttribute{Name: n, Value: val})
	}
	return out
}

// lbPolicies are Envoy's balancers by type.
var lbPolicies = map[string]clusterv3.Cluster_LbPolicy{
	ir.LBRoundRobin:     clusterv3.Cluster_ROUND_ROBIN,
	ir.LBLeastRequest:   clusterv3.Cluster_LEAST_REQUEST,
	ir.LBRandom:         clusterv3.Cluster_RANDOM,
	ir.LBConsistentHash: clusterv3.Cluster_MAGLEV,
}

// applyLoadBalancer sets the balancer of cluster cl.
func applyLoadBalancer(cl *clusterv3.Cluster, lb *ir.LoadBalancer) {
	cl.LbPolicy = lbPolicies[lb.Type]
	var slow *clusterv3.Cluster_SlowStartConfig
	if lb.SlowStart != nil {
		slow = &clusterv3.Cluster_SlowStartConfig{SlowStartWindow: durationpb.New(lb.SlowStart.Std())}
	}
	switch lb.Type {
	case ir.LBRoundRobin:
		if slow != nil {
			cl.LbConfig = &clusterv3.Cluster_RoundRobinLbConfig_{RoundRobinLbConfig: &clusterv3.Cluster_RoundRobinLbConfig{SlowStartConfig: slow}}
		}
	case ir.LBLeastRequest:
		if slow != nil {
			cl.LbConfig = &clusterv3.Cluster_LeastRequestLbConfig_{LeastRequestLbConfig: &clusterv3.Cluster_LeastRequestLbConfig{SlowStartConfig: slow}}
		}
	case ir.LBConsistentHash:
		if lb.TableSize != 0 {
			cl.LbConfig = &clusterv3.Cluster_MaglevLbConfig_{MaglevLbConfig: &clusterv3.Cluster_MaglevLbConfig{TableSize: wrapperspb.UInt64(lb.TableSize)}}
		}
	}
}

// LoadBalancer is the hash policy of BackendTrafficPolicy loadBalancer
// type ConsistentHash, on the route action (a feature.Feature); the rest
// of loadBalancer is set on clusters (ClusterTraffic).
type LoadBalancer struct{ feature.Base }

// RouteAction applies r.LoadBalancer, the hash policy of a consistent
// hash, to the xDS route action ra.
func (LoadBalancer) RouteAction(ra *routev3.RouteAction, r *ir.Route) {
	if r.LoadBalancer == nil {
		return
	}
	for _, h := range r.LoadBalancer.Hash {
		ra.HashPolicy = append(ra.HashPolicy, hashPolicy(h))
	}
}

func hashPolicy(h ir.HashPolicy) *routev3.RouteAction_HashPolicy {
	switch {
	case h.Cookie != nil:
		c := &routev3.RouteAction_HashPolicy_Cookie{Name: h.Cookie.Name}
		if h.Cookie.TTL != nil {
			c.Ttl = durationpb.New(h.Cookie.TTL.Std())
		}
		for _, a := range h.Cookie.Attributes {
			c.Attributes = append(c.Attributes, &routev3.RouteAction_HashPolicy_CookieAttribute{Name: a.Name, Value: a.Value})
		}
		return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{Cookie: c}}
	case h.QueryParam != "":
		return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_QueryParameter_{
			QueryParameter: &routev3.RouteAction_HashPolicy_QueryParameter{Name: h.QueryParam}}}
	case h.SourceIP:
		return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_ConnectionProperties_{
			ConnectionProperties: &routev3.RouteAction_HashPolicy_ConnectionProperties{SourceIp: true}}}
	}
	return &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Header_{
		Header: &routev3.RouteAction_HashPolicy_Header{HeaderName: h.Header}}}
}
