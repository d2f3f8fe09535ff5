package ir

import (
	"errors"
	"fmt"
	"time"
)

// IP families of an EnvoyProxy's spec.ipFamily.
const (
	IPv4      = "IPv4"
	IPv6      = "IPv6"
	DualStack = "DualStack"
)

// EndpointGroup is the endpoints of one backend in a failover cluster:
// one locality of the cluster's load assignment. Envoy sends traffic to
// priority 0 while enough of its endpoints are healthy, and moves it to
// priority 1 (fallback backends) as they fail.
type EndpointGroup struct {
	// Name names the backend (its cluster), and so the locality.
	Name      string      `json:"name" yaml:"name"`
	Priority  uint32      `json:"priority" yaml:"priority"`
	Weight    uint32      `json:"weight" yaml:"weight"`
	Endpoints []*Endpoint `json:"endpoints" yaml:"endpoints"`
}

// validateGroups checks a failover cluster: groups instead of endpoints,
// priorities from 0 without gaps, no group without endpoints, a weight,
// and no Unix socket in a cluster that resolves DNS.
func (c *Cluster) validateGroups() error {
	if len(c.Groups) == 0 {
		return nil
	}
	if len(c.Endpoints) > 0 {
		return errors.New("a cluster has either endpoints or groups")
	}
	seen := map[uint32]bool{}
	var top uint32
	for _, g := range c.Groups {
		if g.Weight == 0 {
			return fmt.Errorf("group %q has no weight", g.Name)
		}
		for _, ep := range g.Endpoints {
			if c.DNS && ep.Unix != "" {
				return fmt.Errorf("group %q: a DNS cluster cannot hold Unix sockets", g.Name)
			}
		}
		seen[g.Priority] = true
		top = max(top, g.Priority)
	}
	for p := uint32(0); p <= top; p++ {
		if !seen[p] {
			return fmt.Errorf("priority %d has no group; priorities must not skip", p)
		}
	}
	return nil
}

// FailoverOutlierDetection is the passive health checking of a failover
// cluster that no BackendTrafficPolicy sets: five 5xx answers or
// connection failures in a row eject an endpoint for 30s (longer each
// time); every endpoint may be ejected, so that when all primaries fail,
// all traffic moves to the fallback priority. The thresholds are Envoy
// Gateway's defaults for passive health checks, but for the ejection
// percentage, whose default (10%) would keep most primaries in.
func FailoverOutlierDetection() *OutlierDetection {
	return &OutlierDetection{
		Interval:           Duration(3 * time.Second),
		Consecutive5xx:     5,
		BaseEjectionTime:   Duration(30 * time.Second),
		MaxEjectionPercent: 100,
	}
}
