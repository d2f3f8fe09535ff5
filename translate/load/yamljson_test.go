package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// oldJSON is the conversion documentJSON replaces: yaml.v3 into any, then
// encoding/json.
func oldJSON(root *yaml.Node) ([]byte, error) {
	var v any
	if err := root.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// sameJSON checks that documentJSON agrees with oldJSON on every mapping
// document of src: the same value, or both an error.
func sameJSON(t *testing.T, src []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return
		}
		if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
			continue
		}
		want, werr := oldJSON(n.Content[0])
		got, _, gerr := documentJSON(n.Content[0], nil)
		if (werr != nil) != (gerr != nil) {
			// yaml.v3 gives non-string keys map[any]any, which
			// encoding/json refuses; so does documentJSON. Otherwise
			// both must fail or neither.
			t.Fatalf("errors differ: yaml.v3+json %v, documentJSON %v\n%s", werr, gerr, src)
		}
		if werr != nil {
			continue
		}
		var a, b any
		if err := json.Unmarshal(want, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatalf("documentJSON wrote invalid JSON %q: %v", got, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("documentJSON\n%s\nwant\n%s\nfor\n%s", got, want, src)
		}
	}
}

func TestDocumentJSON(t *testing.T) {
	t.Parallel()
	cases := []string{
		"a: 1\nb: -7\nc: 0x1F\nd: 1_000\ne: 0o17\nf: 017\ng: 9223372036854775807\nh: 18446744073709551615\ni: -0\n",
		"a: 1.5\nb: .inf\nc: -.Inf\nd: 1e3\ne: .nan\n",
		"a: true\nb: True\nc: FALSE\nd: yes\ne: on\nf: ~\ng: null\nh:\ni: Null\n",
		"a: '1'\nb: \"true\"\nc: !!str 42\nd: !!int \"42\"\ne: !!float 1\nf: !custom x\ng: !!binary aGVsbG8=\n",
		"a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\n",
		"a: \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600 \\x01 \\u2028\"\nb: |\n  line1\n  line2\nc: >\n  folded\n  text\n",
		"base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\nm:\n  <<: *b\n  x: 9\nn:\n  <<: [*o, *b]\np:\n  <<: {q: 1}\n",
		"deep: &d {<<: {a: 1}, b: 2}\nuse: {<<: *d, c: 3}\n",
		"x: 1\nm: {<<: {x: 2, m: 3}}\nn: [{y: 1, o: {<<: {y: 2}}}]\n",
		"s: &s [1, 2]\nt: *s\nk: &k key\n*k : v\n",
		"a: 1\na: 2\n",
		"m: {<<: 1}\n",
		"m: {<<: [1]}\n",
		"1: one\n",
		"? [a]\n: v\n",
		"null: x\n",
		"'<<': literal\n",
		"empty: {}\nlist: []\nnested: [[], {}, [{a: [1]}]]\n",
	}
	for _, c := range cases {
		sameJSON(t, []byte(c))
	}
}

// TestDocumentJSONAliasBomb: aliases of aliases are refused, naming the
// line of the alias, not expanded.
func TestDocumentJSONAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		b.WriteString(strings.TrimSuffix(strings.Repeat("*a"+string(rune('0'+i-1))+",", 9), ","))
		b.WriteString("]\n")
	}
	var n yaml.Node
	if err := yaml.NewDecoder(strings.NewReader(b.String())).Decode(&n); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	_, _, err := documentJSON(n.Content[0], nil)
	var ye *yamlError
	if !errors.As(err, &ye) || !strings.Contains(err.Error(), "excessive aliasing") || ye.line < 1 {
		t.Fatalf("err = %v; want excessive aliasing at a line", err)
	}
}

// FuzzDocumentJSON: documentJSON agrees with yaml.v3 and encoding/json.
func FuzzDocumentJSON(f *testing.F) {
	f.Add([]byte("a: 1\nb: [x, {c: ~}]\n"))
	f.Add([]byte("base: &b {x: 1}\nm: {<<: *b, y: 0x10}\n"))
	f.Add([]byte("s: !!binary aGk=\nt: 2001-12-14\nu: .inf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		sameJSON(t, data)
	})
}
