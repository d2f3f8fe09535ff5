package revisions

import "errors"

// Errors of the revision state machine. The admin API (package serve)
// maps them, and sync's ErrUnknownRevision and ErrUnverifiedRevision, to
// status codes in one place.
var (
	// ErrNotPinned: Unpin without a pin.
	ErrNotPinned = errors.New("no revision is pinned")
	// ErrInvalidRevision: a revision that cannot be served, because its
	// YAML does not translate or its snapshots fail their checks.
	ErrInvalidRevision = errors.New("revision cannot be served")
	// ErrBusy: a diff must read a revision again while another diff
	// does; diffs need no token, so they are refused, not queued
	// (reconcile.Reconciler.Diff).
	ErrBusy = errors.New("another diff is reading a revision; try again shortly")
	// ErrStore: the revision store cannot be written, so a change of what
	// is served is refused (it would not survive a restart).
	ErrStore = errors.New("the revision store cannot be written")
)

// invalidError marks err as ErrInvalidRevision without changing its text.
type invalidError struct{ err error }

func (e invalidError) Error() string   { return e.err.Error() }
func (e invalidError) Unwrap() []error { return []error{e.err, ErrInvalidRevision} }
func invalid(err error) error          { return invalidError{err} }

// Invalid marks err, a reason a revision cannot be served (e.g. its
// translation failed), as ErrInvalidRevision; its text stays the same.
func Invalid(err error) error { return invalidError{err} }
