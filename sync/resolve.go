package sync

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrUnknownRevision is returned by VerifiedRevision for a commit that is
// not in the mirror.
var ErrUnknownRevision = errors.New("sync: unknown revision")

// ErrUnverifiedRevision is returned by VerifiedRevision for a commit that
// is in the mirror but neither carries a trusted signature nor belongs to
// the verified history of the branch.
var ErrUnverifiedRevision = errors.New("sync: unverified revision")

// VerifiedRevision returns the revision of a commit of the mirror, such as
// an earlier head to roll back to, refusing what Sync would not have
// applied. sha may be abbreviated. The commit is accepted when
//   - verification is off (insecureSkipVerify), or
//   - it carries a good signature of a trusted key, or
//   - it is the applied revision (SetApplied, or the last Sync) or one of
//     its ancestors: that chain was verified when it was applied.
//
// A commit not in the mirror is an error wrapping ErrUnknownRevision; one
// that does not verify, an error wrapping ErrUnverifiedRevision with the
// reason.
func (s *GitSource) VerifiedRevision(sha string) (Revision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.closed {
		return Revision{}, ErrClosed
	}
	h, err := s.resolve(sha)
	if err != nil {
		return Revision{}, fmt.Errorf("sync: commit %s is not in the mirror of %s: %w", sha, redactURL(s.url), ErrUnknownRevision)
	}
	c, err := s.repo.CommitObject(*h)
	if err != nil {
		return Revision{}, fmt.Errorf("sync: commit %s is not in the mirror of %s: %w", sha, redactURL(s.url), ErrUnknownRevision)
	}
	ver, signer, err := s.trusted(c)
	if err != nil {
		return Revision{}, err
	}
	rev, err := s.revision(c.Hash)
	if err != nil {
		return Revision{}, err
	}
	rev.Signer, rev.Verification = signer, ver
	return rev, nil
}

// resolve finds a commit of the mirror by SHA (or a unique prefix) or by
// a revision expression such as HEAD~1 or main^2. HEAD and the followed
// branch's name stand for the branch's tip as last fetched (the mirror is
// bare: its branch lives under refs/remotes/origin/). Callers hold s.mu.
func (s *GitSource) resolve(rev string) (*plumbing.Hash, error) {
	local := plumbing.NewRemoteReferenceName(remoteName, s.branch).String()
	for _, name := range []string{"HEAD", s.branch} {
		if rest, ok := strings.CutPrefix(rev, name); ok && (rest == "" || rest[0] == '~' || rest[0] == '^') {
			rev = local + rest
			break
		}
	}
	return s.repo.ResolveRevision(plumbing.Revision(rev))
}

// trusted decides whether commit c may be served again. Callers hold s.mu.
func (s *GitSource) trusted(c *object.Commit) (Verification, *Signer, error) {
	if s.verifier == nil {
		return Verification{Result: Skipped}, nil, nil
	}
	signer, verr := s.verifier.verify(c)
	if verr == nil {
		return Verification{Result: Verified}, signer, nil
	}
	if !s.base.IsZero() {
		sp, err := paint(s.m.nodes, s.base, c.Hash)
		if err != nil {
			return Verification{}, nil, fmt.Errorf("sync: read the history of the applied commit %s: %w", short(s.base), err)
		}
		if sp.descends {
			return Verification{Result: Sealed, Message: "in the verified history of the applied commit " + short(s.base)}, signer, nil
		}
	}
	return Verification{}, nil, fmt.Errorf("%w: %s, and it is not in the verified history of the applied commit%s", ErrUnverifiedRevision, verr.msg, appliedName(s.base))
}

func appliedName(h plumbing.Hash) string {
	if h.IsZero() {
		return " (none yet)"
	}
	return " " + short(h)
}
