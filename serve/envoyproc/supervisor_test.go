package envoyproc_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/serve/envoyproc"
)

// TestSupervise runs a stand-in Envoy for default/eg through its life:
// start with the written bootstrap, a crash and restarts with backoff, a
// hot restart for a new bootstrap, and a drained shutdown.
func TestSupervise(t *testing.T) {
	w := start(t, fakeEnvoy(t))
	if err := w.sup.Ensure([]string{"default/eg", "eg"}); err != nil { // the same Gateway twice
		t.Fatal(err)
	}
	first := w.waitFor("running", running(0))
	if len(w.sup.Status()) != 1 || first.NodeID != "envoy-default-eg" || first.BaseID != envoyproc.DefaultBaseID {
		t.Fatalf("status = %+v", w.sup.Status())
	}
	// The stand-in read and validated the bootstrap; its log is sluice's.
	w.waitLog("node envoy-default-eg cluster default/eg restart epoch 0")
	for _, want := range []string{"gateway=default/eg", "--base-id 10 --restart-epoch 0", "--log-level info", "--concurrency 2"} {
		if !strings.Contains(w.logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	w.checkMetric(`sluice_envoy_process_up{gateway="default/eg"} 1`)

	// Crashes: restarted after a backoff, again and again, until it runs.
	os.WriteFile(w.crash, nil, 0o644)
	w.waitFor("restarted twice", func(s envoyproc.Status) bool { return s.Restarts >= 2 })
	w.waitLog(`level=ERROR msg="envoy: [`) // Envoy's [critical] is an error
	os.Remove(w.crash)
	again := w.waitFor("running again", running(0))
	if again.PID == first.PID || !strings.Contains(again.LastExit, "exit status 1") {
		t.Errorf("after the crash: %+v", again)
	}
	w.checkMetric(`sluice_envoy_process_restarts_total{gateway="default/eg"}`)

	// A new bootstrap: hot restart at epoch 1; the old Envoy drains, exits.
	if err := w.sup.Reload(bootstrap.Options{XDSAddress: "127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	hot := w.waitFor("hot-restarted", running(1))
	w.waitLog("restart epoch 1")
	w.waitLog("draining listeners (graceful)")
	deadline := time.Now().Add(waitTimeout)
	for alive(again.PID) {
		if time.Now().After(deadline) {
			t.Fatalf("the epoch 0 Envoy (pid %d) is still running", again.PID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.sup.Reload(bootstrap.Options{XDSAddress: "127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if s := w.sup.Status()[0]; s.Epoch != 1 || s.PID != hot.PID {
		t.Errorf("an unchanged bootstrap restarted Envoy: %+v", s)
	}

	// Shutdown: drained, then SIGTERM.
	w.cancel()
	w.sup.Wait()
	if s := w.sup.Status()[0]; s.State != envoyproc.StateStopped || alive(hot.PID) {
		t.Errorf("after shutdown: %+v", s)
	}
	if n := strings.Count(w.logs.String(), "draining listeners (graceful)"); n != 2 {
		t.Errorf("%d drains logged, want 2 (hot restart, shutdown)", n)
	}
	w.waitLog("caught SIGTERM")
}

func (w *world) checkMetric(want string) {
	w.t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			b.WriteString(mf.GetName() + "{")
			for _, l := range m.Label {
				b.WriteString(l.GetName() + `="` + l.GetValue() + `"`)
			}
			b.WriteString("} ")
			switch {
			case m.Gauge != nil:
				b.WriteString(strconv.FormatFloat(m.Gauge.GetValue(), 'g', -1, 64))
			case m.Counter != nil:
				b.WriteString(strconv.FormatFloat(m.Counter.GetValue(), 'g', -1, 64))
			}
			b.WriteString("\n")
		}
	}
	if !strings.Contains(b.String(), want) {
		w.t.Errorf("metrics lack %s:\n%s", want, b.String())
	}
}

// TestMissingBinary: no envoy is a failed state naming the setting,
// retried; it is never a panic nor an exit.
func TestMissingBinary(t *testing.T) {
	w := start(t, "/nonexistent/envoy")
	if err := w.sup.Ensure([]string{"default/eg"}); err != nil {
		t.Fatal(err)
	}
	s := w.waitFor("retried", func(s envoyproc.Status) bool { return s.Restarts >= 2 })
	if s.State != envoyproc.StateFailed || !strings.Contains(s.LastExit, "envoy binary not found") || !strings.Contains(s.LastExit, "envoy.binary") {
		t.Errorf("status = %+v", s)
	}
	w.checkMetric(`sluice_envoy_process_up{gateway="default/eg"} 0`)
}

func TestEnsureRejectsBadGateway(t *testing.T) {
	w := start(t, fakeEnvoy(t))
	err := w.sup.Ensure([]string{"Default/EG"})
	if !errors.Is(err, bootstrap.ErrInvalidGateway) || !strings.Contains(err.Error(), "Default/EG") {
		t.Fatalf("err = %v", err)
	}
}
