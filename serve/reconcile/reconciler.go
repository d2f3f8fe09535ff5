package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-gitops/sluice/serve/endpoints"
	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// Options configure a Reconciler.
type Options struct {
	Source gitsync.Source
	// State records revisions and publishes their snapshots.
	History *revisions.History
	// Translate are the options of every translation; a Cache is added
	// when it has none.
	Translate translate.Options
	// Metrics count syncs and refused commits; nil counts nothing.
	Metrics *gitsync.Metrics
	Logger  *slog.Logger
	// Endpoints, in a cluster, are the live endpoints of the Services the
	// repository has no EndpointSlices for (endpoints.go); nil outside.
	Endpoints *endpoints.Live
}

// Reconciler moves revisions from a source through translate to the
// revision state machine.
type Reconciler struct {
	src     gitsync.Source
	state   *revisions.History
	opts    translate.Options
	metrics *gitsync.Metrics
	log     *slog.Logger
	results resultCache
	live    *endpoints.Live
	// mu serializes translations, so that a diff or a rollback never runs
	// beside a sync's translation.
	mu sync.Mutex
	// reading admits one diff that must translate a revision (actions.go);
	// another is refused with ErrBusy rather than queued.
	reading chan struct{}
}

// New returns a Reconciler.
func New(opts Options) *Reconciler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Translate.Cache == nil {
		opts.Translate.Cache = translate.NewCache()
	}
	if opts.Endpoints != nil {
		opts.Translate.LiveEndpoints = true
		opts.History.UseEndpoints(opts.Endpoints)
	}
	return &Reconciler{src: opts.Source, state: opts.History, opts: opts.Translate, metrics: opts.Metrics, log: opts.Logger,
		reading: make(chan struct{}, 1), live: opts.Endpoints}
}

// translate translates rev, timing it, and keeps the result (or why
// there is none) for rollback and diff. Translations run one at a time,
// each within the revision limits of the options.
func (r *Reconciler) translate(rev gitsync.Revision) (*translate.Result, time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	res, err := translate.Translate(rev.FS, r.opts)
	took := time.Since(start)
	r.results.put(rev, res, err)
	return res, took, err
}

// SyncOnce syncs the source and applies a new revision. A failed sync
// keeps what is served; so does a revision that does not translate (it
// is recorded rejected).
func (r *Reconciler) SyncOnce(ctx context.Context) error {
	start := time.Now()
	rev, changed, err := r.src.Sync(ctx)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		return err // shutting down: not a failure of the source
	}
	r.observeSync(changed, err, time.Since(start))
	if err != nil {
		r.state.SourceError(err)
		r.log.Error("sync failed; the served revision stays", "err", err)
		r.rejections()
		return err
	}
	r.state.SourceOK()
	// A restart serves the last applied (or pinned) revision from the
	// mirror first; the first sync then finds the same head, which is not
	// news, unless nothing could be served from the mirror.
	if changed && (rev.SHA != r.state.Head() || !r.state.Ready()) {
		res, took, err := r.translate(rev)
		r.prepare(ctx, res)
		r.state.Apply(rev, res, err, took)
		r.settle()
	}
	// Refused commits are newer than what was applied: record them after.
	r.rejections()
	return nil
}

func (r *Reconciler) observeSync(changed bool, err error, took time.Duration) {
	if r.metrics != nil {
		r.metrics.ObserveSync(changed, err, took)
	}
}

// rejections records and counts the commits the source refused.
func (r *Reconciler) rejections() {
	for _, rej := range r.src.TakeRejections() {
		r.state.Reject(rej.Revision, rej.Reason, rej.Message)
		if r.metrics != nil {
			r.metrics.ObserveRejection(rej.Reason)
		}
	}
}

// Restore serves the revision served before a restart (the pinned one,
// or the last applied) from the source's local copy, before the remote is
// asked, so that a restart with the remote down still serves. A pin
// stays. It reports whether a revision is served.
func (r *Reconciler) Restore() bool {
	sha, head := r.state.Restored()
	if sha == "" {
		return false
	}
	rev, err := r.src.Revision(sha)
	if err != nil {
		r.log.Warn("the revision served before the restart is not in the mirror", "revision", sha, "err", err)
		return false
	}
	r.log.Info("serving the revision served before the restart from the mirror", "revision", rev.String(), "pinned", r.state.Pinned() != "")
	res, took, terr := r.translate(rev)
	r.prepare(context.Background(), res)
	defer r.settle()
	if _, err := r.state.Restore(rev, res, terr, took); err != nil {
		r.log.Warn("cannot serve the revision served before the restart", "err", err)
		return false
	}
	// Verification and force-push detection start from the newest
	// revision taken from the branch (the pinned one may be older).
	r.src.SetApplied(head)
	return true
}
