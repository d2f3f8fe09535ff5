package serve

import (
	"github.com/sluice-gitops/sluice/serve/envoyproc"
	"github.com/sluice-gitops/sluice/serve/publish"
)

// nodeView is an Envoy as GET /api/v1/nodes and the dashboard show it:
// its xDS stream, and in host mode the process sluice runs for it.
type nodeView struct {
	publish.NodeStatus
	Process *envoyproc.Status `json:"process,omitempty"`
	// SHA is the commit the node's version came from ("" if unknown).
	SHA string `json:"sha,omitempty"`
}

// nodes joins the connected Envoys with the processes sluice runs (by
// node ID and gateway); a process whose Envoy is not connected is listed
// on its own.
func (s *admin) nodes() []nodeView {
	connected := s.hist.Nodes()
	out := make([]nodeView, len(connected))
	for i, n := range connected {
		out[i] = nodeView{NodeStatus: n, SHA: s.hist.VersionSHA(n.Gateway, n.Version)}
	}
	if s.processes == nil {
		return out
	}
	for _, p := range s.processes() {
		matched := false
		for i := range out {
			if out[i].Node == p.NodeID && out[i].Gateway == p.Gateway && out[i].Process == nil {
				out[i].Process, matched = &p, true
				break
			}
		}
		if !matched {
			out = append(out, nodeView{NodeStatus: publish.NodeStatus{Node: p.NodeID, Gateway: p.Gateway}, Process: &p})
		}
	}
	return out
}
