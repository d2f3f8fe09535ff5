package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	sotwv3 "github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// OnApply, when set, is called after each revision is recorded, with its
	// final state. Tests use it instead of sleeping.
	OnApply func(*Record)
	// DataDir, when set, keeps the last applied revision's metadata
	// (see LastApplied).
	DataDir string
	// Resolve reads a revision of the source again by SHA (or a unique
	// prefix), for rollback and diff; it must refuse unknown and unverified
	// commits. Nil disables both.
	Resolve func(sha string) (gitsync.Revision, error)
	// Translate are the options revisions are translated with when read
	// again.
	Translate translate.Options
}

// Server is the xDS side of sluice: one snapshot per Gateway in
// go-control-plane's cache, the revision history, and ACK/NACK health.
type Server struct {
	log     *slog.Logger
	cache   cachev3.SnapshotCache
	store   *store
	tracker *tracker
	metrics *metrics
	onApply func(*Record)
	dataDir string

	resolve       func(sha string) (gitsync.Revision, error)
	translateOpts translate.Options
	results       resultCache

	mu sync.Mutex
	// current holds the content hash of each gateway's served snapshot.
	current map[string]served
	// applied is the record being served, nil before the first.
	applied *Record
	source  sourceHealth
}

// served is what one gateway is served now.
type served struct {
	version string
	hash    string
}

type sourceHealth struct {
	lastErr     string
	lastErrAt   time.Time
	lastSuccess time.Time
}

// New makes a Server; call ServeXDS and AdminHandler to expose it.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		log:     opts.Logger,
		cache:   cachev3.NewSnapshotCache(true, nodeHash{}, slogAdapter{opts.Logger}),
		store:   newStore(),
		tracker: newTracker(),
		metrics: newMetrics(opts.Registerer),
		onApply: opts.OnApply,
		dataDir: opts.DataDir,
		resolve: opts.Resolve,

		translateOpts: opts.Translate,
		current:       map[string]served{},
	}
	s.tracker.onRequest = s.ensureSnapshot
	s.tracker.onAck = s.ack
	s.tracker.onNack = s.nack
	s.tracker.onConnect = func(gateway string, d int) { s.metrics.connected.WithLabelValues(gateway).Add(float64(d)) }
	return s
}

// Apply records a revision and, unless it is rejected, publishes its
// snapshots. terr is translate's error (unparseable YAML): the revision
// is then rejected and the previous snapshots keep serving. took is the
// translation time.
func (s *Server) Apply(rev gitsync.Revision, res *translate.Result, terr error, took time.Duration) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.store.add(rev)
	s.metrics.translate.Observe(took.Seconds())
	s.store.update(func() { rec.TranslateSeconds = took.Seconds() })
	if terr != nil {
		return s.finish(rec, StateRejected, terr.Error())
	}
	if res == nil {
		return s.finish(rec, StateRejected, "no translation result")
	}
	s.store.update(func() {
		rec.Rejected = res.Rejected()
		rec.Warnings = res.Warnings
	})
	s.results.put(rev, res)
	// Build and check every snapshot before publishing any.
	var plans []gatewayPlan
	var errs []error
	keys := map[string]bool{}
	for _, g := range res.Gateways {
		p, err := s.plan(rev.SHA, g.Key(), g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		keys[g.Key()] = true
		plans = append(plans, p)
	}
	if err := errors.Join(errs...); err != nil {
		return s.finish(rec, StateRejected, err.Error())
	}
	// Gateways that were served before but are gone now, and Envoys of
	// unknown gateways, get an empty snapshot. That includes Envoys that
	// connected before the first revision: their watch is open and they
	// send nothing more until answered, so ensureSnapshot never sees them.
	empty := map[string]bool{}
	for key := range s.current {
		empty[key] = true
	}
	for _, n := range s.tracker.connected() {
		if n.Gateway != "" {
			empty[n.Gateway] = true
		}
	}
	for key := range empty {
		if !keys[key] {
			p, err := s.plan(rev.SHA, key, &translate.GatewayResult{})
			if err != nil {
				return s.finish(rec, StateRejected, err.Error())
			}
			plans = append(plans, p)
		}
	}
	sort.Slice(plans, func(i, j int) bool { return plans[i].key < plans[j].key })
	// Record the health entries before publishing: an Envoy may ACK before
	// SetSnapshot returns.
	var health []*GatewayHealth
	push := map[string]bool{}
	for _, p := range plans {
		cur, ok := s.current[p.key]
		pushed := !ok || cur.hash != p.hash
		push[p.key] = pushed
		if !pushed && !keys[p.key] {
			continue // a gateway that stays absent is not news
		}
		health = append(health, &GatewayHealth{Gateway: p.key, Version: p.version, Resources: p.counts, Pushed: pushed})
	}
	s.store.update(func() {
		rec.Gateways = health
		for _, h := range health {
			if h.Pushed {
				s.store.byVersion[h.Version] = rec
			}
		}
	})
	for _, p := range plans {
		if push[p.key] {
			if err := s.cache.SetSnapshot(context.Background(), p.key, p.snap); err != nil {
				return s.finish(rec, StateRejected, fmt.Sprintf("set snapshot of %s: %v", p.key, err))
			}
			s.current[p.key] = served{version: p.version, hash: p.hash}
		}
		for typ, n := range p.counts {
			s.metrics.snapshotRes.WithLabelValues(p.key, typ).Set(float64(n))
		}
	}
	s.store.update(func() {
		if s.applied != nil {
			s.applied.State = StateSuperseded
		}
		now := time.Now()
		rec.AppliedAt = &now
	})
	s.applied = rec
	s.metrics.lastApplied.SetToCurrentTime()
	if s.dataDir != "" {
		if err := saveApplied(s.dataDir, rev); err != nil {
			s.log.Error("the applied revision is served but not saved; a restart will wait for the remote", "err", err)
		}
	}
	return s.finish(rec, StateApplied, "")
}

// Reject records a revision the source refused before translation (a bad
// signature, a force-push): it is never served, and what is served stays.
func (s *Server) Reject(rev gitsync.Revision, reason, message string) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.store.add(rev)
	return s.finish(rec, StateRejected, reason+": "+message)
}

// gatewayPlan is one gateway's snapshot, checked and ready to publish.
type gatewayPlan struct {
	key     string
	hash    string
	version string
	snap    *cachev3.Snapshot
	counts  map[string]int
}

func (s *Server) plan(sha, key string, g *translate.GatewayResult) (gatewayPlan, error) {
	res := g.Resources()
	hash, err := contentHash(res)
	if err != nil {
		return gatewayPlan{}, fmt.Errorf("gateway %s: %w", key, err)
	}
	version := snapshotVersion(sha, hash)
	if cur, ok := s.current[key]; ok && cur.hash == hash {
		version = cur.version
	}
	snap, err := g.Snapshot(version)
	if err != nil {
		return gatewayPlan{}, err
	}
	counts := map[string]int{}
	for typ, list := range res {
		counts[typeName(typ)] = len(list)
	}
	return gatewayPlan{key: key, hash: hash, version: version, snap: snap, counts: counts}, nil
}

// typeName shortens a type URL to its message name ("Cluster").
func typeName(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, ".")+1:]
}

func (s *Server) finish(rec *Record, state State, reason string) *Record {
	s.store.update(func() {
		rec.State, rec.Reason = state, reason
	})
	s.metrics.revisions.WithLabelValues(string(state)).Inc()
	s.metrics.setRevisionInfo(s.store.list())
	if state == StateRejected {
		s.log.Warn("revision rejected; the previous snapshot keeps serving", "revision", rec.Revision.String(), "reason", reason)
	} else {
		s.log.Info("revision applied", "revision", rec.Revision.String(), "subject", rec.Subject, "gateways", len(rec.Gateways), "rejectedObjects", len(rec.Rejected))
	}
	out := s.store.get(rec.SHA)
	if s.onApply != nil {
		s.onApply(out)
	}
	return out
}

// SourceError records a failed sync (the served revision stays).
func (s *Server) SourceError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.source.lastErr, s.source.lastErrAt = err.Error(), time.Now()
}

// SourceOK records a successful sync.
func (s *Server) SourceOK() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.source.lastErr, s.source.lastSuccess = "", time.Now()
}

// ensureSnapshot gives an Envoy whose gateway has no snapshot an empty one
// once a revision is applied, so it is told "nothing" rather than left
// waiting.
func (s *Server) ensureSnapshot(gateway string) {
	if gateway == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied == nil {
		return
	}
	if _, ok := s.current[gateway]; ok {
		return
	}
	p, err := s.plan(s.applied.SHA, gateway, &translate.GatewayResult{})
	if err != nil {
		s.log.Error("empty snapshot", "gateway", gateway, "err", err)
		return
	}
	if err := s.cache.SetSnapshot(context.Background(), gateway, p.snap); err != nil {
		s.log.Error("set empty snapshot", "gateway", gateway, "err", err)
		return
	}
	s.current[gateway] = served{version: p.version, hash: p.hash}
}

func (s *Server) ack(gateway, node, version string, at time.Time) {
	s.metrics.acks.WithLabelValues(gateway).Inc()
	if d, ok := s.store.recordAck(gateway, version, node, at); ok {
		s.metrics.ackSeconds.Observe(d.Seconds())
		s.log.Info("envoy ACKed", "node", node, "gateway", gateway, "version", version, "sinceFetch", d)
	}
}

func (s *Server) nack(gateway, node, version, detail string, at time.Time) {
	s.metrics.nacks.WithLabelValues(gateway).Inc()
	s.store.recordNack(gateway, version, node, detail, at)
	s.log.Warn("envoy NACKed", "node", node, "gateway", gateway, "version", version, "error", detail)
}

// Revisions lists every revision seen, newest first, with pending Envoys
// filled in.
func (s *Server) Revisions() []*Record {
	recs := s.store.list()
	nodes := s.tracker.connected()
	for _, r := range recs {
		fillPending(r, nodes)
	}
	return recs
}

// Revision returns one revision by SHA or SHA prefix (7+ characters), or nil.
func (s *Server) Revision(sha string) *Record {
	r := s.store.get(sha)
	if r != nil {
		fillPending(r, s.tracker.connected())
	}
	return r
}

// Nodes lists the connected Envoys.
func (s *Server) Nodes() []NodeStatus { return s.tracker.connected() }

func fillPending(r *Record, nodes []NodeStatus) {
	for _, g := range r.Gateways {
		for _, n := range nodes {
			if n.Gateway != g.Gateway || contains(g.Acked, n.Node) {
				continue
			}
			nacked := false
			for _, ne := range g.Nacked {
				nacked = nacked || ne.Node == n.Node
			}
			if !nacked && n.Version != g.Version {
				g.Pending = append(g.Pending, n.Node)
			}
		}
	}
}

// ServeXDS serves ADS (SotW and delta) and the per-type xDS services on lis
// until ctx is done.
func (s *Server) ServeXDS(ctx context.Context, lis net.Listener) error {
	gs := grpc.NewServer(grpc.MaxConcurrentStreams(1 << 20))
	xds := serverv3.NewServer(ctx, s.cache, s.tracker.callbacks(), sotwv3.WithOrderedADS())
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, xds)
	clusterservice.RegisterClusterDiscoveryServiceServer(gs, xds)
	endpointservice.RegisterEndpointDiscoveryServiceServer(gs, xds)
	listenerservice.RegisterListenerDiscoveryServiceServer(gs, xds)
	routeservice.RegisterRouteDiscoveryServiceServer(gs, xds)
	go func() {
		<-ctx.Done()
		// Envoys keep their ADS streams open: give them a moment, then cut.
		stopped := make(chan struct{})
		go func() { gs.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			gs.Stop()
		}
	}()
	err := gs.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// AppliedSHA returns the SHA of the revision being served, or "".
func (s *Server) AppliedSHA() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied == nil {
		return ""
	}
	return s.applied.SHA
}

// Ready reports whether a revision is being served.
func (s *Server) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied != nil
}
