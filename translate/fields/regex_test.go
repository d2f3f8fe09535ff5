package fields

import (
	"strings"
	"testing"
)

// TestRegexProgramSize: the estimate gives RE2's program sizes published
// with Envoy's and Contour's issues about re2.max_program_size (Envoy
// PR 9171, Contour issue 2043, Kuma PR 2139), and those of RE2's own
// compile tests (flattened, + 3 for the fail instruction and the
// unanchored prefix).
func TestRegexProgramSize(t *testing.T) {
	t.Parallel()
	for re, want := range map[string]int{
		`/asdf/.*`:                  24,
		`.*Chrome.*`:                38,
		`.*foo.*`:                   35,
		`x-envoy-(a|b|c)`:           15,
		`x-envoy-(a|b|c)-[grep]{3}`: 28,
		`a.*b.*c.*d.*e.*f.*g.*`:     109,
		`/static/[a-zA-Z0-9._-]{0,200}/[a-zA-Z0-9._-]{0,200}`: 2013,
		`a`:    5,
		`ab`:   6,
		`a|c`:  6,
		`a+`:   6,
		`a{4}`: 8,
		`(a)`:  7,
		``:     4,
	} {
		if got, err := RegexProgramSize(re); err != nil || got != want {
			t.Errorf("RegexProgramSize(%q) = %d, %v; want %d", re, got, err, want)
		}
	}
	// Contour measured 43 with the RE2 of 2019; the estimate is within
	// a tenth of it.
	if got, _ := RegexProgramSize(`foo.*[abcd]+ooo.*`); got < 39 || got > 47 {
		t.Errorf("RegexProgramSize(foo.*[abcd]+ooo.*) = %d; want about 43", got)
	}
}

// TestRegexLimit: Envoy's default limit refuses the example,
// naming the size and the limit; a raised limit takes it.
func TestRegexLimit(t *testing.T) {
	t.Parallel()
	re := `^/api/[a-z0-9-]{1,63}/[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{12}$`
	size, err := RegexProgramSize(re)
	if err != nil || size <= DefaultRegexProgramSize {
		t.Fatalf("size %d, %v: want over %d", size, err, DefaultRegexProgramSize)
	}
	err = Regex(re, 0)
	if err == nil || !strings.Contains(err.Error(), "program size of") || !strings.Contains(err.Error(), "limit of 100") {
		t.Fatalf("Regex(%q, 0) = %v", re, err)
	}
	if err := Regex(re, size); err != nil {
		t.Errorf("with the limit at its size: %v", err)
	}
	if err := Regex(`^/api/v1/.*$`, 0); err != nil {
		t.Errorf("a small regex: %v", err)
	}
	if err := Regex(`(`, 0); err == nil || !strings.Contains(err.Error(), "not a valid RE2") {
		t.Errorf("an invalid regex: %v", err)
	}
}
