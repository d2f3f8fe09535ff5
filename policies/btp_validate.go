package policies

import (
	"time"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// specValidator collects the problems of a BackendTrafficPolicy spec
// (route features, cluster features and health checks), each naming its
// field, and the sub-fields sluice ignores.
type specValidator struct {
	errs    fields.List
	ignored []string
	// maxRegex bounds the RE2 program size of regexes (fields.Regex).
	maxRegex int
}

func (v *specValidator) ignore(field string) {
	v.ignored = append(v.ignored, field)
}

func (v *specValidator) percent(field string, n int64) {
	v.errs.Check(fields.Percent(field, n))
}

// duration parses a Gateway API duration, or returns def when d is nil.
// Envoy wants it positive.
func (v *specValidator) duration(field string, d *gwapiv1.Duration, def time.Duration) ir.Duration {
	if d == nil {
		return ir.Duration(def)
	}
	return v.durationMin(field, *d, fields.Positive)
}

// durationMin parses a Gateway API duration of at least min.
func (v *specValidator) durationMin(field string, d gwapiv1.Duration, min time.Duration) ir.Duration {
	t, err := fields.Duration(field, string(d), min)
	v.errs.Check(err)
	return ir.Duration(t)
}

// optDuration parses an optional Gateway API duration of at least min:
// nil when unset or invalid.
func (v *specValidator) optDuration(field string, d *gwapiv1.Duration, min time.Duration) *ir.Duration {
	return optDuration(&v.errs, field, d, min)
}

// optDuration parses an optional Gateway API duration of at least min,
// adding its problem to errs: nil when unset or invalid.
func optDuration(errs *fields.List, field string, d *gwapiv1.Duration, min time.Duration) *ir.Duration {
	if d == nil {
		return nil
	}
	t, err := fields.Duration(field, string(*d), min)
	if err != nil {
		errs.Check(err)
		return nil
	}
	out := ir.Duration(t)
	return &out
}

// count checks a CRD count (0 to 2^32-1) and returns it, or def when n is
// nil.
func (v *specValidator) count(field string, n *int64, def uint32) uint32 {
	if n == nil {
		return def
	}
	if err := fields.Count(field, *n); err != nil {
		v.errs.Check(err)
		return def
	}
	return uint32(*n)
}
