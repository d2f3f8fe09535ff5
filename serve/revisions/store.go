package revisions

import (
	"log/slog"
	"maps"
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
	// StatePinned: the revision is served because an operator rolled back
	// to it; newer revisions wait as pending until the pin is removed.
	StatePinned State = "pinned"
	// StatePending: the revision was translated and checked while a pin was
	// in place; it is not served.
	StatePending State = "pending"
	// StateFailed: an Envoy NACKed the revision and its gateway was rolled
	// back to the last version it ACKed (rollback.onNack); the gateways
	// marked Failed say which.
	StateFailed State = "failed"
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
	// Version is the snapshot version this revision produced for the
	// gateway, derived from its content alone; Types holds the version of
	// each of its types, by type name ("RouteConfiguration"): a revision
	// sends an Envoy only the types whose version moved.
	Version string            `json:"version"`
	Types   map[string]string `json:"types,omitempty"`
	// Pushed is false when the gateway's resources did not change, so the
	// Envoys kept the version of an earlier revision.
	Pushed    bool           `json:"pushed"`
	Resources map[string]int `json:"resources"`
	// Acked and Nacked list the Envoys that ACKed or NACKed, up to
	// maxAcked and maxNacked; MoreAcked and MoreNacked count the others.
	Acked      []string    `json:"acked"`
	Nacked     []NodeError `json:"nacked"`
	MoreAcked  int         `json:"moreAcked,omitempty"`
	MoreNacked int         `json:"moreNacked,omitempty"`
	// Pending lists the Envoys of the gateway connected while this
	// version was served that neither ACKed nor NACKed it: while it is
	// served, those connected now; once superseded, those that had not
	// taken it then.
	Pending []string `json:"pending"`
	// PublishedAt is when this version was handed to the publisher.
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
	// FirstAckSeconds and LastAckSeconds are the latencies of the first
	// and the last ACK: from when the version was sent to that Envoy to
	// its ACK (a late-connecting Envoy counts from its connection).
	FirstAckSeconds *float64 `json:"firstAckSeconds,omitempty"`
	LastAckSeconds  *float64 `json:"lastAckSeconds,omitempty"`
	// AllAckedSeconds counts from PublishedAt to when every Envoy of the
	// gateway connected then had ACKed.
	AllAckedSeconds *float64 `json:"allAckedSeconds,omitempty"`
	// Failed is set when an Envoy NACKed this version and the gateway was
	// rolled back; FailReason names the Envoy, its error and the version
	// served instead.
	Failed     bool   `json:"failed,omitempty"`
	FailReason string `json:"failReason,omitempty"`
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
	// Endpoints is the generation of the live endpoints (cluster mode)
	// the revision is served with.
	Endpoints *EndpointsServed `json:"endpoints,omitempty"`
}

func (r *Record) gateway(key string) *GatewayHealth {
	for _, g := range r.Gateways {
		if g.Gateway == key {
			return g
		}
	}
	return nil
}

// versionKey is a gateway's snapshot version.
type versionKey struct{ gateway, version string }

// revisionOf returns the SHA of the revision that produced version of
// gateway, or "".
func (s *store) revisionOf(gateway, version string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.byVersion[versionKey{gateway, version}]; r != nil {
		return r.SHA
	}
	return ""
}

// store keeps every revision in the order it was seen, and with a data
// directory, on disk too (see persist.go).
type store struct {
	mu      sync.Mutex
	records []*Record
	// byVersion finds the revision that produced a gateway's snapshot
	// version (versionKey): versions come from content alone, so two
	// gateways may share one.
	byVersion map[versionKey]*Record
	seq       int // last sequence given

	db   *boltDB // nil: memory only
	keep int     // records kept; 0 keeps all
	log  *slog.Logger
	// dirty holds the records changed since the last flush, meta the meta
	// values to write with them; flushMu orders the writes.
	dirty   map[*Record]bool
	drop    []int
	meta    map[string]string
	flushMu sync.Mutex
	timer   *time.Timer
}

// flushDelay batches the writes of ACKs and NACKs.
const flushDelay = time.Second

// What Envoys can make the store keep per gateway and version: node names
// (clipped by the publisher to publish.MaxNodeName) and NACK details
// (publish.MaxErrorDetail). A flood of made-up node ids only counts.
const (
	maxAcked  = 5000
	maxNacked = 100
	// maxLoggedDetail bounds a NACK's detail in a log line.
	maxLoggedDetail = 1 << 10
)

func newStore() *store {
	return &store{byVersion: map[versionKey]*Record{}, dirty: map[*Record]bool{}, meta: map[string]string{}, log: slog.New(slog.DiscardHandler)}
}

// openStore loads the store of dataDir (records, and the meta values
// returned), keeping keep records (0: all).
func openStore(dataDir string, keep int, log *slog.Logger) (*store, map[string]string, error) {
	s := newStore()
	s.keep, s.log = keep, log
	if dataDir == "" {
		return s, map[string]string{}, nil
	}
	db, err := openDB(dataDir)
	if err != nil {
		return nil, nil, err
	}
	recs, meta, err := db.load()
	if err != nil {
		db.close()
		return nil, nil, err
	}
	s.db, s.records = db, recs
	for _, r := range recs {
		s.seq = max(s.seq, r.Sequence)
		for _, g := range r.Gateways {
			if k := (versionKey{g.Gateway, g.Version}); g.Pushed || s.byVersion[k] == nil {
				s.byVersion[k] = r
			}
		}
	}
	return s, meta, nil
}

func (s *store) add(rev gitsync.Revision) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	rev.FS = nil // history keeps metadata, not every revision's files
	s.seq++
	r := &Record{Revision: rev, Sequence: s.seq}
	s.records = append(s.records, r)
	s.dirty[r] = true
	s.prune()
	return r
}

// prune drops the oldest records over keep, except the ones served.
// Callers hold s.mu.
func (s *store) prune() {
	over := len(s.records) - s.keep
	if s.keep <= 0 || over <= 0 {
		return
	}
	kept := s.records[:0]
	for _, r := range s.records {
		if over > 0 && r.State != StateApplied && r.State != StatePinned && r.State != "" {
			over--
			s.drop = append(s.drop, r.Sequence)
			delete(s.dirty, r)
			for v, rv := range s.byVersion {
				if rv == r {
					delete(s.byVersion, v)
				}
			}
			continue
		}
		kept = append(kept, r)
	}
	clear(s.records[len(kept):])
	s.records = kept
}

// save marks records changed and writes them, with meta values ("" removes
// one), now: durably (bbolt syncs the file before a write returns) unless
// it returns an error.
func (s *store) save(meta map[string]string, recs ...*Record) error {
	s.mu.Lock()
	for _, r := range recs {
		s.dirty[r] = true
	}
	for k, v := range meta {
		s.meta[k] = v
	}
	s.mu.Unlock()
	return s.flush()
}

// saveLater marks a record changed and writes it within flushDelay.
// Callers hold s.mu.
func (s *store) saveLater(r *Record) {
	s.dirty[r] = true
	if s.db != nil && s.timer == nil {
		s.timer = time.AfterFunc(flushDelay, func() { _ = s.flush() })
	}
}

// flush writes what changed. What cannot be written stays to write with
// the next flush.
func (s *store) flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.db == nil {
		clear(s.dirty)
		clear(s.meta)
		s.drop = nil
		s.mu.Unlock()
		return nil
	}
	orig := make([]*Record, 0, len(s.dirty))
	recs := make([]*Record, 0, len(s.dirty))
	for r := range s.dirty {
		orig = append(orig, r)
		recs = append(recs, r.clone())
	}
	drop, meta := s.drop, s.meta
	s.dirty, s.drop, s.meta = map[*Record]bool{}, nil, map[string]string{}
	db := s.db
	s.mu.Unlock()
	err := db.write(recs, drop, meta)
	if err == nil {
		return nil
	}
	s.log.Error("the revision history is not saved; it is written again with the next change", "err", err)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range orig {
		s.dirty[r] = true
	}
	s.drop = append(drop, s.drop...)
	for k, v := range meta {
		if _, newer := s.meta[k]; !newer {
			s.meta[k] = v
		}
	}
	return err
}

// close writes what changed and closes the database.
func (s *store) close() error {
	_ = s.flush()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.close()
	s.db = nil
	return err
}

// newest returns the live newest record in state, or nil. Callers hold
// s.mu (through update).
func (s *store) newest(state State) *Record {
	for i := len(s.records) - 1; i >= 0; i-- {
		if s.records[i].State == state {
			return s.records[i]
		}
	}
	return nil
}

// find returns the live newest record of sha whose state is one of
// states, or nil. Callers hold s.mu (through update).
func (s *store) find(sha string, states ...State) *Record {
	for i := len(s.records) - 1; i >= 0; i-- {
		r := s.records[i]
		for _, st := range states {
			if r.SHA == sha && r.State == st {
				return r
			}
		}
	}
	return nil
}

// list returns copies of all records, newest first, but for one being
// recorded (no state yet).
func (s *store) list() []*Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Record, 0, len(s.records))
	for i := len(s.records) - 1; i >= 0; i-- {
		if s.records[i].State != "" { // not being recorded
			out = append(out, s.records[i].clone())
		}
	}
	return out
}

// get returns a copy of the newest record of a SHA (or unique SHA prefix)
// that has a state.
func (s *store) get(sha string) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.records) - 1; i >= 0; i-- {
		if r := s.records[i]; r.State != "" && len(sha) >= 7 && len(sha) <= len(r.SHA) && r.SHA[:len(sha)] == sha {
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
		gc.Types = maps.Clone(g.Types)
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
