package load

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// parseErrors flattens the joined errors of readDocuments into its
// *ParseError values.
func parseErrors(t *testing.T, err error) []*ParseError {
	t.Helper()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	var out []*ParseError
	for _, e := range errs {
		var pe *ParseError
		if !errors.As(e, &pe) {
			t.Fatalf("error %v (%T) is not a *ParseError", e, e)
		}
		out = append(out, pe)
	}
	return out
}

func TestReadDocumentsParseErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		src  string
		line int
		msg  string
	}{
		"bad indentation": {
			src:  "apiVersion: v1\nkind: Gateway\nmetadata:\n  name: a\n   namespace: b\n",
			line: 5, msg: "mapping values are not allowed",
		},
		"dedented key": {
			src:  "apiVersion: v1\nkind: Gateway\nmetadata:\n  name: a\n labels: b\n",
			line: 5, msg: "did not find expected key",
		},
		"tab": {
			src:  "apiVersion: v1\nkind: Gateway\nmetadata:\n\tname: a\n",
			line: 4, msg: "cannot start any token",
		},
		"unclosed quote": {
			src:  "apiVersion: v1\nkind: Gateway\nmetadata:\n  name: \"abc\n  namespace: x\n",
			line: 4, msg: "unexpected end of stream",
		},
		"unclosed flow sequence": {
			src:  "apiVersion: v1\nkind: Gateway\nspec:\n  hostnames: [a, b\nmetadata: {name: a}\n",
			line: 4, msg: "did not find expected ',' or ']'", // the line of the open "["
		},
		"list document": {
			src:  "apiVersion: v1\nkind: Gateway\nmetadata: {name: a}\n---\n- a\n- b\n",
			line: 5, msg: "document is not a YAML mapping",
		},
		"scalar document": {
			src:  "---\njust text\n",
			line: 2, msg: "document is not a YAML mapping",
		},
		"missing kind": {
			src:  "# comment\n\napiVersion: v1\nmetadata: {name: a}\n",
			line: 3, msg: "field kind is missing",
		},
		"missing apiVersion": {
			src:  "apiVersion: v1\nkind: Gateway\nmetadata: {name: a}\n---\nkind: Gateway\nmetadata: {name: b}\n",
			line: 5, msg: "field apiVersion is missing",
		},
		"apiVersion not a string": {
			src:  "apiVersion: [v1]\nkind: Gateway\n",
			line: 1, msg: "apiVersion, kind or metadata",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{
				"a/ok.yaml":  {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")},
				"b/bad.yaml": {Data: []byte(tc.src)},
			}
			_, _, err := readDocuments(fsys, Options{})
			pes := parseErrors(t, err)
			if len(pes) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(pes), err)
			}
			pe := pes[0]
			if pe.File != "b/bad.yaml" || pe.Line != tc.line {
				t.Errorf("location %s, want b/bad.yaml:%d", pe.Location, tc.line)
			}
			if !strings.Contains(pe.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", pe.Error(), tc.msg)
			}
			if want := "b/bad.yaml:"; !strings.HasPrefix(pe.Error(), want) {
				t.Errorf("error %q does not start with %q", pe.Error(), want)
			}
			if strings.Contains(pe.Error(), "yaml: line") {
				t.Errorf("error %q repeats the line", pe.Error())
			}
		})
	}
}

// TestReadDocumentsJoinsErrors checks that every broken file is reported,
// in file order, and that the documents of good files are still returned.
func TestReadDocumentsJoinsErrors(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"1-tab.yaml":      {Data: []byte("apiVersion: v1\nkind: X\nmetadata:\n\tname: a\n")},
		"2-good.yaml":     {Data: []byte("apiVersion: v1\nkind: X\nmetadata: {name: good}\n")},
		"3-list.yml":      {Data: []byte("- a\n")},
		"4-nokind.json":   {Data: []byte("{\"apiVersion\": \"v1\"}\n")},
		"README.md":       {Data: []byte("- not: [yaml\n")},
		".hidden/x.yaml":  {Data: []byte("- ignored\n")},
		"sub/.skip.yaml":  {Data: []byte("- ignored\n")},
		"sub/5-good.yaml": {Data: []byte("apiVersion: v1\nkind: X\nmetadata: {name: good2}\n")},
	}
	docs, _, err := readDocuments(fsys, Options{})
	pes := parseErrors(t, err)
	var got []string
	for _, pe := range pes {
		got = append(got, pe.Location.String())
	}
	want := []string{"1-tab.yaml:4", "3-list.yml:1", "4-nokind.json:1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("errors at %v, want %v; all: %v", got, want, err)
	}
	if len(docs) != 2 || docs[0].Name != "good" || docs[1].Name != "good2" {
		t.Errorf("got %d documents, want good and good2", len(docs))
	}
	// Read rejects the revision with the same errors.
	if objects, _, rerr := Read(fsys, Options{}); objects != nil || rerr == nil || rerr.Error() != err.Error() {
		t.Errorf("Read error %v, want %v", rerr, err)
	}
}

// TestDecodeErrorLinesAfterEmptyDocuments checks the lines of typing
// errors in documents that follow empty ones: documents are typed after
// their file is read, from its YAML parsed again.
func TestDecodeErrorLinesAfterEmptyDocuments(t *testing.T) {
	t.Parallel()
	src := `---
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: a}
spec:
  bogus: 1
---
# empty

---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: b
spec:
  endpoints:
    - ip: {address: 10.0.0.1, port: x}
`
	docs, _, err := readDocuments(fstest.MapFS{"b.yaml": {Data: []byte(src)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, warnings, _ := decode(docs, Limits{}.WithDefaults())
	want := []string{
		`b.yaml:7: Backend default/a: unknown field "bogus"`,
		"b.yaml:18: Backend default/b: field spec.endpoints.ip.port: cannot use string as int32; ignored",
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings\n%s\nwant\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}

// readDocuments is Read's documents, before decoding: those that could be
// read are returned with the error.
func readDocuments(fsys fs.FS, opts Options) ([]*document, []string, error) {
	files, err := readFiles(fsys, nil, opts)
	if files == nil {
		return nil, nil, err
	}
	docs, warnings := joinFiles(files.files)
	return docs, warnings, err
}
