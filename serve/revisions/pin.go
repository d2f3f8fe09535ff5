package revisions

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluice-gitops/sluice/serve/notify"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// Rollback serves rev, a revision of the source's history read again and
// translated (res), and pins it: newer revisions are recorded as pending
// until Unpin. The rollback is a new record in state pinned (its Reason
// names the revision it replaced), so the history reads in the order
// things happened; the record it replaced becomes superseded. The pin is
// kept in the store and survives a restart.
//
// A revision whose snapshots fail their checks is an error wrapping
// ErrInvalidRevision.
func (s *History) Rollback(rev gitsync.Revision, res *translate.Result) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	plans, keys, err := s.build(res)
	if err != nil {
		return nil, Invalid(fmt.Errorf("revision %s cannot be served: %w", rev.SHA, err))
	}
	reason := "rolled back by an operator"
	if s.applied != nil {
		reason += " from " + s.applied.Revision.String()
	}
	rev.FetchedAt = time.Now() // ACK times count from the rollback
	rec := s.store.add(rev)
	s.store.update(func() {
		rec.Rejected, rec.Warnings = res.Rejected(), res.Warnings
	})
	prev := s.servedNow()
	if err := s.publish(rec, plans, keys); err != nil {
		s.finish(rec, StateRejected, err.Error())
		return nil, fmt.Errorf("revision %s: %w", rev.SHA, err)
	}
	s.pin = rev.SHA
	out, err := s.settle(rec, StatePinned, reason, prev)
	if err != nil {
		s.finish(rec, StateRejected, "rollback refused: "+err.Error())
		return nil, err
	}
	for _, g := range rec.Gateways {
		if g.Pushed {
			s.metrics.rollbacks.WithLabelValues(g.Gateway, "manual").Inc()
		}
	}
	s.event(notify.RevisionPinned, out, reason)
	return out, nil
}

// PendingHead returns the SHA of the newest pending revision, the one
// Unpin serves, or "" when none is pending. Not being pinned is
// ErrNotPinned.
func (s *History) PendingHead() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pin == "" {
		return "", ErrNotPinned
	}
	var next string
	s.store.update(func() {
		if r := s.store.newest(StatePending); r != nil {
			next = r.SHA
		}
	})
	return next, nil
}

// Unpin removes the pin. next is the newest pending revision
// (PendingHead) read again and translated, or a zero Revision when none
// was pending: it is served and older pending ones are superseded; else
// the pinned revision keeps serving, now as applied. It returns the record
// served. Not being pinned is ErrNotPinned.
func (s *History) Unpin(next gitsync.Revision, res *translate.Result) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pin == "" {
		return nil, ErrNotPinned
	}
	var rec *Record
	s.store.update(func() {
		if next.SHA != "" {
			rec = s.store.newest(StatePending)
		}
	})
	if rec == nil || rec.SHA != next.SHA {
		// Nothing pending (or the newest one changed meanwhile: a new
		// Apply already read it; keep it simple and keep what is served).
		return s.unpinServed()
	}
	prev := s.servedNow()
	plans, keys, err := s.build(res)
	if err == nil {
		err = s.publish(rec, plans, keys)
	}
	if err != nil {
		return nil, fmt.Errorf("unpin: serve pending revision %s: %w", next.SHA, err)
	}
	s.pin = ""
	out, err := s.settle(rec, StateApplied, "", prev)
	if err != nil {
		return nil, fmt.Errorf("unpin: %w", err)
	}
	var skipped []*Record
	s.store.update(func() {
		for _, r := range s.store.records {
			if r.State == StatePending && r != rec {
				r.State, r.Reason = StateSuperseded, "never served: a newer revision was pending when the pin was removed"
				skipped = append(skipped, r)
			}
		}
	})
	_ = s.store.save(nil, skipped...) // written again with the next change
	s.event(notify.RevisionUnpinned, out, "the pin is removed; the newest pending revision is served")
	return out, nil
}

// unpinServed removes the pin and keeps serving what is served. Callers
// hold s.mu.
func (s *History) unpinServed() (*Record, error) {
	prev := s.servedNow()
	s.pin = ""
	rec := s.applied
	if rec == nil {
		if err := s.store.save(s.meta()); err != nil {
			s.pin = prev.pin
			return nil, fmt.Errorf("unpin: %w: %w", ErrStore, err)
		}
		return nil, nil
	}
	state := rec.State
	if state == StatePinned {
		state = StateApplied
	}
	out, err := s.settle(rec, state, "unpinned; no newer revision was pending", prev)
	if err != nil {
		return nil, fmt.Errorf("unpin: %w", err)
	}
	s.event(notify.RevisionUnpinned, out, "the pin is removed; no newer revision was pending, this one stays served")
	return out, nil
}

// Pinned returns the SHA of the pinned revision, or "".
func (s *History) Pinned() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pin
}

// Restored returns what a server with this data directory served before
// a restart: the revision to serve again (the pinned one, or the last
// applied) and the newest revision accepted from the source, which
// verification and force-push detection start from. Both are "" for a
// new data directory.
func (s *History) Restored() (serve, head string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	serve, head = s.restored, s.head
	if s.pin != "" {
		serve = s.pin
	}
	if head == "" {
		head = serve
	}
	return serve, head
}

// Head returns the SHA of the newest revision accepted from the source
// (applied, or pending while pinned), kept across restarts; "" before the
// first. A sync that finds it again has nothing new.
func (s *History) Head() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// Restore serves again, after a restart, the revision that was served
// (see Restored), read from the source's mirror and translated: its
// newest record is served again in its state (applied, pinned or failed)
// rather than recorded anew. A revision with no record left is applied
// as new.
func (s *History) Restore(rev gitsync.Revision, res *translate.Result, terr error, took time.Duration) (*Record, error) {
	s.mu.Lock()
	var rec *Record
	s.store.update(func() {
		rec = s.store.find(rev.SHA, StatePinned, StateApplied, StateFailed, StatePending)
	})
	if rec == nil || terr != nil || res == nil {
		s.mu.Unlock()
		if terr == nil && res == nil {
			terr = errors.New("no translation result")
		}
		if terr != nil {
			return nil, fmt.Errorf("restore %s: %w", rev.String(), terr)
		}
		return s.Apply(rev, res, nil, took), nil
	}
	defer s.mu.Unlock()
	plans, keys, err := s.build(res)
	if err == nil {
		err = s.publish(rec, plans, keys)
	}
	if err != nil {
		return nil, fmt.Errorf("restore %s: %w", rev.String(), err)
	}
	state := rec.State
	if state == StatePending { // pinned before the pin record was pruned
		state = StatePinned
	}
	return s.finish(rec, state, rec.Reason), nil
}
