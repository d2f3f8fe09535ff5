package revisions

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/serve/publish"
)

// unknownGateway is the gateway label of the Envoys whose gateway is not
// served: clients choose node.cluster, so it never becomes a label.
const unknownGateway = "unknown"

// metrics are the server's Prometheus collectors, registered on the
// Registerer the caller injects.
type metrics struct {
	revisions    *prometheus.CounterVec
	revisionInfo *prometheus.GaugeVec
	servedInfo   *prometheus.GaugeVec
	history      *prometheus.GaugeVec
	pinnedSince  prometheus.Gauge
	translate    prometheus.Histogram
	acks         *prometheus.CounterVec
	nacks        *prometheus.CounterVec
	ackSeconds   prometheus.Histogram
	snapshotRes  *prometheus.GaugeVec
	lastApplied  prometheus.Gauge
	rollbacks    *prometheus.CounterVec
}

// infoRevisions bounds the revision label of sluice_revision_info.
const infoRevisions = 20

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		revisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_revisions_total",
			Help: "Revisions recorded, by the state each was recorded in: applied, rejected, pending (behind a pin) or pinned (a rollback); " +
				"a restart counts the revision it serves again in its state (applied, pinned or failed). Superseded and failed are reached later (see sluice_history_revisions).",
		}, []string{"state"}),
		revisionInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_revision_info", Help: "1 for each of the 20 most recent revisions, by SHA.",
		}, []string{"revision"}),
		servedInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_served_revision_info", Help: "1 for the revision served now, by SHA.",
		}, []string{"revision"}),
		history: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_history_revisions", Help: "Revisions in the history, by state: applied, superseded, rejected, pinned, pending, failed.",
		}, []string{"state"}),
		pinnedSince: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluice_pinned_since_timestamp_seconds", Help: "When the pinned revision was served (sluice rollback); 0 when nothing is pinned.",
		}),
		translate: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sluice_translate_duration_seconds", Help: "Time to translate one revision.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_xds_acks_total", Help: "Snapshot versions ACKed by an Envoy on every type, by gateway.",
		}, []string{"gateway"}),
		nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_xds_nacks_total", Help: "Snapshot versions NACKed by an Envoy (once per connected Envoy and version), by gateway.",
		}, []string{"gateway"}),
		ackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sluice_revision_ack_seconds", Help: "Time from publishing a revision's snapshot of a gateway to every Envoy of the gateway connected then having ACKed it, once per revision and gateway.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		snapshotRes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_snapshot_resources", Help: "Resources in the served snapshot, by gateway and type.",
		}, []string{"gateway", "type"}),
		lastApplied: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluice_revision_last_applied_timestamp_seconds", Help: "When the serving revision was applied.",
		}),
		rollbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_revision_rollbacks_total", Help: "Gateways served an earlier revision again, by reason: nack (rollback.onNack) or manual (sluice rollback).",
		}, []string{"gateway", "reason"}),
	}
	// Every state has its series from the start, so that increase() and
	// alerts see the first one.
	for _, st := range allStates {
		m.history.WithLabelValues(string(st))
		m.revisions.WithLabelValues(string(st))
	}
	if reg != nil {
		reg.MustRegister(m.revisions, m.revisionInfo, m.servedInfo, m.history, m.pinnedSince, m.translate, m.acks, m.nacks, m.ackSeconds, m.snapshotRes, m.lastApplied, m.rollbacks)
	}
	return m
}

// allStates lists the states of a revision.
var allStates = []State{StateApplied, StateSuperseded, StateRejected, StatePinned, StatePending, StateFailed}

// setRevisionInfo keeps sluice_revision_info to the newest records, counts
// the history by state, and says which revision is served and since when
// it is pinned (served nil: nothing yet).
func (m *metrics) setRevisionInfo(records []*Record, served *Record) {
	m.revisionInfo.Reset()
	counts := map[State]int{}
	for i, r := range records {
		if i < infoRevisions {
			m.revisionInfo.WithLabelValues(r.SHA).Set(1)
		}
		counts[r.State]++
	}
	for _, st := range allStates {
		m.history.WithLabelValues(string(st)).Set(float64(counts[st]))
	}
	m.servedInfo.Reset()
	m.pinnedSince.Set(0)
	if served == nil {
		return
	}
	m.servedInfo.WithLabelValues(served.SHA).Set(1)
	if served.State == StatePinned && served.AppliedAt != nil {
		m.pinnedSince.Set(float64(served.AppliedAt.UnixNano()) / 1e9)
	}
}

// connectedCollector reports sluice_xds_connected_proxies from the
// publisher's connected Envoys when scraped, so a gateway's series goes
// when its last Envoy does and unknown gateways share one.
type connectedCollector struct {
	pub  *publish.Publisher
	desc *prometheus.Desc
}

// registerConnected registers the connected-proxies gauge of pub on reg.
func registerConnected(pub *publish.Publisher, reg prometheus.Registerer) {
	if reg == nil {
		return
	}
	reg.MustRegister(&connectedCollector{pub: pub, desc: prometheus.NewDesc(
		"sluice_xds_connected_proxies", "Envoy xDS streams open, by gateway (\"unknown\" for node.cluster values that name no served Gateway).",
		[]string{"gateway"}, nil)})
}

func (c *connectedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *connectedCollector) Collect(ch chan<- prometheus.Metric) {
	streams := map[string]int{}
	for _, n := range c.pub.Connected() {
		label := n.Gateway
		if !c.pub.Known(label) {
			label = unknownGateway
		}
		streams[label] += n.Streams
	}
	for gw, n := range streams {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), gw)
	}
}
