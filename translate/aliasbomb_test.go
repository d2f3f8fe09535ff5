package translate

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestAliasBombRejected: a "billion laughs" document (aliases of aliases)
// is refused with a parse error naming the file, not expanded.
func TestAliasBombRejected(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n")
	b.WriteString("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := Translate(fstest.MapFS{"bomb.yaml": {Data: []byte(b.String())}}, Options{})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "bomb.yaml" || !strings.Contains(err.Error(), "alias") {
		t.Fatalf("err = %v; want a ParseError for bomb.yaml about aliasing", err)
	}
}
