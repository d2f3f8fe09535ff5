package reconcile

import (
	"context"

	"github.com/sluice-gitops/sluice/translate"
)

// Live endpoints (cluster mode): before a translation is served, the
// Services it and the served revision take endpoints from are watched and
// listed once, so that it is first served with them; after, only those of
// what is served stay watched. Between revisions, their changes are
// served as EDS-only updates (ServeEndpoints).

// prepare watches the live Services of res besides those served, and
// waits for their first list.
func (r *Reconciler) prepare(ctx context.Context, res *translate.Result) {
	if r.live == nil || res == nil {
		return
	}
	svcs := r.state.LiveServices()
	for _, g := range res.Gateways {
		svcs = append(svcs, g.LiveServices...)
	}
	r.live.Prepare(ctx, svcs)
}

// settle watches only the live Services of what is served.
func (r *Reconciler) settle() {
	if r.live != nil {
		r.live.Want(r.state.LiveServices())
	}
}

// ServeEndpoints serves the changes of the live endpoints until ctx is
// done; without them (outside a cluster) it returns at once.
func (r *Reconciler) ServeEndpoints(ctx context.Context) {
	if r.live != nil {
		r.live.Run(ctx, r.state.RefreshEndpoints)
	}
}
