package fields

import (
	"errors"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/translate/status"
)

func TestDurations(t *testing.T) {
	tests := map[string]struct {
		got  func() (time.Duration, error)
		want time.Duration
		msg  string
	}{
		"crd":              {func() (time.Duration, error) { return Duration("spec.a", "1m30s", 0) }, 90 * time.Second, ""},
		"crd any order":    {func() (time.Duration, error) { return Duration("spec.a", "1s1m", 0) }, 61 * time.Second, ""},
		"crd fraction":     {func() (time.Duration, error) { return Duration("spec.a", "1.5s", 0) }, 0, `field spec.a: "1.5s" is not a duration such as 1s, 500ms or 1m30s`},
		"crd zero":         {func() (time.Duration, error) { return Duration("spec.a", "0s", Positive) }, 0, "field spec.a: must be greater than 0"},
		"crd min":          {func() (time.Duration, error) { return Duration("spec.a", "500ms", time.Second) }, 0, "field spec.a: must be at least 1s"},
		"gateway":          {func() (time.Duration, error) { return GatewayDuration("spec.b", "1h500ms") }, time.Hour + 500*time.Millisecond, ""},
		"gateway order":    {func() (time.Duration, error) { return GatewayDuration("spec.b", "1s1m") }, 0, `field spec.b: "1s1m" is not a Gateway API duration (e.g. "10s", "1m30s", "500ms")`},
		"gateway repeated": {func() (time.Duration, error) { return GatewayDuration("spec.b", "1s1s") }, 0, `field spec.b: "1s1s" is not a Gateway API duration (e.g. "10s", "1m30s", "500ms")`},
		"gateway trailing": {func() (time.Duration, error) { return GatewayDuration("spec.b", "10sx") }, 0, `field spec.b: "10sx" is not a Gateway API duration (e.g. "10s", "1m30s", "500ms")`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := tc.got()
			if msg := errText(err); msg != tc.msg || d != tc.want {
				t.Errorf("got %v, %q; want %v, %q", d, msg, tc.want, tc.msg)
			}
		})
	}
}

func TestGatewayDurationForms(t *testing.T) {
	t.Parallel()
	good := map[string]time.Duration{
		"0s": 0, "10s": 10 * time.Second, "500ms": 500 * time.Millisecond, "1h": time.Hour,
		"1m30s": 90 * time.Second, "1h2m3s4ms": time.Hour + 2*time.Minute + 3*time.Second + 4*time.Millisecond,
		"99999ms": 99999 * time.Millisecond,
	}
	for in, want := range good {
		if got, err := GatewayDuration("spec.d", in); err != nil || got != want {
			t.Errorf("GatewayDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1", "1.5s", "-1s", "1d", "1us", "10s1m", "1s1s", "100000ms", " 1s", "1s ", "1h1m1s1ms1s"} {
		if got, err := GatewayDuration("spec.d", in); err == nil {
			t.Errorf("GatewayDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestNumbers(t *testing.T) {
	tests := map[string]struct {
		err error
		msg string
	}{
		"percent":       {Percent("spec.p", int64(100)), ""},
		"percent over":  {Percent("spec.p", int64(101)), "field spec.p: 101 is not a percentage (0-100)"},
		"percent float": {Percent("spec.p", float32(-0.5)), "field spec.p: -0.5 is not a percentage (0-100)"},
		"count":         {Count("spec.c", -1), "field spec.c: -1 is not between 0 and 4294967295"},
		"range":         {Range("spec.r", 600, 400, 599), "field spec.r: 600 is out of range 400-599"},
		"at least":      {AtLeast("spec.n", 0, 1), "field spec.n: 0 must be at least 1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if msg := errText(tc.err); msg != tc.msg {
				t.Errorf("got %q, want %q", msg, tc.msg)
			}
		})
	}
}

func TestList(t *testing.T) {
	var l List
	l.Add("spec.a", "is %s", "wrong")
	l.Check(nil)
	l.Check(&Error{Path: "spec.b", Reason: status.ReasonUnsupportedValue, Err: errors.New("is not supported")})
	if got, want := Message(l), "field spec.a: is wrong; field spec.b: is not supported"; got != want {
		t.Errorf("Message: %q, want %q", got, want)
	}
	if got := Reason(l); got != status.ReasonInvalid {
		t.Errorf("Reason: %q", got)
	}
	if got := Reason(l[1:]); got != status.ReasonUnsupportedValue {
		t.Errorf("Reason: %q", got)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
