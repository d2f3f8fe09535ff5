package config

import (
	"strings"
	"testing"
)

func TestRollbackAndHistory(t *testing.T) {
	const src = "source: {git: {url: https://git.example.com/r.git, verify: {insecureSkipVerify: true}}}\n"
	cfg, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rollback.OnNack || cfg.History.Keep != DefaultHistoryKeep {
		t.Errorf("defaults: rollback %+v history %+v, want onNack off and keep %d", cfg.Rollback, cfg.History, DefaultHistoryKeep)
	}
	cfg, err = Parse([]byte(src + "rollback: {onNack: true}\nhistory: {keep: 50}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Rollback.OnNack || cfg.History.Keep != 50 {
		t.Errorf("rollback %+v history %+v", cfg.Rollback, cfg.History)
	}
	if _, err := Parse([]byte(src + "history: {keep: -1}\n")); err == nil || !strings.Contains(err.Error(), "history.keep") {
		t.Errorf("negative keep: %v", err)
	}
}
