package translate

import (
	"fmt"
	"strings"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// Backend failover (Envoy Gateway's Backend spec.fallback).
//
// Envoy Gateway puts every backendRef of a rule into one cluster and gives
// the endpoints of a fallback Backend priority 1, so that Envoy sends them
// traffic only as the endpoints of priority 0 become unhealthy. sluice
// gives each backendRef a cluster of its own and splits traffic between
// them by weighted clusters; a rule that refers to a fallback Backend is
// the exception: its backends become the localities of one cluster, the
// primaries at priority 0 and the fallbacks at priority 1, each weighted
// by its backendRef. Only Backends can be fallbacks; Services are
// primaries.
//
// Envoy learns that primaries are unhealthy from health checks. Envoy
// Gateway leaves them to a BackendTrafficPolicy; sluice turns on passive
// health checks (outlier detection, ir.FailoverOutlierDetection) on every
// failover cluster, so that failover works without one. A
// BackendTrafficPolicy healthCheck in force on the route adds active
// checks and replaces the passive ones when it sets them (package
// policies, healthcheck.go).

// isFallback tells whether a cluster is that of a Backend with
// spec.fallback: true.
func (t *translator) isFallback(cluster string) bool {
	key, ok := strings.CutPrefix(cluster, "backend/")
	if !ok {
		return false
	}
	b := t.res.idx().backends[key]
	t.rec.fallback(key, b)
	return b != nil && b.Spec.Fallback != nil && *b.Spec.Fallback
}

// failoverRule turns the backends of rule i of a route into one failover
// cluster when some are fallback Backends and some are not. A rule of
// fallbacks only has nothing to fall back from: its backends are served
// as usual. References that did not resolve keep their share of 500s.
// When one cluster cannot hold the backends, a warning says why and the
// primaries alone are served.
func (t *translator) failoverRule(kind string, ns, name string, i int, rb *ruleBackends) {
	byName := map[string]*ir.Cluster{}
	fallbacks, primaries := 0, 0
	for _, c := range rb.clusters {
		byName[c.Name] = c
	}
	for _, wb := range rb.backends {
		switch {
		case wb.Cluster == "":
		case t.isFallback(wb.Cluster):
			fallbacks++
		default:
			primaries++
		}
	}
	if fallbacks == 0 || primaries == 0 {
		return
	}
	c := &ir.Cluster{Name: fmt.Sprintf("failover/%s/%s/%s/rule/%d", strings.ToLower(kind), ns, name, i),
		OutlierDetection: ir.FailoverOutlierDetection()}
	groups := map[string]*ir.EndpointGroup{}
	unix, why := false, ""
	var rest []ir.WeightedBackend
	var weight uint32
	for _, wb := range rb.backends {
		if wb.Cluster == "" {
			rest = append(rest, wb)
			continue
		}
		bc := byName[wb.Cluster]
		switch {
		case wb.RequestHeaders != nil || wb.ResponseHeaders != nil:
			why = "a backendRef has filters, which one cluster cannot apply per backend"
		case bc.TLS != nil:
			why = fmt.Sprintf("cluster %s originates TLS (BackendTLSPolicy), which one cluster cannot do per backend", bc.Name)
		}
		prio := uint32(0)
		if t.isFallback(bc.Name) {
			prio = 1
		} else {
			weight += wb.Weight
		}
		g := groups[bc.Name]
		if g == nil {
			g = &ir.EndpointGroup{Name: bc.Name, Priority: prio, Endpoints: bc.Endpoints}
			groups[bc.Name] = g
			c.Groups = append(c.Groups, g)
		}
		g.Weight += wb.Weight
		c.DNS = c.DNS || bc.DNS
		for _, ep := range bc.Endpoints {
			unix = unix || ep.Unix != ""
		}
	}
	if why == "" && c.DNS && unix {
		why = "Unix socket endpoints cannot share a cluster with fqdn endpoints"
	}
	if why != "" {
		// Fallbacks must not take a share of the traffic as ordinary
		// backends would: without failover, the primaries take it all.
		loc := t.res.Where(kind, ns, name)
		msg := fmt.Sprintf("%s: %s %s/%s: field spec.rules[%d].backendRefs: %s; without failover, the fallback Backends get no traffic", loc, kind, ns, name, i, why)
		t.warnings = append(t.warnings, msg)
		t.rec.warn(msg)
		t.dropFallbacks(rb)
		return
	}
	rb.clusters = []*ir.Cluster{c}
	rb.backends = append([]ir.WeightedBackend{{Cluster: c.Name, Weight: weight}}, rest...)
}

// dropFallbacks removes the fallback Backends from a rule's backends.
func (t *translator) dropFallbacks(rb *ruleBackends) {
	var backends []ir.WeightedBackend
	for _, wb := range rb.backends {
		if wb.Cluster == "" || !t.isFallback(wb.Cluster) {
			backends = append(backends, wb)
		}
	}
	var clusters []*ir.Cluster
	for _, c := range rb.clusters {
		if !t.isFallback(c.Name) {
			clusters = append(clusters, c)
		}
	}
	rb.backends, rb.clusters = backends, clusters
}
