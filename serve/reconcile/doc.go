// Package reconcile owns the loop of a revision: it asks the source for
// a revision, translates it, hands the result to the revision state
// machine (revisions.History), which publishes it, and records what the source
// refused. "Last good wins", the restart and the operator's rollback,
// unpin and diff are its rules; it is the only caller of
// translate.Translate in sluice serve, with one incremental Cache:
// translations run one at a time, within the revision limits of its
// options, and their results (or failures) are kept for rollback and
// diff; a diff that must translate while another does is refused
// (revisions.ErrBusy), since diffs need no token.
//
// In a cluster it also has the live endpoints of what it is about to
// serve watched and listed first, and hands their changes to the History
// (endpoints.go).
//
// It must not serve anything itself: the admin API (serve) calls its
// actions, a gitsync.Scheduler calls SyncOnce.
package reconcile
