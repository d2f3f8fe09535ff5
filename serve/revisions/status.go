package revisions

import (
	"strconv"
	"strings"
	"time"
)

// SourceHealth is what the syncs of the source came to.
type SourceHealth struct {
	// LastSync is when the last sync ended, successful or not.
	LastSync *time.Time `json:"lastSync,omitempty"`
	// LastSuccess is when the last successful sync ended.
	LastSuccess *time.Time `json:"lastSuccess,omitempty"`
	// LastError is the error of the last sync, "" when it succeeded.
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
	// Failures counts the syncs that failed in a row.
	Failures int `json:"failures"`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// SourceHealth returns what the syncs of the source came to.
func (s *History) SourceHealth() SourceHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := SourceHealth{
		LastSync: timeOrNil(s.source.lastSync), LastSuccess: timeOrNil(s.source.lastSuccess),
		LastError: s.source.lastErr, Failures: s.source.failures,
	}
	if h.LastError != "" {
		h.LastErrorAt = timeOrNil(s.source.lastErrAt)
	}
	return h
}

// Served returns the record being served, with its pending Envoys, or nil
// before the first.
func (s *History) Served() *Record {
	s.mu.Lock()
	var seq int
	if s.applied != nil {
		seq = s.applied.Sequence
	}
	s.mu.Unlock()
	if seq == 0 {
		return nil
	}
	return s.BySequence(seq)
}

// BySequence returns the record numbered seq (the "#" column of the
// history), with its pending Envoys, or nil.
func (s *History) BySequence(seq int) *Record {
	var out *Record
	s.store.update(func() {
		for _, r := range s.store.records {
			if r.Sequence == seq && r.State != "" {
				out = r.clone()
			}
		}
	})
	if out != nil {
		s.fillPending(out)
	}
	return out
}

// Sequence reads a history number as the operator writes it: "#12" or
// "12" (fewer than 7 digits; longer ones are taken for SHA prefixes).
func Sequence(ref string) (int, bool) {
	digits, hash := strings.CutPrefix(ref, "#")
	if digits == "" || (!hash && len(digits) >= 7) {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil && n > 0
}

// Find returns the record an operator names: a history number (see
// Sequence) or a SHA or SHA prefix (7+ characters); nil when none.
func (s *History) Find(ref string) *Record {
	if n, ok := Sequence(ref); ok {
		return s.BySequence(n)
	}
	return s.Revision(ref)
}

// PendingCount counts the revisions waiting behind the pin.
func (s *History) PendingCount() int {
	n := 0
	s.store.update(func() {
		for _, r := range s.store.records {
			if r.State == StatePending {
				n++
			}
		}
	})
	return n
}

// Generation counts the changes of what the history shows (records,
// health, Envoys connecting and going, the source): the dashboard's live
// updates poll it.
func (s *History) Generation() uint64 { return s.gen.Load() + s.pub.ConnectionChanges() }

// changed marks a change of what the history shows.
func (s *History) changed() { s.gen.Add(1) }
