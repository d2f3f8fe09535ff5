package sync_test

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	gitsync "github.com/sluice-gitops/sluice/sync"
)

// gather returns every sample of reg as `name{label="value"} value`;
// histograms give their count as name_count.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[name+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := gitsync.NewMetrics(reg)
	got := gather(t, reg)
	for _, r := range []string{"changed", "unchanged", "error"} {
		if v, ok := got[`sluice_sync_total{result="`+r+`"}`]; !ok || v != 0 {
			t.Errorf("before any sync, result %q is %v (exported %v); want 0", r, v, ok)
		}
	}

	m.ObserveSync(true, nil, 10*time.Millisecond)
	m.ObserveSync(false, nil, time.Millisecond)
	m.ObserveSync(false, nil, time.Millisecond)
	before := time.Now()
	// The gauge holds float seconds (sub-microsecond precision is lost):
	// leave a gap the failed sync would show across.
	time.Sleep(20 * time.Millisecond)
	m.ObserveSync(true, errors.New("down"), 2*time.Second)
	m.ObserveRejection(gitsync.ReasonUnsigned)
	m.ObserveRejection(gitsync.ReasonUnsigned)
	m.ObserveRejection(gitsync.ReasonUnknownKey)
	m.ObserveRejection(gitsync.ReasonNonFastForward)
	m.ObserveForcePushRefusal()

	got = gather(t, reg)
	last := got["sluice_source_last_success_timestamp_seconds"]
	delete(got, "sluice_source_last_success_timestamp_seconds")
	want := map[string]float64{
		`sluice_sync_total{result="changed"}`:                            1,
		`sluice_sync_total{result="unchanged"}`:                          2,
		`sluice_sync_total{result="error"}`:                              1,
		`sluice_sync_duration_seconds_count`:                             4,
		`sluice_commit_verification_failures_total{reason="Unsigned"}`:   2,
		`sluice_commit_verification_failures_total{reason="UnknownKey"}`: 1,
		`sluice_sync_force_push_refusals_total`:                          2,
	}
	if !maps.Equal(got, want) {
		t.Errorf("metrics = %v\nwant %v", got, want)
	}
	// The failed sync did not move the last success.
	at := time.Unix(0, int64(last*1e9))
	if at.After(before.Add(5*time.Millisecond)) || time.Since(at) > time.Minute {
		t.Errorf("last success at %s; want the last successful sync, before %s", at, before)
	}

	var none *gitsync.Metrics // a source without metrics
	none.ObserveSync(true, nil, 0)
	none.ObserveRejection("x")
	none.ObserveForcePushRefusal()
}
