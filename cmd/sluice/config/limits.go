package config

import (
	"fmt"

	"github.com/sluice-gitops/sluice/translate"
	"github.com/sluice-gitops/sluice/translate/fields"
)

// Limits bound what one revision may cost sluice (limits in sluice.yaml):
// a revision over one of them is rejected, naming the file and the limit,
// and the last good one keeps serving. Zero fields take the defaults of
// translate (translate/load's Default values). RegexProgramSize is the
// largest RE2 program size of a regex that sluice sends to Envoy: Envoy's
// runtime re2.max_program_size.error_level (100 by default); raise both
// together, the Envoy side with sluice bootstrap --regex-program-size.
type Limits struct {
	RevisionBytes    int64 `json:"revisionBytes" yaml:"revisionBytes"`
	ExpandedBytes    int64 `json:"expandedBytes" yaml:"expandedBytes"`
	Documents        int64 `json:"documents" yaml:"documents"`
	Objects          int64 `json:"objects" yaml:"objects"`
	RegexProgramSize int   `json:"regexProgramSize" yaml:"regexProgramSize"`
}

// defaults sets the zero fields (negative ones are left for validate).
func (l *Limits) defaults() {
	def := translate.Limits{}.WithDefaults()
	for _, f := range []struct{ v, d *int64 }{
		{&l.RevisionBytes, &def.RevisionBytes}, {&l.ExpandedBytes, &def.ExpandedBytes},
		{&l.Documents, &def.Documents}, {&l.Objects, &def.Objects},
	} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	if l.RegexProgramSize == 0 {
		l.RegexProgramSize = fields.DefaultRegexProgramSize
	}
}

func (l Limits) validate() []error {
	var errs []error
	for _, f := range []struct {
		key string
		v   int64
	}{
		{"revisionBytes", l.RevisionBytes}, {"expandedBytes", l.ExpandedBytes},
		{"documents", l.Documents}, {"objects", l.Objects}, {"regexProgramSize", int64(l.RegexProgramSize)},
	} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("field limits.%s: %d is negative", f.key, f.v))
		}
	}
	return errs
}

// Translate returns the limits of reading a revision, for translate.Options.
func (l Limits) Translate() translate.Limits {
	return translate.Limits{RevisionBytes: l.RevisionBytes, ExpandedBytes: l.ExpandedBytes, Documents: l.Documents, Objects: l.Objects}
}
