package revisions

import (
	"sort"
	"time"

	"github.com/sluice-gitops/sluice/serve/publish"
)

// recordAck notes that node ACKed version of gateway. Its latency counts
// from when the version was sent to the node (sent), or, when unknown,
// from when the revision was fetched.
func (s *store) recordAck(gateway, version, node string, sent, at time.Time) (latency time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byVersion[versionKey{gateway, version}]
	if r == nil {
		return 0, false
	}
	g := r.gateway(gateway)
	if g == nil || contains(g.Acked, node) {
		return 0, false
	}
	if len(g.Acked) >= maxAcked {
		g.MoreAcked++
	} else {
		g.Acked = append(g.Acked, node)
		sort.Strings(g.Acked)
	}
	if sent.IsZero() {
		sent = r.FetchedAt
	}
	d := at.Sub(sent)
	secs := d.Seconds()
	if g.FirstAckSeconds == nil {
		g.FirstAckSeconds = &secs
	}
	g.LastAckSeconds = &secs
	s.saveLater(r)
	return d, true
}

// recordAllAcked notes, once, that every connected Envoy of gateway ACKed
// version at at, and returns how long after its publication that was
// (after its fetch when the publication time is unknown). ok is false but
// the first time.
func (s *store) recordAllAcked(gateway, version string, at time.Time) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byVersion[versionKey{gateway, version}]
	if r == nil {
		return 0, false
	}
	g := r.gateway(gateway)
	if g == nil || g.AllAckedSeconds != nil {
		return 0, false
	}
	from := r.FetchedAt
	if g.PublishedAt != nil {
		from = *g.PublishedAt
	}
	d := max(at.Sub(from), 0)
	secs := d.Seconds()
	g.AllAckedSeconds = &secs
	s.saveLater(r)
	return d, true
}

// owners returns, for each gateway of versions (gateway → version), the
// sequence of the record that published its version.
func (s *store) owners(versions map[string]string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(versions))
	for gw, v := range versions {
		if r := s.byVersion[versionKey{gw, v}]; r != nil {
			out[gw] = r.Sequence
		}
	}
	return out
}

// freezePending keeps, in the entry of gateway of the record that
// published version, the Envoys of nodes that had not taken it when it
// stopped being served: its pending set from then on.
func (s *store) freezePending(gateway, version string, nodes []publish.NodeStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byVersion[versionKey{gateway, version}]
	if r == nil {
		return
	}
	if g := r.gateway(gateway); g != nil {
		g.Pending = pendingOf(g, nodes)
		s.saveLater(r)
	}
}

// recordNack notes that node NACKed version of gateway. It returns a copy
// of the record of version the first time node NACKs it, else nil.
func (s *store) recordNack(gateway, version, node, detail string, at time.Time) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byVersion[versionKey{gateway, version}]
	if r == nil {
		return nil
	}
	g := r.gateway(gateway)
	if g == nil {
		return nil
	}
	for _, n := range g.Nacked {
		if n.Node == node {
			return nil
		}
	}
	if len(g.Nacked) >= maxNacked {
		g.MoreNacked++
	} else {
		g.Nacked = append(g.Nacked, NodeError{Node: node, Error: publish.Clip(detail, publish.MaxErrorDetail), At: at})
	}
	s.saveLater(r)
	return r.clone()
}
