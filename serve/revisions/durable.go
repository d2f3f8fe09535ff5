package revisions

import (
	"fmt"
	"maps"

	"github.com/sluice-gitops/sluice/translate"
)

// A change of what is served (Apply, Rollback, Unpin) is kept only when its
// record is written to the store: otherwise a restart would serve
// something else (a rollback's pin lost, the rolled-away revision served
// again). When the write fails, what was served before is served again
// and the change is refused with ErrStore.

// servedState is what History serves, to put back.
type servedState struct {
	current       map[string]served
	applied       *Record
	appliedState  State
	appliedReason string
	pin, head     string
}

// servedNow returns what is served now. Callers hold s.mu.
func (s *History) servedNow() servedState {
	st := servedState{current: maps.Clone(s.current), applied: s.applied, pin: s.pin, head: s.head}
	if s.applied != nil {
		s.store.update(func() { st.appliedState, st.appliedReason = s.applied.State, s.applied.Reason })
	}
	return st
}

// settle finishes rec in state like finish, once rec is published; when
// its record cannot be written, it serves prev again, leaves rec in the
// state it had and returns an error wrapping ErrStore. Callers hold s.mu.
func (s *History) settle(rec *Record, state State, reason string, prev servedState) (*Record, error) {
	var recState State
	var recReason string
	s.store.update(func() { recState, recReason = rec.State, rec.Reason })
	out, err := s.finishSaved(rec, state, reason)
	if err == nil {
		return out, nil
	}
	s.revert(prev)
	s.store.update(func() { rec.State, rec.Reason = recState, recReason })
	return nil, fmt.Errorf("%w: revision %s: %w", ErrStore, shortSHA(rec.SHA), err)
}

// revert serves prev again. Callers hold s.mu.
func (s *History) revert(prev servedState) {
	for key, cur := range s.current {
		old, ok := prev.current[key]
		if ok && old.version == cur.version {
			continue
		}
		if !ok { // new with the change: empty again
			p, err := s.plan(key, &translate.GatewayResult{})
			if err != nil {
				s.log.Error("revert: empty snapshot", "gateway", key, "err", err)
				continue
			}
			old = p.served()
		}
		if err := s.setSnapshot(key, old.snap); err != nil {
			s.log.Error("revert: set snapshot", "gateway", key, "err", err)
		}
	}
	for key, old := range prev.current {
		s.current[key] = old
	}
	s.applied, s.pin, s.head = prev.applied, prev.pin, prev.head
	if prev.applied != nil {
		s.store.update(func() { prev.applied.State, prev.applied.Reason = prev.appliedState, prev.appliedReason })
	}
}
