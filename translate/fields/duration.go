package fields

import (
	"regexp"
	"strconv"
	"time"
)

// Two Gateway API Duration (GEP-2257) checks, as sluice has always
// applied them: GatewayDuration, the strict form of the spec, for
// Gateway API kinds; Duration, the CRD pattern of Envoy Gateway's kinds
// read by Go's time.ParseDuration, for policies. The CRD pattern lets
// units repeat and come in any order ("1s1m" is 61s).

// Positive is the least duration Duration accepts for a field that must
// be greater than 0.
const Positive = time.Nanosecond

// crdDuration is the CRD pattern of a Gateway API Duration.
var crdDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)

// Duration parses s, the value of the field at path, as a duration of
// the CRD pattern of at least min (Positive: greater than 0).
func Duration(path, s string, min time.Duration) (time.Duration, error) {
	t, err := time.ParseDuration(s)
	switch {
	case !crdDuration.MatchString(s) || err != nil:
		return 0, Invalid(path, "%q is not a duration such as 1s, 500ms or 1m30s", s)
	case t < min && min == Positive:
		return 0, Invalid(path, "must be greater than 0")
	case t < min:
		return 0, Invalid(path, "must be at least %s", min)
	}
	return t, nil
}

// durationPart is one number and unit of a Gateway API Duration.
var durationPart = regexp.MustCompile(`([0-9]{1,5})(h|ms|m|s)`)

// durationUnits gives each unit its length and rank: units appear at most
// once each, largest first.
var durationUnits = map[string]struct {
	d    time.Duration
	rank int
}{"h": {time.Hour, 0}, "m": {time.Minute, 1}, "s": {time.Second, 2}, "ms": {time.Millisecond, 3}}

// GatewayDuration parses s, the value of the field at path, as a Gateway
// API Duration: one to four number-unit pairs of h, m, s, ms in that
// order, each number of at most five digits, e.g. "1h", "10s", "1m30s",
// "500ms", "0s". Go's extras (fractions, "us", signs) are not part of
// the format.
func GatewayDuration(path, s string) (time.Duration, error) {
	t, ok := gatewayDuration(s)
	if !ok {
		return 0, Invalid(path, "%q is not a Gateway API duration (e.g. \"10s\", \"1m30s\", \"500ms\")", s)
	}
	return t, nil
}

// MustGatewayDuration parses a Gateway API Duration that GatewayDuration
// accepted; it returns 0 for one it did not.
func MustGatewayDuration(s string) time.Duration {
	t, _ := gatewayDuration(s)
	return t
}

func gatewayDuration(s string) (time.Duration, bool) {
	parts := durationPart.FindAllStringSubmatchIndex(s, -1)
	if len(parts) == 0 || len(parts) > 4 {
		return 0, false
	}
	var total time.Duration
	pos, rank := 0, -1
	for _, p := range parts {
		if p[0] != pos {
			return 0, false
		}
		n, _ := strconv.Atoi(s[p[2]:p[3]])
		u := durationUnits[s[p[4]:p[5]]]
		if u.rank <= rank {
			return 0, false
		}
		rank, pos = u.rank, p[1]
		total += time.Duration(n) * u.d
	}
	return total, pos == len(s)
}
