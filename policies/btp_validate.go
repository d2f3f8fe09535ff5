package policies

import (
	"fmt"
	"math"
	"regexp"
	"time"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// specValidator collects the problems of a BackendTrafficPolicy spec, each
// naming its field, and the sub-fields sluice ignores.
type specValidator struct {
	errs, ignored []string
}

func (v *specValidator) bad(format string, args ...any) {
	v.errs = append(v.errs, "field "+fmt.Sprintf(format, args...))
}

func (v *specValidator) ignore(field string) {
	v.ignored = append(v.ignored, field)
}

func (v *specValidator) percent(field string, n int64) {
	if n < 0 || n > 100 {
		v.bad("%s: %d is not a percentage (0-100)", field, n)
	}
}

// gwDuration is Gateway API's Duration format (GEP-2257).
var gwDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)

// duration parses a Gateway API duration, or returns def when d is nil.
// Envoy wants it positive.
func (v *specValidator) duration(field string, d *gwapiv1.Duration, def time.Duration) ir.Duration {
	if d == nil {
		return ir.Duration(def)
	}
	return v.durationMin(field, *d, time.Nanosecond)
}

// durationMin parses a Gateway API duration of at least min.
func (v *specValidator) durationMin(field string, d gwapiv1.Duration, min time.Duration) ir.Duration {
	s := string(d)
	t, err := time.ParseDuration(s)
	switch {
	case !gwDuration.MatchString(s) || err != nil:
		v.bad("%s: %q is not a duration such as 1s, 500ms or 1m30s", field, s)
	case t < min && min == time.Nanosecond:
		v.bad("%s: must be greater than 0", field)
	case t < min:
		v.bad("%s: must be at least %s", field, min)
	}
	return ir.Duration(t)
}

// optDuration is durationMin for an optional field: nil when unset.
func (v *specValidator) optDuration(field string, d *gwapiv1.Duration, min time.Duration) *ir.Duration {
	if d == nil {
		return nil
	}
	t := v.durationMin(field, *d, min)
	return &t
}

// count checks a CRD count (0 to 2^32-1) and returns it, or def when n is
// nil.
func (v *specValidator) count(field string, n *int64, def uint32) uint32 {
	if n == nil {
		return def
	}
	if *n < 0 || *n > math.MaxUint32 {
		v.bad("%s: %d is not between 0 and %d", field, *n, uint32(math.MaxUint32))
		return def
	}
	return uint32(*n)
}
