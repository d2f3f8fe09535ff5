package sync

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// setVerify checks and applies the verification settings of cfg, reading
// the trusted keys.
func (s *GitSource) setVerify(cfg GitConfig) error {
	switch {
	case cfg.VerifyMode != "" && cfg.VerifyMode != VerifyAll && cfg.VerifyMode != VerifyHead:
		return fmt.Errorf("sync: verify mode %q: want %q or %q", cfg.VerifyMode, VerifyAll, VerifyHead)
	case cfg.VerifySince != "" && !isSHA(cfg.VerifySince):
		return fmt.Errorf("sync: verify since %q: want a full commit SHA (40 hex digits)", cfg.VerifySince)
	}
	s.verifyHead = cfg.VerifyMode == VerifyHead
	s.allowForcePush = cfg.AllowForcePush
	if cfg.VerifySince != "" {
		s.since = plumbing.NewHash(cfg.VerifySince)
	}
	if cfg.InsecureSkipVerify {
		return nil
	}
	var err error
	s.verifier, err = newVerifier(cfg)
	return err
}

// isSHA reports whether s is a full SHA-1 in hex.
func isSHA(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 40 && err == nil
}

// SetApplied tells Sync which revision is applied: the next Sync verifies
// the commits after it and refuses a head that does not descend from it.
// sha is a full commit SHA. Sync also moves this base to every revision it
// returns, so callers need SetApplied after a restart and after a
// rollback.
func (s *GitSource) SetApplied(sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := plumbing.NewHash(sha); h != s.base {
		s.base, s.baseAnc = h, nil
	}
}

// TakeRejections returns the commits refused by Syncs since the last call,
// oldest first.
func (s *GitSource) TakeRejections() []Rejection {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rejections
	s.rejections = nil
	return r
}

// advance decides what to apply of a fetched head: the head, an older
// commit of its first-parent chain whose commits all verify, or nothing.
// Callers hold s.mu.
func (s *GitSource) advance(head plumbing.Hash) (Revision, bool, error) {
	if head == s.base {
		s.seen = head
		return s.last, false, nil
	}
	stop, ff, ok, err := s.fromBase(head)
	if err != nil {
		return Revision{}, false, err
	}
	if !ok {
		return s.last, false, nil
	}
	all := !s.verifyHead
	if stop == nil { // first sync, or an accepted force-push
		if all, stop, err = s.sinceScope(all); err != nil {
			return Revision{}, false, err
		}
	}
	out, err := s.verifyHeadOf(head, stop, all)
	if err != nil {
		return Revision{}, false, err
	}
	if out.apply == nil {
		s.seen = head
		s.reject(out.rejections...)
		return s.last, false, nil
	}
	return s.applyOutcome(head, out, ff)
}

// fromBase relates head to the applied commit s.base. It returns the
// trusted commits that need no verifying again (the ancestors of s.base on
// a fast-forward, nil otherwise) and whether head fast-forwards. ok is
// false when head is a refused force-push, which it records. Callers hold
// s.mu.
func (s *GitSource) fromBase(head plumbing.Hash) (stop hashSet, ff, ok bool, err error) {
	if s.base.IsZero() {
		return nil, false, true, nil
	}
	if ff, err = s.descends(head); err != nil {
		return nil, false, false, err
	}
	switch {
	case ff:
		return s.baseAnc, true, true, nil
	case !s.allowForcePush:
		c, err := object.GetCommit(s.repo.Storer, head)
		if err != nil {
			return nil, false, false, fmt.Errorf("sync: read commit %s: %w", head, err)
		}
		s.seen = head
		s.reject(s.rejection(c, nil, ReasonNonFastForward, fmt.Sprintf(
			"commit %s does not descend from the applied commit %s: the branch was force-pushed; set allowForcePush: true to accept it",
			short(head), short(s.base))))
		return nil, false, false, nil
	default:
		s.logger.Warn("accepting a force-push: allowForcePush is set",
			"branch", s.branch, "head", head.String(), "applied", s.base.String())
		return nil, false, true, nil
	}
}

// sinceScope is what to verify when no applied commit vouches for
// anything: everything after verify.since when it is set (all stays as
// given), only head otherwise. stop is verify.since and its ancestors.
// Callers hold s.mu.
func (s *GitSource) sinceScope(all bool) (bool, hashSet, error) {
	if s.since.IsZero() {
		return false, nil, nil
	}
	anc, err := ancestors(s.repo.Storer, s.since)
	if err != nil {
		return false, nil, fmt.Errorf("sync: verify.since %s is not a commit of %s: %w", s.since, redactURL(s.url), err)
	}
	return all, anc, nil
}

// verifyHeadOf verifies the commits head brings past stop, or skips
// verifying when insecureSkipVerify is set. Callers hold s.mu.
func (s *GitSource) verifyHeadOf(head plumbing.Hash, stop hashSet, all bool) (outcome, error) {
	if s.verifier != nil {
		return s.verifyRange(head, stop, all)
	}
	c, err := object.GetCommit(s.repo.Storer, head)
	if err != nil {
		return outcome{}, fmt.Errorf("sync: read commit %s: %w", head, err)
	}
	return outcome{apply: c, result: Verification{Result: Skipped}}, nil
}

// applyOutcome reads the revision out picks for head, records the
// rejections and makes it the applied commit. A revision with invalid
// files is refused like a bad signature. Callers hold s.mu.
func (s *GitSource) applyOutcome(head plumbing.Hash, out outcome, ff bool) (Revision, bool, error) {
	rev, err := s.revision(out.apply.Hash)
	if errors.Is(err, ErrInvalidFiles) {
		// Refused for its files, like a bad signature: recorded once, not
		// retried until the branch moves.
		s.seen = head
		s.reject(append(out.rejections, s.rejection(out.apply, out.signer, ReasonInvalidFiles, err.Error()))...)
		return s.last, false, nil
	}
	if err != nil {
		return Revision{}, false, err
	}
	rev.Signer, rev.Verification = out.signer, out.result
	s.seen = head
	s.reject(out.rejections...)
	s.moveBase(out.apply.Hash, ff)
	s.last = rev
	s.logger.Debug("new git revision", "revision", rev.String(), "subject", rev.Subject,
		"verification", rev.Verification.Result)
	return rev, true, nil
}

// moveBase makes h the applied commit. Callers hold s.mu.
func (s *GitSource) moveBase(h plumbing.Hash, ff bool) {
	if ff {
		// Fast-forward: the ancestors of the new base are the old ones and
		// what the new base brings.
		var err error
		if s.baseAnc, err = addWalk(s.repo.Storer, s.baseAnc, h); err != nil {
			s.baseAnc = nil
		}
	} else {
		s.baseAnc = nil
	}
	s.base = h
}

// descends reports whether head descends from s.base, computing the
// ancestors of s.base when needed. Callers hold s.mu.
func (s *GitSource) descends(head plumbing.Hash) (bool, error) {
	st := s.repo.Storer
	if _, err := object.GetCommit(st, s.base); err != nil {
		return false, nil // not in the mirror: not in the history of head either
	}
	if s.baseAnc == nil {
		anc, err := ancestors(st, s.base)
		if err != nil {
			return false, err
		}
		s.baseAnc = anc
	}
	if s.baseAnc.has(head) {
		return false, nil // the branch went back
	}
	commits, err := walk(st, head, s.baseAnc, nil)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(commits, func(c *object.Commit) bool {
		return slices.Contains(c.ParentHashes, s.base)
	}), nil
}

// reject records rejections for TakeRejections and logs them, each
// commit once for a reason: in mode all, a failing commit stays in the
// range every later push verifies until a sealed or trusted commit moves
// past it, and would be recorded again and again. Callers hold s.mu.
func (s *GitSource) reject(rs ...Rejection) {
	if s.reported == nil || len(s.reported) > 4*maxRejections {
		s.reported = map[string]bool{} // a bound; forgetting only repeats a record
	}
	fresh := rs[:0:0]
	for _, r := range rs {
		key := r.Revision.SHA + " " + r.Reason
		if s.reported[key] {
			continue
		}
		s.reported[key] = true
		fresh = append(fresh, r)
		s.logger.Warn("commit rejected", "revision", r.Revision.String(), "reason", r.Reason, "message", r.Message)
	}
	rs = fresh
	s.rejections = append(s.rejections, rs...)
	if n := len(s.rejections) - maxRejections; n > 0 {
		s.rejections = slices.Delete(s.rejections, 0, n)
	}
}
