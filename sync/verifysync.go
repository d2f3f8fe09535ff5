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
	stop, ok, err := s.fromBase(head)
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
	if sp, ok := stop.(span); ok && err == nil && len(out.rejections) > 0 && !sp.exact {
		out, err = s.verifyExactly(head, all)
	}
	if err != nil {
		return Revision{}, false, err
	}
	if out.apply == nil {
		s.seen = head
		s.reject(out.rejections...)
		return s.last, false, nil
	}
	return s.applyOutcome(head, out)
}

// fromBase relates head to the applied commit s.base. It returns the
// trusted commits that need no verifying again: s.base and its ancestors
// when head fast-forwards, nil otherwise. ok is false when head is a
// refused force-push, which it records. Callers hold s.mu.
func (s *GitSource) fromBase(head plumbing.Hash) (stop commitSet, ok bool, err error) {
	if s.base.IsZero() {
		return nil, true, nil
	}
	sp, err := s.relate(head)
	switch {
	case err != nil:
		return nil, false, err
	case sp.descends:
		return sp, true, nil
	case !s.allowForcePush:
		c, err := object.GetCommit(s.repo.Storer, head)
		if err != nil {
			return nil, false, fmt.Errorf("sync: read commit %s: %w", head, err)
		}
		s.seen = head
		s.reject(s.rejection(c, nil, ReasonNonFastForward, fmt.Sprintf(
			"commit %s does not descend from the applied commit %s: the branch was force-pushed; set allowForcePush: true to accept it",
			short(head), short(s.base))))
		return nil, false, nil
	default:
		s.logger.Warn("accepting a force-push: allowForcePush is set",
			"branch", s.branch, "head", head.String(), "applied", s.base.String())
		return nil, true, nil
	}
}

// relate paints from head and s.base (ancestry.go): whether head descends
// from the base, and the commits between. Callers hold s.mu.
func (s *GitSource) relate(head plumbing.Hash) (span, error) {
	if _, err := object.GetCommit(s.repo.Storer, s.base); err != nil {
		return span{}, nil // not in the mirror: not in the history of head either
	}
	return paint(s.m.nodes, head, s.base)
}

// verifyExactly verifies the commits of head past the whole history of
// s.base, when the span found by commit times rejected some: a commit
// time may have hidden that one of them is an ancestor of s.base. The
// history is kept until the base moves. Callers hold s.mu.
func (s *GitSource) verifyExactly(head plumbing.Hash, all bool) (outcome, error) {
	if s.baseAnc == nil {
		anc, err := ancestors(s.repo.Storer, s.base)
		if err != nil {
			return outcome{}, err
		}
		s.baseAnc = anc
	}
	return s.verifyHeadOf(head, s.baseAnc, all)
}

// sinceScope is what to verify when no applied commit vouches for
// anything: everything after verify.since when it is set (all stays as
// given), only head otherwise. stop is verify.since and its ancestors.
// Callers hold s.mu.
func (s *GitSource) sinceScope(all bool) (bool, commitSet, error) {
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
func (s *GitSource) verifyHeadOf(head plumbing.Hash, stop commitSet, all bool) (outcome, error) {
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
func (s *GitSource) applyOutcome(head plumbing.Hash, out outcome) (Revision, bool, error) {
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
	s.moveBase(out.apply.Hash)
	s.last = rev
	s.logger.Debug("new git revision", "revision", rev.String(), "subject", rev.Subject,
		"verification", rev.Verification.Result)
	return rev, true, nil
}

// moveBase makes h the applied commit. Callers hold s.mu.
func (s *GitSource) moveBase(h plumbing.Hash) {
	s.base, s.baseAnc = h, nil
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
