package reconcile

import (
	"context"
	"fmt"

	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// ResultAt returns the revision an operator names and its translation:
// kept from a recent translation, or read again through the source's
// VerifiedRevision (which refuses unknown and unverified commits) and
// translated, within the revision limits, one at a time. ref is a history
// number ("#3" or "3", see revisions.Sequence), a SHA or unique prefix, or
// a revision expression the source resolves in its mirror ("HEAD~1",
// "main~2"). A revision that does not translate is an error wrapping
// revisions.ErrInvalidRevision; it is kept too, and not translated again.
func (r *Reconciler) ResultAt(ref string) (gitsync.Revision, *translate.Result, error) {
	sha, err := r.resolve(ref)
	if err != nil {
		return gitsync.Revision{}, nil, err
	}
	if c, ok := r.results.get(sha); ok {
		return c.result()
	}
	rev, err := r.src.VerifiedRevision(sha)
	if err != nil {
		return gitsync.Revision{}, nil, err
	}
	if c, ok := r.results.get(rev.SHA); ok { // sha was abbreviated
		return c.result()
	}
	res, _, err := r.translate(rev)
	rev.FS = nil
	return (&cachedResult{rev: rev, res: res, err: err}).result()
}

// result is what ResultAt gives for a kept translation.
func (c *cachedResult) result() (gitsync.Revision, *translate.Result, error) {
	if c.err != nil {
		return gitsync.Revision{}, nil, revisions.Invalid(fmt.Errorf("translate %s: %w", c.rev.String(), c.err))
	}
	return c.rev, c.res, nil
}

// kept reports whether the translation of sha is kept.
func (r *Reconciler) kept(sha string) bool {
	_, ok := r.results.get(r.state.FullSHA(sha))
	return ok
}

// resolve turns a history number into its SHA and expands the prefix of
// a recorded SHA (a recorded revision is found in the cache by its full
// SHA); anything else is left for the source to resolve.
func (r *Reconciler) resolve(ref string) (string, error) {
	if n, ok := revisions.Sequence(ref); ok {
		rec := r.state.BySequence(n)
		if rec == nil {
			return "", fmt.Errorf("revision #%d is not in the history: %w", n, gitsync.ErrUnknownRevision)
		}
		return rec.SHA, nil
	}
	return r.state.FullSHA(ref), nil
}

// Rollback serves a commit of the source's history and pins it
// (revisions.History.Rollback); the source verifies from it on.
func (r *Reconciler) Rollback(sha string) (*revisions.Record, error) {
	rev, res, err := r.ResultAt(sha)
	if err != nil {
		return nil, fmt.Errorf("cannot roll back to %s: %w", sha, err)
	}
	r.prepare(context.Background(), res)
	defer r.settle()
	return r.state.Rollback(rev, res)
}

// Unpin removes the pin and serves the newest pending revision, read
// again (revisions.History.Unpin).
func (r *Reconciler) Unpin() (*revisions.Record, error) {
	next, err := r.state.PendingHead()
	if err != nil {
		return nil, err
	}
	var rev gitsync.Revision
	var res *translate.Result
	if next != "" {
		if rev, res, err = r.ResultAt(next); err != nil {
			return nil, fmt.Errorf("unpin: read pending revision %s again: %w", next, err)
		}
	}
	r.prepare(context.Background(), res)
	defer r.settle()
	return r.state.Unpin(rev, res)
}

// Diff compares the translations of two commits (SHAs or unique
// prefixes). One diff at a time may translate a revision; another that
// would have to is refused with revisions.ErrBusy.
func (r *Reconciler) Diff(from, to string) (*revisions.RevisionDiff, error) {
	if !r.kept(from) || !r.kept(to) {
		select {
		case r.reading <- struct{}{}:
			defer func() { <-r.reading }()
		default:
			return nil, revisions.ErrBusy
		}
	}
	revA, resA, err := r.ResultAt(from)
	if err != nil {
		return nil, fmt.Errorf("cannot diff %s: %w", from, err)
	}
	revB, resB, err := r.ResultAt(to)
	if err != nil {
		return nil, fmt.Errorf("cannot diff %s: %w", to, err)
	}
	gws, err := revisions.Diff(resA, resB)
	if err != nil {
		return nil, err
	}
	return &revisions.RevisionDiff{From: revA.String(), To: revB.String(), FromSHA: revA.SHA, ToSHA: revB.SHA, Gateways: gws}, nil
}

// Objects returns the status of every object of the revision ref names,
// as ResultAt translates it.
func (r *Reconciler) Objects(ref string) ([]*translate.ObjectStatus, error) {
	_, res, err := r.ResultAt(ref)
	if err != nil {
		return nil, err
	}
	return res.Status, nil
}
