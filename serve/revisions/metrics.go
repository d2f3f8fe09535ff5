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
			Name: "sluice_revisions_total", Help: "Revisions seen, by the state they reached (applied, rejected).",
		}, []string{"state"}),
		revisionInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_revision_info", Help: "1 for each of the most recent revisions, labelled with its state.",
		}, []string{"revision", "state"}),
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
			Name: "sluice_revision_ack_seconds", Help: "Time from fetching a revision to every connected Envoy of a gateway having ACKed it, once per revision and gateway.",
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
	if reg != nil {
		reg.MustRegister(m.revisions, m.revisionInfo, m.translate, m.acks, m.nacks, m.ackSeconds, m.snapshotRes, m.lastApplied, m.rollbacks)
	}
	return m
}

// setRevisionInfo keeps sluice_revision_info to the newest records.
func (m *metrics) setRevisionInfo(records []*Record) {
	m.revisionInfo.Reset()
	for i, r := range records {
		if i == infoRevisions {
			break
		}
		m.revisionInfo.WithLabelValues(r.SHA, string(r.State)).Set(1)
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
