package sync

import (
	"context"
	"fmt"
)

// Source is what the reconciler (serve/reconcile) needs of a source of
// revisions. Both the Git source and the directory source implement it.
type Source interface {
	// Sync fetches the newest revision. changed is false when it is the
	// revision the previous Sync returned. A failed Sync leaves what was
	// fetched before untouched.
	Sync(ctx context.Context) (rev Revision, changed bool, err error)
	// Revision reads a revision already fetched, by SHA (or a unique
	// prefix), without verifying it again: what was served before a
	// restart. An unknown SHA is an error wrapping ErrUnknownRevision.
	Revision(sha string) (Revision, error)
	// VerifiedRevision reads a fetched revision as Revision does, but
	// refuses (ErrUnverifiedRevision) one that Sync would not have
	// applied: what a rollback or a diff may read.
	VerifiedRevision(sha string) (Revision, error)
	// TakeRejections returns the revisions refused by Syncs since the last
	// call (bad signatures, force-pushes), oldest first.
	TakeRejections() []Rejection
	// SetApplied marks the revision applied, the base the next Sync
	// verifies from: after a restart and after a rollback.
	SetApplied(sha string)
	// Close releases what the source holds open (the Git mirror's
	// packfiles). A Sync running is waited for; nothing may be called
	// after, and the files of revisions returned before can no longer be
	// read.
	Close() error
}

var (
	_ Source = (*GitSource)(nil)
	_ Source = (*DirSource)(nil)
)

// Revision returns the directory's current revision when sha names it (a
// directory keeps no history): what was served before a restart is served
// again only if the files are still the same.
func (d *DirSource) Revision(sha string) (Revision, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last.SHA == "" || len(sha) < 7 || len(sha) > len(d.last.SHA) || d.last.SHA[:len(sha)] != sha {
		return Revision{}, fmt.Errorf("sync: revision %s of %s: a directory keeps only its current content: %w", sha, d.root, ErrUnknownRevision)
	}
	return d.last, nil
}

// VerifiedRevision is Revision: a directory's content is not signed.
func (d *DirSource) VerifiedRevision(sha string) (Revision, error) { return d.Revision(sha) }

// TakeRejections returns nothing: a directory refuses no revision.
func (d *DirSource) TakeRejections() []Rejection { return nil }

// SetApplied does nothing: a directory has no history to verify.
func (d *DirSource) SetApplied(string) {}

// Close does nothing: a directory source holds nothing open.
func (d *DirSource) Close() error { return nil }
