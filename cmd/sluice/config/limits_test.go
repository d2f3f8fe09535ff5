package config

import (
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/translate"
)

// TestLimits: limits are read from sluice.yaml, default to translate's
// and Envoy's, and a negative one is refused naming its field.
func TestLimits(t *testing.T) {
	base := "source: {dir: {paths: [a]}}\n"
	cfg, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	def := translate.Limits{}.WithDefaults()
	if cfg.Limits.Translate() != def || cfg.Limits.RegexProgramSize != 100 {
		t.Errorf("defaults: %+v", cfg.Limits)
	}
	cfg, err = Parse([]byte(base + "limits: {revisionBytes: 1048576, expandedBytes: 2097152, documents: 10, objects: 5, regexProgramSize: 400}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := translate.Limits{RevisionBytes: 1 << 20, ExpandedBytes: 2 << 20, Documents: 10, Objects: 5}
	if cfg.Limits.Translate() != want || cfg.Limits.RegexProgramSize != 400 {
		t.Errorf("limits: %+v", cfg.Limits)
	}
	for in, field := range map[string]string{
		"limits: {documents: -1}\n":        "limits.documents",
		"limits: {regexProgramSize: -5}\n": "limits.regexProgramSize",
		"limits: {bytes: 5}\n":             "field bytes not found",
	} {
		if _, err := Parse([]byte(base + in)); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v; want an error naming %s", strings.TrimSpace(in), err, field)
		}
	}
}
