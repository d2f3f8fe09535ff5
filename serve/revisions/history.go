package revisions

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/serve/notify"
	"github.com/sluice-gitops/sluice/serve/publish"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/logtext"
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
	// DataDir, when set, holds the revision store (DBFile): the history,
	// the pin and the revision served, kept across restarts.
	DataDir string
	// KeepRevisions bounds the history to the newest records; 0 keeps all.
	// The served revision is never pruned.
	KeepRevisions int
	// RollbackOnNack serves a gateway the last version its Envoys ACKed
	// again when one of them NACKs the version it was sent.
	RollbackOnNack bool
	// Notify, when set, is told of revisions applied and rejected, pins
	// and unpins, first NACKs, automatic rollbacks and the source failing
	// and recovering (notify.Notifier.Notify). It must not block: it is
	// called with the history locked.
	Notify func(notify.Event)
}

// History is the revision state machine: the history of revisions (kept
// in the store), what each gateway is served and the pin, and the health
// of every revision from what the publisher reports of the Envoys.
type History struct {
	log *slog.Logger
	// pub serves the snapshots and reports ACKs and NACKs.
	pub     *publish.Publisher
	store   *store
	metrics *metrics
	onApply func(*Record)
	notify  func(notify.Event)
	// rollbackOnNack is Options.RollbackOnNack.
	rollbackOnNack bool

	mu sync.Mutex
	// current holds each gateway's served snapshot.
	current map[string]served
	// applied is the record being served, nil before the first.
	applied *Record
	source  sourceHealth
	// pin is the SHA of the pinned revision, "" when not pinned; head is
	// the SHA of the newest revision accepted from the source (applied or
	// pending); restored is the SHA served before a restart.
	pin, head, restored string
	// good holds, per gateway, the last two distinct snapshots its Envoys
	// ACKed, oldest first: what a NACK rolls back to.
	good map[string][]served
	// live fills in live endpoints (cluster mode, endpoints.go); nil
	// outside a cluster.
	live Endpoints
	// unknownSet: the Envoys of unknown gateways are served an empty
	// snapshot.
	unknownSet bool
	// storeErr is the error of the last write of the store, "" when it
	// succeeded.
	storeErr string
	// gen counts changes (Generation).
	gen atomic.Uint64
}

// served is what one gateway is served now, under its gateway version.
type served struct {
	version string
	snap    *cachev3.Snapshot
	// res is the translation the snapshot was made of, before its live
	// endpoints were filled in (RefreshEndpoints fills them in again).
	res *translate.GatewayResult
}

type sourceHealth struct {
	lastErr     string
	lastErrAt   time.Time
	lastSuccess time.Time
	lastSync    time.Time
	failures    int // consecutive failed syncs
}

// New makes a History and opens its revision store in Options.DataDir;
// serve its Publisher and close it with Close.
func New(opts Options) (*History, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	st, meta, err := openStore(opts.DataDir, opts.KeepRevisions, opts.Logger)
	if err != nil {
		return nil, err
	}
	s := &History{
		log:            opts.Logger,
		store:          st,
		metrics:        newMetrics(opts.Registerer),
		onApply:        opts.OnApply,
		notify:         opts.Notify,
		rollbackOnNack: opts.RollbackOnNack,
		current:        map[string]served{},
		good:           map[string][]served{},
		pin:            meta[string(metaPin)],
		head:           meta[string(metaHead)],
		restored:       meta[string(metaServed)],
	}
	s.pub = publish.New(s.events())
	s.metrics.setRevisionInfo(st.list(), nil)
	registerConnected(s.pub, opts.Registerer)
	return s, nil
}

// Close writes what is left of the history and closes the store.
func (s *History) Close() error { return s.store.close() }

// Apply records a revision and, unless it is rejected, publishes its
// snapshots. terr is translate's error (unparseable YAML): the revision
// is then rejected and the previous snapshots keep serving. took is the
// translation time. While a revision is pinned, a good revision is
// recorded as pending and not published.
func (s *History) Apply(rev gitsync.Revision, res *translate.Result, terr error, took time.Duration) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.store.add(rev)
	s.metrics.translate.Observe(took.Seconds())
	s.store.update(func() { rec.TranslateSeconds = took.Seconds() })
	if terr != nil {
		return s.reject(rec, terr.Error())
	}
	if res == nil {
		return s.reject(rec, "no translation result")
	}
	s.store.update(func() {
		rec.Rejected = res.Rejected()
		rec.Warnings = res.Warnings
	})
	plans, keys, err := s.build(res)
	if err != nil {
		return s.reject(rec, err.Error())
	}
	s.head = rev.SHA
	if s.pin != "" {
		s.hold(rec, plans, keys)
		return s.finish(rec, StatePending, fmt.Sprintf("not served: revision %s is pinned; sluice unpin serves the newest pending revision", shortSHA(s.pin)))
	}
	prev := s.servedNow()
	if err := s.publish(rec, plans, keys); err != nil {
		return s.reject(rec, err.Error())
	}
	out, err := s.settle(rec, StateApplied, "", prev)
	if err != nil {
		s.log.Error("revision not applied: its record cannot be written; the previous revision keeps serving", "revision", rev.String(), "err", err)
		return s.reject(rec, err.Error())
	}
	s.recorded(out)
	return out
}

// Reject records a revision the source refused before translation (a bad
// signature, a force-push): it is never served, and what is served stays.
// A commit already recorded rejected for the same reason is not recorded
// again (a source may refuse it at every sync, or after a restart).
func (s *History) Reject(rev gitsync.Revision, reason, message string) *Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	why := reason + ": " + message
	var known bool
	s.store.update(func() {
		prev := s.store.find(rev.SHA, StateRejected)
		known = prev != nil && prev.Reason == why
	})
	if known {
		return s.store.get(rev.SHA)
	}
	return s.reject(s.store.add(rev), why)
}

// reject records rec rejected and tells. Callers hold s.mu.
func (s *History) reject(rec *Record, reason string) *Record {
	rec = s.finish(rec, StateRejected, reason)
	s.recorded(rec)
	return rec
}

// gatewayPlan is one gateway's snapshot, checked and ready to publish.
type gatewayPlan struct {
	key      string
	versions publish.Versions
	snap     *cachev3.Snapshot
	counts   map[string]int
	// res is what the snapshot was made of, before its live endpoints
	// were filled in.
	res *translate.GatewayResult
}

func (p gatewayPlan) served() served {
	return served{version: p.versions.Gateway, snap: p.snap, res: p.res}
}

// plan makes and checks the snapshot of gateway key and gives it its
// versions, from its content alone (publish.Prepare).
func (s *History) plan(key string, src *translate.GatewayResult) (gatewayPlan, error) {
	g := s.overlay(src) // live endpoints, in a cluster (endpoints.go)
	snap, err := g.Snapshot("")
	if err != nil {
		return gatewayPlan{}, err
	}
	versions, err := publish.Prepare(snap)
	if err != nil {
		return gatewayPlan{}, fmt.Errorf("gateway %s: %w", key, err)
	}
	counts := map[string]int{}
	for typ, list := range g.Resources() {
		counts[typeName(typ)] = len(list)
	}
	return gatewayPlan{key: key, versions: versions, snap: snap, counts: counts, res: src}, nil
}

// typeVersions are the versions of a plan's types, by type name
// ("Cluster").
func (p gatewayPlan) typeVersions() map[string]string {
	out := make(map[string]string, len(p.counts))
	for typeURL, v := range p.versions.Types {
		if _, ok := p.counts[typeName(typeURL)]; ok {
			out[typeName(typeURL)] = v
		}
	}
	return out
}

// typeName shortens a type URL to its message name ("Cluster").
func typeName(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, ".")+1:]
}

func (s *History) finish(rec *Record, state State, reason string) *Record {
	out, _ := s.finishSaved(rec, state, reason)
	return out
}

// finishSaved is finish, with the error of writing the record (logged by
// the store, and written again with the next change).
func (s *History) finishSaved(rec *Record, state State, reason string) (*Record, error) {
	s.store.update(func() {
		rec.State, rec.Reason = state, reason
	})
	saveErr := s.store.save(s.meta(), rec)
	s.storeErr = ""
	if saveErr != nil {
		s.storeErr = saveErr.Error()
	}
	s.metrics.revisions.WithLabelValues(string(state)).Inc()
	s.updateRevisionInfo()
	s.changed()
	switch state {
	case StateRejected:
		s.log.Warn("revision rejected; the previous snapshot keeps serving", "revision", rec.Revision.String(), "reason", reason)
	case StatePending:
		s.log.Info("revision pending: a pinned revision is served", "revision", rec.Revision.String(), "pinned", s.pin)
	case StatePinned:
		s.log.Warn("revision pinned: newer revisions wait until sluice unpin", "revision", rec.Revision.String(), "reason", reason)
	default:
		s.log.Info("revision applied", "revision", rec.Revision.String(), "subject", rec.Subject, "gateways", len(rec.Gateways), "rejectedObjects", len(rec.Rejected))
	}
	out := s.store.get(rec.SHA)
	if s.onApply != nil {
		s.onApply(out)
	}
	return out, saveErr
}

// updateRevisionInfo sets the revision metrics from the store. Callers
// hold s.mu.
func (s *History) updateRevisionInfo() {
	var served *Record
	if s.applied != nil {
		s.store.update(func() { served = s.applied.clone() })
	}
	s.metrics.setRevisionInfo(s.store.list(), served)
}

// SourceError records a failed sync (the served revision stays).
func (s *History) SourceError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changed()
	now := time.Now()
	s.source.lastErr, s.source.lastErrAt, s.source.lastSync = err.Error(), now, now
	s.source.failures++
	if s.source.failures == 1 {
		s.event(notify.SourceFailing, nil, logtext.Truncate(err.Error(), logtext.Max))
	}
}

// SourceOK records a successful sync.
func (s *History) SourceOK() {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.changed()
	now := time.Now()
	if s.source.failures > 0 {
		s.event(notify.SourceRecovered, nil, fmt.Sprintf("the source answers again after %d failed syncs", s.source.failures))
	}
	s.source.lastErr, s.source.lastSuccess, s.source.lastSync = "", now, now
	s.source.failures = 0
}

// serveUnknown gives the Envoys whose gateway is unknown (their
// node.cluster names no Gateway) an empty snapshot, once a revision is
// served, so they are told "nothing" rather than left waiting. Its version
// stays for the life of the process. Callers hold s.mu.
func (s *History) serveUnknown(sha string) error {
	if s.unknownSet {
		return nil
	}
	p, err := s.plan("", &translate.GatewayResult{})
	if err == nil {
		err = s.pub.SetUnknown(p.snap)
	}
	if err != nil {
		return fmt.Errorf("empty snapshot of unknown gateways: %w", err)
	}
	s.unknownSet = true
	return nil
}

// events are what the history does with what the publisher sees.
func (s *History) events() publish.Events {
	return publish.Events{
		Ack: s.ack, Nack: s.nack,
	}
}

// setSnapshot serves snap to the Envoys of gateway. Callers hold s.mu.
func (s *History) setSnapshot(gateway string, snap *cachev3.Snapshot) error {
	return s.pub.Set(gateway, snap)
}

// Publisher returns the xDS publisher that serves the snapshots.
func (s *History) Publisher() *publish.Publisher { return s.pub }

// gatewayLabel is the gateway label of a metric: "unknown" for a gateway
// that was never served, so clients cannot make up series.
func (s *History) gatewayLabel(gateway string) string {
	if s.pub.Known(gateway) {
		return gateway
	}
	return unknownGateway
}

func (s *History) ack(gateway, node, version string, sent, at time.Time) {
	defer s.changed()
	s.metrics.acks.WithLabelValues(s.gatewayLabel(gateway)).Inc()
	s.noteGood(gateway, version)
	d, ok := s.store.recordAck(gateway, version, node, sent, at)
	if !ok {
		return
	}
	s.log.Info("envoy ACKed", "node", node, "gateway", publish.Clip(gateway, publish.MaxNodeName), "version", version, "sinceSent", d)
	if !s.pub.AllAt(gateway, version) {
		return // some Envoy of the gateway has not taken it yet
	}
	if all, ok := s.store.recordAllAcked(gateway, version, at); ok {
		s.metrics.ackSeconds.Observe(all.Seconds())
	}
}

func (s *History) nack(gateway, node, version, detail string, at time.Time) {
	defer s.changed()
	s.metrics.nacks.WithLabelValues(s.gatewayLabel(gateway)).Inc()
	if rec := s.store.recordNack(gateway, version, node, detail, at); rec != nil && s.notify != nil {
		s.notify(notify.Event{Type: notify.Nack, Revision: rec.Revision.String(), SHA: rec.SHA, Subject: rec.Subject,
			Gateway: gateway, Node: node, Message: publish.Clip(detail, maxLoggedDetail)})
	}
	s.log.Warn("envoy NACKed", "node", node, "gateway", publish.Clip(gateway, publish.MaxNodeName), "version", version, "error", publish.Clip(detail, maxLoggedDetail))
	if s.rollbackOnNack {
		s.rollbackGateway(gateway, version, node, detail)
	}
}

// Revisions lists every revision seen, newest first, with pending Envoys
// filled in.
func (s *History) Revisions() []*Record {
	recs := s.store.list()
	s.fillPending(recs...)
	return recs
}

// Revision returns one revision by SHA or SHA prefix (7+ characters), or nil.
func (s *History) Revision(sha string) *Record {
	r := s.store.get(sha)
	if r != nil {
		s.fillPending(r)
	}
	return r
}

// VersionSHA returns the SHA of the revision that produced version of
// gateway (the newest that pushed it), or "".
func (s *History) VersionSHA(gateway, version string) string {
	return s.store.revisionOf(gateway, version)
}

// Nodes lists the connected Envoys.
func (s *History) Nodes() []publish.NodeStatus { return s.pub.Connected() }

// AppliedSHA returns the SHA of the revision being served, or "".
func (s *History) AppliedSHA() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied == nil {
		return ""
	}
	return s.applied.SHA
}

// Ready reports whether a revision is being served.
func (s *History) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied != nil
}

// Readiness returns the revision served, nil before the first, and the
// error of the last sync, "" when it succeeded.
func (s *History) Readiness() (served *gitsync.Revision, sourceErr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applied != nil {
		rev := s.applied.Revision
		served = &rev
	}
	if s.storeErr != "" {
		return served, joinLines(s.source.lastErr, s.storeErr)
	}
	return served, s.source.lastErr
}

func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// FullSHA expands a prefix of a recorded revision's SHA; any other sha is
// returned as it is.
func (s *History) FullSHA(sha string) string {
	if rec := s.store.get(sha); rec != nil {
		return rec.SHA
	}
	return sha
}
