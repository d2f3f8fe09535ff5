package ir

import (
	"strings"
	"testing"
)

func TestClusterTrafficValidate(t *testing.T) {
	t.Parallel()
	zero, neg, one := Duration(0), Duration(-1), Duration(1)
	var noProbes uint32
	cases := map[string]struct {
		t    ClusterTraffic
		want string // "" for valid
	}{
		"empty":             {ClusterTraffic{}, ""},
		"maglev":            {ClusterTraffic{LoadBalancer: &LoadBalancer{Type: LBConsistentHash, TableSize: 65537, Hash: []HashPolicy{{SourceIP: true}}}}, ""},
		"idle zero":         {ClusterTraffic{IdleTimeout: &zero, MaxConnectionDuration: &zero}, ""},
		"unknown type":      {ClusterTraffic{LoadBalancer: &LoadBalancer{Type: "Fast"}}, "unknown"},
		"hash nothing":      {ClusterTraffic{LoadBalancer: &LoadBalancer{Type: LBConsistentHash}}, "needs something to hash"},
		"hash on rr":        {ClusterTraffic{LoadBalancer: &LoadBalancer{Type: LBRoundRobin, Hash: []HashPolicy{{Header: "x"}}}}, "hashes nothing"},
		"table not prime":   {ClusterTraffic{LoadBalancer: &LoadBalancer{Type: LBConsistentHash, TableSize: 100, Hash: []HashPolicy{{Header: "x"}}}}, "not a prime"},
		"two hash inputs":   {ClusterTraffic{LoadBalancer: &LoadBalancer{Type: LBConsistentHash, Hash: []HashPolicy{{Header: "x", SourceIP: true}}}}, "exactly one"},
		"slow start random": {ClusterTraffic{LoadBalancer: &LoadBalancer{Type: LBRandom, SlowStart: &one}}, "no slow start"},
		"connect zero":      {ClusterTraffic{ConnectTimeout: &zero}, "connect timeout"},
		"idle negative":     {ClusterTraffic{IdleTimeout: &neg}, "negative"},
		"proxy v3":          {ClusterTraffic{ProxyProtocol: "V3"}, "PROXY"},
		"keepalive zero":    {ClusterTraffic{TCPKeepalive: &UpstreamKeepalive{Probes: &noProbes}}, "keepalive"},
		"budget":            {ClusterTraffic{CircuitBreaker: &CircuitBreaker{RetryBudget: &RetryBudget{Percent: 101}}}, "retry budget"},
	}
	for name, c := range cases {
		err := c.t.validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
}
