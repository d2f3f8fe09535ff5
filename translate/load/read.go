package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluice-gitops/sluice/translate/flatyaml"
	"github.com/sluice-gitops/sluice/translate/status"
)

// maxFileSize bounds one input file; larger files are rejected.
const maxFileSize = 8 << 20

// ParseError is YAML that cannot be read. It rejects the whole revision.
type ParseError struct {
	status.Location
	Err error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s: %v", e.Location, e.Err) }
func (e *ParseError) Unwrap() error { return e.Err }

// document is one YAML document of a file. Reading a revision converts
// the documents of its files to JSON first and types them after
// (fileDocs.typeDocs); once typed, a document, and the object it holds,
// is immutable and may be shared through a Cache.
type document struct {
	Loc        status.Location
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// JSON is the document's content until it is typed.
	JSON []byte
	// index is the document's position in its file's YAML stream, empty
	// documents included, to find its node again (fileDocs.typeDocs).
	index int

	typed bool
	key   Key           // for supported kinds with a name
	obj   metav1.Object // nil when the object could not be typed
	notes []string      // warnings about the object
}

func (d *document) group() string {
	if i := strings.LastIndex(d.APIVersion, "/"); i >= 0 {
		return d.APIVersion[:i]
	}
	return ""
}

// inputFile reports whether a file name is read as configuration.
func inputFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// fileDocs is what reading one file gives; it is never changed after its
// documents are typed.
type fileDocs struct {
	docs     []*document
	warnings []string
	err      error

	// src is the YAML of the file as split (re-indented if it was),
	// until its documents are typed: typing errors name lines, which
	// only the YAML knows.
	src   []byte
	typed sync.Once

	// cost is what reading the file took from the revision's Limits;
	// partial, that reading stopped (or never started) because the
	// revision went over them: such a file is never cached.
	cost    cost
	partial bool
}

// typeDocs types the documents of f, once, however many reads sharing f
// through a Cache ask.
func (f *fileDocs) typeDocs(opts Options) {
	f.typed.Do(func() {
		var nodes []*yaml.Node // of f.src, parsed again on the first typing error
		nodeOf := func(d *document) *yaml.Node {
			if nodes == nil {
				nodes = documentNodes(f.src)
			}
			if d.index < len(nodes) {
				return nodes[d.index]
			}
			return nil
		}
		for _, d := range f.docs {
			typeDocument(d, nodeOf, opts)
		}
		f.src = nil
	})
}

// documentNodes returns the root node of every document of src, in
// order, empty ones included (nil for a document without content); it
// stops at the first error, as splitDocuments does.
func documentNodes(src []byte) []*yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	nodes := []*yaml.Node{}
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			return nodes
		}
		var root *yaml.Node
		if len(n.Content) > 0 {
			root = n.Content[0]
		}
		nodes = append(nodes, root)
	}
}

// Files are the input files of one revision, read and typed: what Read
// decodes, and what a Cache gives for Files.Decode or Revision.Patch.
type Files struct {
	keys   []fileKey // cache keys, zero without a Cache
	files  []*fileDocs
	limits Limits // with defaults
}

// Read walks fsys in lexical order, reads every input file (.yaml, .yml,
// .json, hidden ones left out) and puts the typed objects of its
// documents in Objects; the warnings name the objects left out and the
// files re-indented (flatyaml). YAML that cannot be read is returned as
// joined *ParseError values, in file order, and no Objects; so is a
// revision over opts.Limits (a *ParseError wrapping a *LimitError).
func Read(fsys fs.FS, opts Options) (*Objects, []string, error) {
	files, err := readFiles(fsys, nil, opts)
	if err != nil {
		return nil, nil, err
	}
	rev, err := files.Decode()
	if err != nil {
		return nil, nil, err
	}
	return rev.objects, rev.warnings, nil
}

// readFiles lists the input files of fsys in order and reads each, from
// cache when it holds it (cache may be nil), with its cache key, typing
// objects with opts. Files are read by parallel workers, so fsys must be
// safe for concurrent use (os.DirFS, fstest.MapFS and sync's FS are); the
// result is in file order whatever the scheduling. The error joins those
// of the files; it is given with the files read unless the files cannot
// be listed.
func readFiles(fsys fs.FS, cache *Cache, opts Options) (*Files, error) {
	names, err := inputFiles(fsys)
	if err != nil {
		return nil, err
	}
	m := newMeter(opts.Limits)
	read := make([]*fileDocs, len(names))
	keys := make([]fileKey, len(names))
	parallel(len(names), func(i int) { read[i], keys[i] = cache.file(fsys, names[i], m) })
	if m.stopped() {
		return nil, m.culprit(fsys, names, read)
	}
	// Documents are typed only once every file is converted to JSON:
	// converting leaves much garbage, and the collections it causes
	// then find few typed objects to mark (cached files are typed).
	parallel(len(read), func(i int) { read[i].typeDocs(opts) })
	cache.retain(keys)
	var errs []error
	for _, f := range read {
		if f.err != nil {
			errs = append(errs, f.err)
		}
	}
	return &Files{keys: keys, files: read, limits: m.lim}, errors.Join(errs...)
}

// inputFiles lists the input files of fsys in name order.
func inputFiles(fsys fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if inputFile(p) && !strings.HasPrefix(d.Name(), ".") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read files: %w", err)
	}
	if !sort.StringsAreSorted(files) { // WalkDir's order is nearly always this one
		sort.Strings(files)
	}
	return files, nil
}

// joinFiles lists the documents and warnings of files, in order.
func joinFiles(files []*fileDocs) ([]*document, []string) {
	n := 0
	for _, f := range files {
		n += len(f.docs)
	}
	docs := make([]*document, 0, n)
	var warnings []string
	for _, f := range files {
		docs = append(docs, f.docs...)
		warnings = append(warnings, f.warnings...)
	}
	return docs, warnings
}

// loadFile splits one file into documents, to be typed (typeDocs),
// taking what it costs from m.
func loadFile(name string, data []byte, err error, m *meter) *fileDocs {
	if err != nil {
		return &fileDocs{err: &ParseError{Location: status.Location{File: name}, Err: err}}
	}
	f := &fileDocs{cost: cost{bytes: int64(len(data))}}
	if !m.take(f.cost) {
		f.partial = true
		return f
	}
	splitFile(f, name, data, m, true)
	if !f.partial {
		f.src = data
	}
	return f
}

// splitFile re-indents data when it lost its indentation and splits it
// into documents (splitDocuments).
func splitFile(f *fileDocs, name string, data []byte, b budget, convert bool) {
	// Re-indenting keeps every line where it was, so lines in
	// messages still point into the file as written.
	if out, ok := flatyaml.ReindentAll(string(data), knownType); ok {
		data = []byte(out)
		f.warnings = append(f.warnings, fmt.Sprintf("%s: the YAML has no indentation (as when copied from a web page); it was re-indented from the schema of its kinds: check it with sluice translate", name))
	}
	f.docs, f.err = splitDocuments(f, name, data, b, convert)
}

func readFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	if info, err := f.Stat(); err == nil && info.Size() > 0 && info.Size() <= maxFileSize {
		b.Grow(int(info.Size()) + bytes.MinRead) // ReadFrom wants MinRead spare at EOF
	}
	if _, err := b.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return nil, err
	}
	data := b.Bytes()
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("file is larger than %d bytes", maxFileSize)
	}
	return data, nil
}

// jsonBuffers holds the buffers splitDocuments writes JSON into.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// budget is what splitDocuments takes the cost of each document from,
// before it converts it: a meter, or measureOnly.
type budget interface {
	take(c cost) bool
	// expandedLimit is where measuring a document may stop.
	expandedLimit() int64
}

// splitDocuments converts every document of one file to JSON; the YAML
// node trees are dropped. A document that is not an object with
// apiVersion and kind is a ParseError naming its line. Each document's
// size with its aliases expanded is measured, and added to f.cost,
// before it is converted: when b refuses it, f is left partial. Without
// convert, documents are measured only.
func splitDocuments(f *fileDocs, name string, data []byte, b budget, convert bool) ([]*document, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*document
	bufp := jsonBuffers.Get().(*[]byte) // JSON of one document at a time, copied out
	defer jsonBuffers.Put(bufp)
	buf := *bufp
	for index := 0; ; index++ {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, &ParseError{Location: status.Location{File: name, Line: yamlErrorLine(err)}, Err: cleanYAMLError(err)}
		}
		if len(n.Content) == 0 {
			continue
		}
		root := n.Content[0]
		loc := status.Location{File: name, Line: root.Line}
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // an empty document between two separators
		}
		c := cost{docs: 1, expanded: expandedSize(root, b.expandedLimit())}
		f.cost.add(c)
		if !b.take(c) {
			f.partial = true
			return docs, nil
		}
		if !convert {
			continue
		}
		if root.Kind != yaml.MappingNode {
			return docs, &ParseError{Location: loc, Err: errors.New("document is not a YAML mapping")}
		}
		raw, headJSON, err := documentJSON(root, buf)
		if err != nil {
			var ye *yamlError
			if errors.As(err, &ye) && ye.line > 0 {
				loc.Line = ye.line
			}
			return docs, &ParseError{Location: loc, Err: err}
		}
		buf = raw
		*bufp = buf
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(headJSON, &head); err != nil {
			return docs, &ParseError{Location: loc, Err: fmt.Errorf("apiVersion, kind or metadata: %w", err)}
		}
		switch {
		case head.APIVersion == "":
			return docs, &ParseError{Location: loc, Err: errors.New("field apiVersion is missing")}
		case head.Kind == "":
			return docs, &ParseError{Location: loc, Err: errors.New("field kind is missing")}
		}
		docs = append(docs, &document{
			Loc: loc, APIVersion: shared(head.APIVersion), Kind: shared(head.Kind),
			Namespace: shared(head.Metadata.Namespace), Name: head.Metadata.Name,
			JSON: bytes.Clone(raw), index: index,
		})
	}
}

// sharedNames are the apiVersions, kinds and namespace that most objects
// repeat. Documents and their typed objects point to these strings rather
// than to copies of their own: a large revision then keeps fewer small
// objects alive for the garbage collector to mark while it is read.
var sharedNames = func() map[string]string {
	m := map[string]string{"v1": "v1", "default": "default"}
	for gk := range knownTypes {
		group, kind, _ := strings.Cut(gk, "/")
		m[kind] = kind
		for _, v := range []string{"v1", "v1beta1", "v1alpha1", "v1alpha2"} {
			if group != "" {
				m[group+"/"+v] = group + "/" + v
			}
		}
	}
	return m
}()

// shared returns the sharedNames copy of s, or s.
func shared(s string) string {
	if c, ok := sharedNames[s]; ok {
		return c
	}
	return s
}
