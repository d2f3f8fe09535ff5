package logtext

import (
	"strings"
	"testing"
)

func TestTruncate(t *testing.T) {
	for name, tc := range map[string]struct {
		in   string
		n    int
		want string
	}{
		"short":         {"route rejected", 100, "route rejected"},
		"control chars": {"a\nb\rc\x1b[31m", 100, "a b c [31m"},
		"cut":           {strings.Repeat("x", 20), 8, "xxxxxxxx…(12 bytes more)"},
		"rune boundary": {"ééé", 3, "é…(4 bytes more)"},
	} {
		if got := Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("%s: Truncate(%q, %d) = %q, want %q", name, tc.in, tc.n, got, tc.want)
		}
	}
}
