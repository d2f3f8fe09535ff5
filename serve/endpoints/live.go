package endpoints

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/sync/kube"
	"github.com/sluice-gitops/sluice/translate"
)

// DefaultBatch is how long changes are gathered before they are served:
// a rolling deploy that changes an endpoint every few milliseconds pushes
// each Envoy at most ten times a second.
const DefaultBatch = 100 * time.Millisecond

// Options configure Live.
type Options struct {
	Watch kube.Config // its OnChange is Live's
	// Batch is how long changes are gathered before they are served;
	// 0 is DefaultBatch.
	Batch time.Duration
	// SyncTimeout bounds how long Prepare waits for a first list; 0 is
	// 10s. After it, what is known is served and the rest follows.
	SyncTimeout time.Duration
	// Registerer receives the metrics; nil registers nothing.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Live is the live endpoints of the served Services. It is a
// revisions.Endpoints.
type Live struct {
	watcher *kube.Watcher
	opts    Options
	log     *slog.Logger
	// kick holds a change not yet served.
	kick    chan struct{}
	changes prometheus.Counter
	batches prometheus.Counter
}

// New returns a Live; Start starts its watches and Run serves changes.
func New(opts Options) *Live {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.SyncTimeout <= 0 {
		opts.SyncTimeout = 10 * time.Second
	}
	l := &Live{opts: opts, log: opts.Logger, kick: make(chan struct{}, 1)}
	l.changes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sluice_kubernetes_endpoint_changes_total",
		Help: "Changes of the EndpointSlices of live Services (and of their watch status) sluice saw.",
	})
	l.batches = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sluice_kubernetes_endpoint_batches_total",
		Help: "Batches of endpoint changes served (each at most one EDS push per Envoy).",
	})
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(l.changes, l.batches)
		opts.Registerer.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sluice_kubernetes_problems",
			Help: "Problems that keep endpoints from being live (namespaces not watched, RBAC, API server).",
		}, func() float64 { return float64(len(l.Problems())) }))
	}
	w := opts.Watch
	w.OnChange, w.Logger = l.changed, opts.Logger
	l.watcher = kube.New(w)
	return l
}

// changed notes a change to serve; it never blocks.
func (l *Live) changed() {
	l.changes.Inc()
	select {
	case l.kick <- struct{}{}:
	default: // one is already waiting
	}
}

// Start starts the watches; they stop when ctx is done.
func (l *Live) Start(ctx context.Context) { l.watcher.Start(ctx) }

// Run serves changes until ctx is done: after a change it waits for the
// batch window, gathering every change that comes in it, and calls serve
// once (revisions.History.RefreshEndpoints).
func (l *Live) Run(ctx context.Context, serve func() int) {
	t := time.NewTimer(0)
	<-t.C
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		}
		t.Reset(l.opts.Batch)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		select { // the changes of the window are served now
		case <-l.kick:
		default:
		}
		l.batches.Inc()
		serve()
	}
}

// Want watches the given Services and no others.
func (l *Live) Want(svcs []translate.LiveService) {
	keys := make([]kube.Service, 0, len(svcs))
	for _, s := range svcs {
		keys = append(keys, kube.Service{Namespace: s.Namespace, Name: s.Name})
	}
	l.watcher.Want(keys)
}

// Prepare watches svcs and waits, up to Options.SyncTimeout, until their
// namespaces have been listed, so that a revision is first served with
// its endpoints.
func (l *Live) Prepare(ctx context.Context, svcs []translate.LiveService) {
	l.Want(svcs)
	ctx, cancel := context.WithTimeout(ctx, l.opts.SyncTimeout)
	defer cancel()
	if !l.watcher.WaitSynced(ctx) {
		l.log.Warn("EndpointSlices not all listed; the revision is served with what is known", "problems", l.Problems())
	}
}

// Generation counts the changes of the live endpoints.
func (l *Live) Generation() uint64 { return l.watcher.Generation() }

// Problems names what keeps the endpoints from being live.
func (l *Live) Problems() []string { return l.watcher.Problems() }

var _ revisions.Endpoints = (*Live)(nil)
