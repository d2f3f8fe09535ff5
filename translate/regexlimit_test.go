package translate

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// TestRegexProgramSizeOption: the UUID route of the golden case
// regex-program-size is rejected at Envoy's default limit and accepted,
// with its regex in the route, once the limit is raised to its size (as
// with sluice bootstrap --regex-program-size and limits.regexProgramSize).
func TestRegexProgramSizeOption(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/regex-program-size.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"in.yaml": {Data: data}}
	uuidRejected := func(opts Options) bool {
		res, err := Translate(fsys, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Status {
			if s.Kind == "HTTPRoute" && s.Name == "uuid" {
				return s.Rejected()
			}
		}
		t.Fatal("no status for HTTPRoute uuid")
		return false
	}
	if !uuidRejected(Options{}) {
		t.Error("accepted at Envoy's default limit")
	}
	if uuidRejected(Options{RegexProgramSize: 309}) {
		t.Error("rejected with the limit raised to its size")
	}
	res, _ := Translate(fsys, Options{RegexProgramSize: 309})
	out, err := res.YAML()
	if err != nil || !strings.Contains(string(out), "[a-f0-9]{12}$") {
		t.Errorf("the raised limit does not put the regex in the routes (%v)", err)
	}
}
