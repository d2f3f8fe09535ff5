package revisions

import (
	"github.com/sluice-gitops/sluice/serve/publish"
)

// fillPending fills the pending Envoys of the gateway entries of recs
// that are served now (the entry's version is its gateway's, and recs
// published it): the Envoys of the gateway connected now that neither
// ACKed nor NACKed it. An entry no longer served keeps the Envoys that
// were pending when it was superseded (freezePending): an Envoy that
// connected later was never asked to take it. Callers must not hold s.mu.
func (s *History) fillPending(recs ...*Record) {
	s.mu.Lock()
	cur := make(map[string]string, len(s.current))
	for k, v := range s.current {
		cur[k] = v.version
	}
	s.mu.Unlock()
	owners := s.store.owners(cur)
	nodes := s.pub.Connected()
	for _, r := range recs {
		for _, g := range r.Gateways {
			if v, ok := cur[g.Gateway]; ok && v == g.Version && owners[g.Gateway] == r.Sequence {
				g.Pending = pendingOf(g, nodes)
			}
		}
	}
}

// pendingOf lists the nodes of g's gateway that neither ACKed nor NACKed
// its version and do not run it.
func pendingOf(g *GatewayHealth, nodes []publish.NodeStatus) []string {
	pending := []string{}
	for _, n := range nodes {
		if n.Gateway != g.Gateway || n.Version == g.Version || contains(g.Acked, n.Node) {
			continue
		}
		nacked := false
		for _, ne := range g.Nacked {
			nacked = nacked || ne.Node == n.Node
		}
		if !nacked {
			pending = append(pending, n.Node)
		}
	}
	return pending
}
