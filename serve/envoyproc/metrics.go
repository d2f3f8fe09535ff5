package envoyproc

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	up       *prometheus.GaugeVec
	epoch    *prometheus.GaugeVec
	restarts *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_envoy_process_up",
			Help: "1 when the Envoy sluice runs for the gateway is running, else 0.",
		}, []string{"gateway"}),
		epoch: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sluice_envoy_process_restart_epoch",
			Help: "The hot-restart epoch of the gateway's running Envoy.",
		}, []string{"gateway"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_envoy_process_restarts_total",
			Help: "Times the gateway's Envoy exited or failed to start and was restarted.",
		}, []string{"gateway"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.up, m.epoch, m.restarts} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) set(s Status) {
	up := 0.0
	if s.State == StateRunning {
		up = 1
	}
	m.up.WithLabelValues(s.Gateway).Set(up)
	m.epoch.WithLabelValues(s.Gateway).Set(float64(s.Epoch))
}

// drainListeners asks the Envoy whose admin address is in file to drain
// its listeners gracefully, waiting up to 5s for Envoy to write the file
// (an Envoy that just started may not have yet) unless it exits.
func drainListeners(file string, exited <-chan struct{}) error {
	deadline := time.Now().Add(5 * time.Second)
	b, err := os.ReadFile(file)
	for err != nil && time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("it exited")
		case <-time.After(20 * time.Millisecond):
		}
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Post("http://"+strings.TrimSpace(string(b))+"/drain_listeners?graceful", "text/plain", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /drain_listeners answered %s", resp.Status)
	}
	return nil
}
