package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// Rollback serves the revision of a commit of the source's history (sha
// may be abbreviated) and pins it: newer revisions are recorded as pending
// until Unpin. The rollback is a new record in state pinned (its Reason
// names the revision it replaced), so the history reads in the order
// things happened; the record it replaced becomes superseded. The pin is
// kept in the store and survives a restart.
//
// Errors are *APIError: 404 for a commit that is not in the mirror, 409
// for one that does not verify, 422 for one that does not translate or
// whose snapshots fail their checks, 501 without a source to read it from.
func (s *Server) Rollback(sha string) (*Record, error) {
	rev, res, err := s.ResultAt(sha)
	if err != nil {
		return nil, readBackError("roll back to", sha, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	plans, keys, err := s.build(rev.SHA, res)
	if err != nil {
		return nil, &APIError{HTTPStatus: http.StatusUnprocessableEntity, Message: fmt.Sprintf("revision %s cannot be served: %v", rev.SHA, err)}
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
	if err := s.publish(rec, plans, keys); err != nil {
		s.finish(rec, StateRejected, err.Error())
		return nil, &APIError{HTTPStatus: http.StatusInternalServerError, Message: fmt.Sprintf("revision %s: %v", rev.SHA, err)}
	}
	for _, g := range rec.Gateways {
		if g.Pushed {
			s.metrics.rollbacks.WithLabelValues(g.Gateway, "manual").Inc()
		}
	}
	s.pin = rev.SHA
	return s.finish(rec, StatePinned, reason), nil
}

// Unpin removes the pin. The newest pending revision, if any, is served
// (read again through ResultAt) and older pending ones are superseded;
// else the pinned revision keeps serving, now as applied. It returns the
// record served. Not being pinned is a 409 *APIError.
func (s *Server) Unpin() (*Record, error) {
	s.mu.Lock()
	if s.pin == "" {
		s.mu.Unlock()
		return nil, &APIError{HTTPStatus: http.StatusConflict, Message: "no revision is pinned"}
	}
	var next string
	s.store.update(func() {
		if r := s.store.newest(StatePending); r != nil {
			next = r.SHA
		}
	})
	s.mu.Unlock()
	// Reading a revision again may translate it: not under s.mu.
	var rev gitsync.Revision
	var res *translate.Result
	if next != "" {
		var err error
		if rev, res, err = s.ResultAt(next); err != nil {
			return nil, &APIError{HTTPStatus: http.StatusInternalServerError, Message: fmt.Sprintf("unpin: read pending revision %s again: %v", next, err)}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pin == "" {
		return nil, &APIError{HTTPStatus: http.StatusConflict, Message: "no revision is pinned"}
	}
	var rec *Record
	s.store.update(func() {
		if next != "" {
			rec = s.store.newest(StatePending)
		}
	})
	if rec == nil || rec.SHA != next {
		// Nothing pending (or the newest one changed meanwhile: a new
		// Apply already read it; keep it simple and keep what is served).
		s.pin = ""
		rec = s.applied
		if rec == nil {
			s.store.save(s.meta())
			return nil, nil
		}
		state := rec.State
		if state == StatePinned {
			state = StateApplied
		}
		return s.finish(rec, state, "unpinned; no newer revision was pending"), nil
	}
	plans, keys, err := s.build(rev.SHA, res)
	if err == nil {
		err = s.publish(rec, plans, keys)
	}
	if err != nil {
		return nil, &APIError{HTTPStatus: http.StatusInternalServerError, Message: fmt.Sprintf("unpin: serve pending revision %s: %v", rev.SHA, err)}
	}
	s.pin = ""
	var skipped []*Record
	s.store.update(func() {
		for _, r := range s.store.records {
			if r.State == StatePending && r != rec {
				r.State, r.Reason = StateSuperseded, "never served: a newer revision was pending when the pin was removed"
				skipped = append(skipped, r)
			}
		}
	})
	s.store.save(nil, skipped...)
	return s.finish(rec, StateApplied, ""), nil
}

// Pinned returns the SHA of the pinned revision, or "".
func (s *Server) Pinned() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pin
}

// Restored returns what a server with this data directory served before
// a restart: the revision to serve again (the pinned one, or the last
// applied) and the newest revision accepted from the source, which
// verification and force-push detection start from. Both are "" for a
// new data directory.
func (s *Server) Restored() (serve, head string) {
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
func (s *Server) Head() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// Restore serves again, after a restart, the revision that was served
// (see Restored), read from the source's mirror and translated: its
// newest record is served again in its state (applied, pinned or failed)
// rather than recorded anew. A revision with no record left is applied
// as new.
func (s *Server) Restore(rev gitsync.Revision, res *translate.Result, terr error, took time.Duration) (*Record, error) {
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
	s.results.put(rev, res)
	plans, keys, err := s.build(rev.SHA, res)
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

// RollbackRequest is the body of POST /api/v1/rollback.
type RollbackRequest struct {
	Revision string `json:"revision"`
}

// rollbackAPI is POST /api/v1/rollback {"revision": sha}: it answers the
// pinned record.
func (s *Server) rollbackAPI(w http.ResponseWriter, r *http.Request) error {
	var req RollbackRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		return &APIError{HTTPStatus: http.StatusBadRequest, Message: `body: want {"revision": "<sha>"}: ` + err.Error()}
	}
	if len(req.Revision) < 7 || len(req.Revision) > 40 || strings.Trim(strings.ToLower(req.Revision), "0123456789abcdef") != "" {
		return &APIError{HTTPStatus: http.StatusBadRequest, Message: fmt.Sprintf("revision %q: want a commit SHA (7 to 40 hex digits)", req.Revision)}
	}
	rec, err := s.Rollback(strings.ToLower(req.Revision))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

// unpinAPI is DELETE /api/v1/pin: it answers the record served after.
func (s *Server) unpinAPI(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.Unpin()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}
