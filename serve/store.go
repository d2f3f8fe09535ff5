package serve

import (
	"sort"
	"sync"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// State is where a revision stands.
type State string

// Revision states.
const (
	// StateApplied: the revision is what Envoys are served now.
	StateApplied State = "applied"
	// StateSuperseded: the revision was applied, then a newer one was.
	StateSuperseded State = "superseded"
	// StateRejected: the revision was never served; Reason says why.
	StateRejected State = "rejected"
)

// NodeError is an Envoy's NACK of a version.
type NodeError struct {
	Node  string    `json:"node"`
	Error string    `json:"error"`
	At    time.Time `json:"at"`
}

// GatewayHealth is how the Envoys of one Gateway took one revision.
type GatewayHealth struct {
	Gateway string `json:"gateway"`
	// Version is the snapshot version this revision produced for the gateway.
	Version string `json:"version"`
	// Pushed is false when the gateway's resources did not change, so the
	// Envoys kept the version of an earlier revision.
	Pushed    bool           `json:"pushed"`
	Resources map[string]int `json:"resources"`
	Acked     []string       `json:"acked"`
	Nacked    []NodeError    `json:"nacked"`
	// Pending lists connected Envoys of the gateway that neither ACKed nor
	// NACKed this version.
	Pending []string `json:"pending"`
	// FirstAckSeconds and LastAckSeconds count from when the revision was
	// fetched to an Envoy's ACK.
	FirstAckSeconds *float64 `json:"firstAckSeconds,omitempty"`
	LastAckSeconds  *float64 `json:"lastAckSeconds,omitempty"`
}

// Record is one revision sluice saw, with what became of it.
type Record struct {
	gitsync.Revision
	State    State  `json:"state"`
	Reason   string `json:"reason,omitempty"`
	Sequence int    `json:"sequence"`
	// AppliedAt is when its snapshots were published.
	AppliedAt        *time.Time                `json:"appliedAt,omitempty"`
	TranslateSeconds float64                   `json:"translateSeconds"`
	Rejected         []*translate.ObjectStatus `json:"rejectedObjects,omitempty"`
	Warnings         []string                  `json:"warnings,omitempty"`
	Gateways         []*GatewayHealth          `json:"gateways,omitempty"`
}

func (r *Record) gateway(key string) *GatewayHealth {
	for _, g := range r.Gateways {
		if g.Gateway == key {
			return g
		}
	}
	return nil
}

// store keeps every revision in the order it was seen.
type store struct {
	mu      sync.Mutex
	records []*Record
	// byVersion finds the revision that produced a snapshot version.
	byVersion map[string]*Record
}

func newStore() *store {
	return &store{byVersion: map[string]*Record{}}
}

func (s *store) add(rev gitsync.Revision) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	rev.FS = nil // history keeps metadata, not every revision's files
	r := &Record{Revision: rev, Sequence: len(s.records) + 1}
	s.records = append(s.records, r)
	return r
}

// list returns copies of all records, newest first.
func (s *store) list() []*Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Record, 0, len(s.records))
	for i := len(s.records) - 1; i >= 0; i-- {
		out = append(out, s.records[i].clone())
	}
	return out
}

// get returns a copy of the newest record of a SHA (or unique SHA prefix).
func (s *store) get(sha string) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.records) - 1; i >= 0; i-- {
		if r := s.records[i]; len(sha) >= 7 && len(sha) <= len(r.SHA) && r.SHA[:len(sha)] == sha {
			return r.clone()
		}
	}
	return nil
}

func (r *Record) clone() *Record {
	c := *r
	c.Gateways = nil
	for _, g := range r.Gateways {
		gc := *g
		gc.Acked = append([]string{}, g.Acked...)
		gc.Nacked = append([]NodeError{}, g.Nacked...)
		gc.Pending = append([]string{}, g.Pending...)
		c.Gateways = append(c.Gateways, &gc)
	}
	return &c
}

// update runs f on the live records under the lock.
func (s *store) update(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// recordAck notes that node ACKed version of gateway.
func (s *store) recordAck(gateway, version, node string, at time.Time) (fromFetch time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byVersion[version]
	if r == nil {
		return 0, false
	}
	g := r.gateway(gateway)
	if g == nil || contains(g.Acked, node) {
		return 0, false
	}
	g.Acked = append(g.Acked, node)
	sort.Strings(g.Acked)
	d := at.Sub(r.FetchedAt)
	secs := d.Seconds()
	if g.FirstAckSeconds == nil {
		g.FirstAckSeconds = &secs
	}
	g.LastAckSeconds = &secs
	return d, true
}

// recordNack notes that node NACKed version of gateway.
func (s *store) recordNack(gateway, version, node, detail string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byVersion[version]
	if r == nil {
		return
	}
	if g := r.gateway(gateway); g != nil {
		for _, n := range g.Nacked {
			if n.Node == node {
				return
			}
		}
		g.Nacked = append(g.Nacked, NodeError{Node: node, Error: detail, At: at})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
