package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/notify"
)

// newNotifier builds the notify targets of cfg, reading their secrets;
// nil when there are none.
func newNotifier(cfg *config.Config, logger *slog.Logger, reg prometheus.Registerer) (*notify.Notifier, error) {
	if len(cfg.Notify) == 0 {
		return nil, nil
	}
	client := &http.Client{Timeout: notify.DefaultTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect would resend the event elsewhere
	}}
	var targets []notify.Target
	for _, n := range cfg.Notify {
		t := notify.Target{Name: n.Name, Events: n.Events, Retries: n.Retries, QueueSize: n.QueueSize}
		switch {
		case n.Webhook != nil:
			secret, err := readSecret(n.Webhook.SecretFile, "notify "+n.Name+" secret")
			if err != nil {
				return nil, err
			}
			t.Sender = notify.Webhook(n.Webhook.URL, secret, client)
		case n.Slack != nil:
			u, err := readSecret(n.Slack.URLFile, "notify "+n.Name+" URL")
			if err != nil {
				return nil, err
			}
			if u == "" {
				return nil, fmt.Errorf("notify %s: %s is empty", n.Name, n.Slack.URLFile)
			}
			t.Sender = notify.Slack(u, client)
		case n.Command != nil:
			t.Sender = notify.Command(n.Command.Path, n.Command.Args)
		}
		targets = append(targets, t)
	}
	return notify.New(notify.Options{Targets: targets, Logger: logger, Registerer: reg, Timeout: 10 * time.Second}), nil
}
