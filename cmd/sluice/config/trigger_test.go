package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTriggers: interval or cron schedule, the sync timeout and the
// webhook secret file.
func TestTriggers(t *testing.T) {
	const base = "source:\n  git:\n    url: https://git.example.com/r.git\n    verify: {insecureSkipVerify: true}\n"
	cfg, err := Parse([]byte(base + "    schedule: '*/2 * * * *'\n    timeout: 2m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Source.Git; g.Schedule != "*/2 * * * *" || g.Interval.Duration != 0 || g.Timeout.Duration != 2*time.Minute {
		t.Errorf("schedule: %+v; want the schedule, no interval, timeout 2m", g)
	}
	cfg, err = Parse([]byte(base + "    schedule: '@every 90s'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Source.Git; g.Interval.Duration != 0 || g.Timeout.Duration != DefaultSyncTimeout {
		t.Errorf("descriptor: %+v; want no interval and the default timeout", g)
	}

	for name, tc := range map[string]struct{ in, want string }{
		"both":          {"    interval: 1m\n    schedule: '@hourly'\n", "field source.git.schedule: set interval or schedule, not both"},
		"six fields":    {"    schedule: '0 */2 * * * *'\n", `field source.git.schedule: sync: schedule "0 */2 * * * *"`},
		"bad hour":      {"    schedule: '0 25 * * *'\n", "field source.git.schedule"},
		"short timeout": {"    timeout: 10ms\n", "field source.git.timeout: 10ms is shorter than 1s"},
		"webhook typo":  {"    webhook: {secret: x}\n", "field secret not found"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(base + tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestWebhookSecretFileIsResolved: a relative secretFile is relative to
// the config file, like every path in it.
func TestWebhookSecretFileIsResolved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.yaml")
	yaml := "source:\n  git:\n    url: https://git.example.com/r.git\n    verify: {insecureSkipVerify: true}\n    webhook: {secretFile: secrets/hook}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Source.Git.Webhook.SecretFile, filepath.Join(dir, "secrets/hook"); got != want {
		t.Errorf("secretFile = %s; want %s", got, want)
	}
}
