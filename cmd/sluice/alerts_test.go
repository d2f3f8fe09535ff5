package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// alertRules is the part of a Prometheus rule file the test reads.
type alertRules struct {
	Groups []struct {
		Rules []struct {
			Alert string `json:"alert"`
			Expr  string `json:"expr"`
		} `json:"rules"`
	} `json:"groups"`
}

// TestAlertRules: examples/prometheus/sluice-alerts.yaml passes promtool's
// check and its unit tests (sluice-alerts.test.yaml), covers the alerts an
// operator needs, queries only metrics sluice exports, and the Grafana
// dashboard shows them.
func TestAlertRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is missing; .ci/run installs Debian's prometheus package")
		}
		t.Skip("promtool is not installed: apt-get install prometheus (Debian's package ships promtool)")
	}
	for _, args := range [][]string{{"check", "rules", "sluice-alerts.yaml"}, {"test", "rules", "sluice-alerts.test.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../../examples/prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	b, err := os.ReadFile("../../examples/prometheus/sluice-alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules alertRules
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	used := map[string][]string{}
	alerts := map[string]bool{}
	metricName := regexp.MustCompile(`\bsluice_[a-z0-9_]+`)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			for _, m := range metricName.FindAllString(r.Expr, -1) {
				used[m] = append(used[m], r.Alert)
			}
		}
	}
	for _, want := range []string{"SluiceSourceStale", "SluiceRevisionRejected", "SluiceEnvoyNacks", "SluicePinnedTooLong", "SluiceEnvoysDisconnected"} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}
	exposed, decl := exportedMetrics(t)
	checkExported(t, used, exposed, decl)
	shown := false
	for _, p := range readGrafanaDashboard(t).Panels {
		for _, tg := range p.Targets {
			shown = shown || strings.Contains(tg.Expr, `ALERTS{alertname=~\"Sluice.*\"`) || strings.Contains(tg.Expr, `ALERTS{alertname=~"Sluice.*"`)
		}
	}
	if !shown {
		t.Error("no panel of the Grafana dashboard shows the firing sluice alerts")
	}
}
