package sync

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of a sync, the values of sluice_sync_total's result label.
const (
	ResultChanged   = "changed"
	ResultUnchanged = "unchanged"
	ResultError     = "error"
)

// Metrics are the source's Prometheus collectors. A nil *Metrics counts
// nothing, so sources and tests may leave it out.
type Metrics struct {
	syncs       *prometheus.CounterVec
	duration    prometheus.Histogram
	lastSuccess prometheus.Gauge
	rejections  *prometheus.CounterVec
	forcePushes prometheus.Counter
}

// NewMetrics makes the source's collectors and registers them on reg,
// unless reg is nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_sync_total", Help: "Syncs of the source, by result (changed, unchanged, error).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sluice_sync_duration_seconds", Help: "Time of one sync of the source, failed or not.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 15),
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluice_source_last_success_timestamp_seconds", Help: "When a sync of the source last succeeded.",
		}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_commit_verification_failures_total", Help: "Commits rejected by signature verification, by reason.",
		}, []string{"reason"}),
		forcePushes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sluice_sync_force_push_refusals_total", Help: "Heads refused because they do not descend from the last applied revision.",
		}),
	}
	// Every result is exported from the start, so that rate() and
	// alerts see a zero before the first failure.
	for _, r := range []string{ResultChanged, ResultUnchanged, ResultError} {
		m.syncs.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.syncs, m.duration, m.lastSuccess, m.rejections, m.forcePushes)
	}
	return m
}

// ObserveSync counts one sync that took took and returned changed and err.
func (m *Metrics) ObserveSync(changed bool, err error, took time.Duration) {
	if m == nil {
		return
	}
	m.duration.Observe(took.Seconds())
	switch {
	case err != nil:
		m.syncs.WithLabelValues(ResultError).Inc()
		return
	case changed:
		m.syncs.WithLabelValues(ResultChanged).Inc()
	default:
		m.syncs.WithLabelValues(ResultUnchanged).Inc()
	}
	m.lastSuccess.SetToCurrentTime()
}

// ObserveRejection counts a commit Sync refused (a Rejection) by its
// reason: a failed signature verification (ReasonUnsigned, …), or with
// ReasonNonFastForward a force-push refusal.
func (m *Metrics) ObserveRejection(reason string) {
	if m == nil {
		return
	}
	switch reason {
	case ReasonNonFastForward:
		m.forcePushes.Inc()
	case ReasonInvalidFiles:
		// Not a verification failure: the revision's own record says why.
	default:
		m.rejections.WithLabelValues(reason).Inc()
	}
}

// ObserveForcePushRefusal counts a head refused because it does not
// descend from the last applied revision.
func (m *Metrics) ObserveForcePushRefusal() {
	if m == nil {
		return
	}
	m.forcePushes.Inc()
}
