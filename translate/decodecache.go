package translate

import (
	"io/fs"
	"slices"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Decoding a revision again when few files changed: a Cache keeps what
// decode gave for the last revision it translated (its Resources, with
// their locations and index, and the warnings), and when the files that
// changed, were added or were removed hold only HTTPRoutes and Backends
// that decode accepts as they are (typed, without notes, and no other
// document of the revision with the same kind, namespace and name), it
// patches the Resources in place instead of building them again: the
// objects of the old files leave their sorted lists, the locations and
// the index, and those of the new files enter them. Whatever else
// changed (another kind, a warning, a duplicate, many files) decodes the
// revision as without a Cache.
//
// The kept Resources are changed in place, so one translation at a time
// owns them: a translation takes them from the Cache and gives them back
// when it is done; one that runs meanwhile decodes on its own.

// decodeState is what decode gave for one revision.
type decodeState struct {
	keys     []fileKey // the revision's files, in order
	files    []*fileDocs
	res      *Resources
	warnings []string // of reading and decoding
	// multi holds the keys of supported documents that decode did not
	// simply accept: the object could not be typed, or another document
	// has the same key.
	multi map[objKey]bool
}

// translate is Translate with c.
func (c *Cache) translate(fsys fs.FS, opts Options) (*Result, error) {
	keys, files, err := readFiles(fsys, c)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	st := c.decoded
	c.decoded = nil
	c.mu.Unlock()
	if st == nil || !st.patch(keys, files) {
		st = decodeFiles(keys, files)
	}
	out, err := TranslateResources(st.res, slices.Clip(st.warnings), opts)
	c.mu.Lock()
	c.decoded = st
	c.mu.Unlock()
	return out, err
}

// decodeFiles decodes the documents of files.
func decodeFiles(keys []fileKey, files []*fileDocs) *decodeState {
	docs, notes := joinFiles(files)
	res, warnings := decode(docs)
	st := &decodeState{keys: keys, files: files, res: res, warnings: append(notes, warnings...), multi: map[objKey]bool{}}
	for _, d := range docs {
		if d.key == (objKey{}) {
			continue // not a supported kind with a name
		}
		if d.obj == nil || res.where[d.key] != d.Loc {
			st.multi[d.key] = true
		}
	}
	return st
}

// patchable reports whether every document of f is an HTTPRoute or a
// Backend that decode accepts without a word, f read without warnings.
func patchable(f *fileDocs) bool {
	if f.err != nil || len(f.warnings) > 0 {
		return false
	}
	for _, d := range f.docs {
		if !d.typed || d.obj == nil || len(d.notes) > 0 || !patchKind(d) {
			return false
		}
	}
	return true
}

func patchKind(d *document) bool {
	switch d.Kind {
	case "HTTPRoute":
		return d.group() == groupGateway
	case "Backend":
		return d.group() == groupEG
	}
	return false
}

// maxPatchedFiles bounds the files a patch changes: each costs a move of
// the lists it changes.
const maxPatchedFiles = 64

// patch makes st that of the revision of keys and files, and reports
// whether it could; when it could not, st is unchanged.
func (st *decodeState) patch(keys []fileKey, files []*fileDocs) bool {
	var gone, come []*document
	changed := 0
	for i, j := 0, 0; i < len(st.keys) || j < len(keys); {
		var old, cur *fileDocs
		switch {
		case j < len(keys) && keys[j] == (fileKey{}):
			return false // not cached
		case j == len(keys) || i < len(st.keys) && st.keys[i].name < keys[j].name:
			old = st.files[i] // removed
			i++
		case i == len(st.keys) || keys[j].name < st.keys[i].name:
			cur = files[j] // added
			j++
		default:
			// The same content read twice (two translations at once)
			// gives other objects: only the same read is unchanged.
			if st.files[i] != files[j] {
				old, cur = st.files[i], files[j]
			}
			i++
			j++
		}
		if old == nil && cur == nil {
			continue
		}
		if changed++; changed > maxPatchedFiles ||
			old != nil && !patchable(old) || cur != nil && !patchable(cur) {
			return false
		}
		if old != nil {
			gone = append(gone, old.docs...)
		}
		if cur != nil {
			come = append(come, cur.docs...)
		}
	}
	r := st.res
	freed := make(map[objKey]bool, len(gone))
	for _, d := range gone {
		if r.where[d.key] != d.Loc || st.multi[d.key] {
			return false
		}
		freed[d.key] = true
	}
	taken := make(map[objKey]bool, len(come))
	for _, d := range come {
		if _, in := r.where[d.key]; in && !freed[d.key] || st.multi[d.key] || taken[d.key] {
			return false
		}
		taken[d.key] = true
	}
	for _, d := range gone {
		delete(r.where, d.key)
		r.HTTPRoutes, r.Backends = patchList(r.HTTPRoutes, d.obj, false), patchList(r.Backends, d.obj, false)
		if r.index != nil && d.Kind == "Backend" {
			delete(r.index.backends, d.Namespace+"/"+d.Name)
		}
	}
	for _, d := range come {
		r.where[d.key] = d.Loc
		r.HTTPRoutes, r.Backends = patchList(r.HTTPRoutes, d.obj, true), patchList(r.Backends, d.obj, true)
		if r.index != nil && d.Kind == "Backend" {
			r.index.backends[d.Namespace+"/"+d.Name] = d.obj.(*egv1a1.Backend)
		}
	}
	st.keys, st.files = keys, files
	return true
}

// patchList adds obj to, or removes it from, a list in decode's order
// when obj is of the list's type.
func patchList[P metav1.Object](list []P, o metav1.Object, add bool) []P {
	obj, ok := o.(P)
	if !ok {
		return list
	}
	i, found := slices.BinarySearchFunc(list, obj, func(a, b P) int {
		if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
			return c
		}
		return strings.Compare(a.GetName(), b.GetName())
	})
	switch {
	case add && !found:
		return slices.Insert(list, i, obj)
	case !add && found && metav1.Object(list[i]) == o:
		return slices.Delete(list, i, i+1)
	}
	panic("translate: decode patch of " + o.GetNamespace() + "/" + o.GetName() + " found the lists out of step")
}
