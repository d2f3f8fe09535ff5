package translate

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// aliasBomb is one ConfigMap whose data holds an anchored string of size
// bytes referenced refs times: small on disk, refs*size once expanded.
func aliasBomb(size, refs int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a: &big \"")
	b.WriteString(strings.Repeat("x", size))
	b.WriteString("\"\n  list: [")
	for i := range refs {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("*big")
	}
	b.WriteString("]\n")
	return []byte(b.String())
}

// sameFiles is n files holding data, sharing its bytes.
func sameFiles(n int, data []byte) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := range n {
		fsys[fmt.Sprintf("copies/f%03d.yaml", i)] = &fstest.MapFile{Data: data}
	}
	return fsys
}

// limitErr returns the file and the LimitError of a revision rejected
// for its limits, failing the test otherwise.
func limitErr(t *testing.T, err error) (string, *LimitError) {
	t.Helper()
	var pe *ParseError
	var le *LimitError
	if !errors.As(err, &pe) || !errors.As(err, &le) {
		t.Fatalf("err = %v; want a ParseError wrapping a LimitError", err)
	}
	if !strings.Contains(err.Error(), pe.File) || !strings.Contains(err.Error(), le.Key) {
		t.Fatalf("message %q names neither the file nor the limit", err)
	}
	return pe.File, le
}

// TestLimitsRejectHostileRevisions: each hostile revision is rejected
// naming its file and the limit it went over, with or without a Cache,
// and always naming the same file whatever the scheduling of the readers.
func TestLimitsRejectHostileRevisions(t *testing.T) {
	t.Parallel()
	small := Limits{RevisionBytes: 1 << 20, ExpandedBytes: 2 << 20, Documents: 50, Objects: 20}
	docs := strings.Repeat("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", 51)
	var objects strings.Builder
	for i := range 21 {
		fmt.Fprintf(&objects, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", i)
	}
	cases := map[string]struct {
		fsys     fstest.MapFS
		file     string
		key      string
		inMemory int // at most this many bytes may have been read
	}{
		"an anchored string behind many aliases": {
			fsys: fstest.MapFS{"a.yaml": {Data: []byte(okConfigMap)}, "bomb.yaml": {Data: aliasBomb(64<<10, 900)}},
			file: "bomb.yaml", key: "limits.expandedBytes",
		},
		"a billion laughs under the alias ratio": {
			fsys: fstest.MapFS{"laughs.yaml": {Data: aliasBomb(1<<10, 4000)}},
			file: "laughs.yaml", key: "limits.expandedBytes",
		},
		"many files of the same content": {
			fsys: sameFiles(100, append([]byte(okConfigMap+"\n# "), strings.Repeat("x", 100<<10)...)),
			file: "copies/f010.yaml", key: "limits.revisionBytes",
		},
		"too many documents": {
			fsys: fstest.MapFS{"docs.yaml": {Data: []byte(docs)}}, file: "docs.yaml", key: "limits.documents",
		},
		"too many objects": {
			fsys: fstest.MapFS{"objects.yaml": {Data: []byte(objects.String())}}, file: "objects.yaml", key: "limits.objects",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, opts := range []Options{{Limits: small}, {Limits: small, Cache: NewCache()}} {
				for range 3 {
					_, err := Translate(tc.fsys, opts)
					file, le := limitErr(t, err)
					if file != tc.file || le.Key != tc.key {
						t.Fatalf("rejected at %s for %s; want %s for %s (%v)", file, le.Key, tc.file, tc.key, err)
					}
				}
			}
		})
	}
}

// okConfigMap is a small valid object.
const okConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata: {a: b}\n"

// TestLimitsAllowWithin: the same shapes within the limits translate, and
// a Cache that saw a revision over its limits reads the next one whole.
func TestLimitsAllowWithin(t *testing.T) {
	t.Parallel()
	lim := Limits{RevisionBytes: 1 << 20, ExpandedBytes: 2 << 20}
	cache := NewCache()
	over := sameFiles(20, append([]byte(okConfigMap+"\n# "), strings.Repeat("x", 100<<10)...))
	if _, err := Translate(over, Options{Limits: lim, Cache: cache}); err == nil {
		t.Fatal("20 files of 100 KiB are within 1 MiB")
	}
	for name, fsys := range map[string]fstest.MapFS{
		"aliases":  {"bomb.yaml": {Data: aliasBomb(1<<10, 900)}},
		"copies":   sameFiles(5, append([]byte(okConfigMap+"\n# "), strings.Repeat("x", 100<<10)...)),
		"defaults": {"bomb.yaml": {Data: aliasBomb(8<<10, 900)}}, // 7 MB: over lim, within the defaults
	} {
		opts := Options{Limits: lim, Cache: cache}
		if name == "defaults" {
			opts.Limits = Limits{}
		}
		if _, err := Translate(fsys, opts); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkHostileCommits reports the peak heap of translating each
// hostile commit of issue 12 under the default limits: a 7 MiB string
// behind 900 aliases, a 256 KiB one behind 900, and 100 files of the
// same 7 MiB. Each must be rejected costing a small multiple of the
// limits (64 MiB read, 128 MiB expanded), not the GBs it expands to.
func BenchmarkHostileCommits(b *testing.B) {
	big := append([]byte(okConfigMap+"\n# "), strings.Repeat("x", 7<<20-100)...)
	for _, bc := range []struct {
		name string
		fsys fstest.MapFS
	}{
		{"7MiBx900aliases", fstest.MapFS{"bomb.yaml": {Data: aliasBomb(7<<20-10<<10, 900)}}},
		{"256KiBx900aliases", fstest.MapFS{"bomb.yaml": {Data: aliasBomb(256<<10, 900)}}},
		{"100filesx7MiB", sameFiles(100, big)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := startPeakHeap()
			for b.Loop() {
				if _, err := Translate(bc.fsys, Options{}); !errors.As(err, new(*LimitError)) {
					b.Fatalf("not rejected for its limits: %v", err)
				}
			}
			p.report(b)
		})
	}
}
