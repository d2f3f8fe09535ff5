package revisions

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors, registered on the
// Registerer the caller injects.
type metrics struct {
	revisions    *prometheus.CounterVec
	revisionInfo *prometheus.GaugeVec
	translate    prometheus.Histogram
	connected    *prometheus.GaugeVec
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
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_xds_connected_proxies", Help: "Envoy ADS streams open, by gateway.",
		}, []string{"gateway"}),
		acks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_xds_acks_total", Help: "Snapshot versions ACKed by an Envoy on every type, by gateway.",
		}, []string{"gateway"}),
		nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_xds_nacks_total", Help: "Responses NACKed by an Envoy, by gateway.",
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
	if reg != nil {
		reg.MustRegister(m.revisions, m.revisionInfo, m.translate, m.connected, m.acks, m.nacks, m.ackSeconds, m.snapshotRes, m.lastApplied, m.rollbacks)
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
