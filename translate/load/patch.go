package load

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Decoding a revision again when few files changed: a Revision keeps
// what decoding its Files gave (the Objects, with their locations, and
// the warnings), and when the files that changed, were added or were
// removed hold only objects of the kinds the caller allows that decoding
// accepts as they are (typed, without notes, and no other document of
// the revision with the same kind, namespace and name), Patch changes
// the Objects in place instead of building them again: the objects of
// the old files leave their sorted lists and the locations, and those of
// the new files enter them. Whatever else changed (another kind, a
// warning, a duplicate, many files) is decoded again (Files.Decode).
//
// A Revision's Objects are changed in place, so one caller at a time
// owns it (translate.Cache hands it to one translation at a time).

// Revision is what decoding the Files of one revision gave.
type Revision struct {
	keys     []fileKey // the revision's files, in order
	files    []*fileDocs
	objects  *Objects
	warnings []string // of reading and decoding
	limits   Limits
	// multi holds the keys of supported documents that decode did not
	// simply accept: the object could not be typed, or another document
	// has the same key.
	multi map[Key]bool
}

// Objects returns the typed objects of r.
func (r *Revision) Objects() *Objects { return r.objects }

// Warnings returns the warnings of reading and decoding r, to be
// appended to by the caller without changing r's.
func (r *Revision) Warnings() []string { return slices.Clip(r.warnings) }

// Decode decodes the documents of f: it is what Read gives, and the
// start of the Revisions that Patch follows. The error is a revision
// with more objects than its Limits allow.
func (f *Files) Decode() (*Revision, error) {
	docs, notes := joinFiles(f.files)
	lim := f.limits.WithDefaults()
	objects, warnings, err := decode(docs, lim)
	if err != nil {
		return nil, err
	}
	r := &Revision{keys: f.keys, files: f.files, objects: objects, warnings: append(notes, warnings...), multi: map[Key]bool{}, limits: lim}
	for _, d := range docs {
		if d.key == (Key{}) {
			continue // not a supported kind with a name
		}
		if d.obj == nil || objects.where[d.key] != d.Loc {
			r.multi[d.key] = true
		}
	}
	return r, nil
}

// A Change is an object that Patch took out of the Objects or put in.
type Change struct {
	Key   Key
	Obj   metav1.Object
	Added bool
}

// maxPatchedFiles bounds the files a patch changes: each costs a move of
// the lists it changes.
const maxPatchedFiles = 64

// Patch makes r the Revision of f, f read with the Cache that read r's
// Files, when only objects of kinds changed (see above), and returns the
// objects taken out, then those put in. It reports whether it could;
// when it could not, r is unchanged.
func (r *Revision) Patch(f *Files, kinds ...string) ([]Change, bool) {
	gone, come, ok := r.changedFiles(f, kinds)
	if !ok || int64(len(r.objects.where)-len(gone)+len(come)) > r.limits.Objects {
		return nil, false // over the limit: Decode says so
	}
	o := r.objects
	freed := make(map[Key]bool, len(gone))
	for _, d := range gone {
		if o.where[d.key] != d.Loc || r.multi[d.key] {
			return nil, false
		}
		freed[d.key] = true
	}
	taken := make(map[Key]bool, len(come))
	for _, d := range come {
		if _, in := o.where[d.key]; in && !freed[d.key] || r.multi[d.key] || taken[d.key] {
			return nil, false
		}
		taken[d.key] = true
	}
	changes := make([]Change, 0, len(gone)+len(come))
	for _, d := range gone {
		delete(o.where, d.key)
		decoders[d.group()+"/"+d.Kind].patch(o, d.obj, false)
		changes = append(changes, Change{Key: d.key, Obj: d.obj})
	}
	for _, d := range come {
		o.where[d.key] = d.Loc
		decoders[d.group()+"/"+d.Kind].patch(o, d.obj, true)
		changes = append(changes, Change{Key: d.key, Obj: d.obj, Added: true})
	}
	r.keys, r.files = f.keys, f.files
	return changes, true
}

// changedFiles returns the documents of the files of r that f does not
// have, and of those of f that r does not have, and whether every such
// file may be patched.
func (r *Revision) changedFiles(f *Files, kinds []string) (gone, come []*document, ok bool) {
	changed := 0
	for i, j := 0, 0; i < len(r.keys) || j < len(f.keys); {
		var old, cur *fileDocs
		switch {
		case j < len(f.keys) && f.keys[j] == (fileKey{}):
			return nil, nil, false // not cached
		case j == len(f.keys) || i < len(r.keys) && r.keys[i].name < f.keys[j].name:
			old = r.files[i] // removed
			i++
		case i == len(r.keys) || f.keys[j].name < r.keys[i].name:
			cur = f.files[j] // added
			j++
		default:
			// The same content read twice (two reads at once)
			// gives other objects: only the same read is unchanged.
			if r.files[i] != f.files[j] {
				old, cur = r.files[i], f.files[j]
			}
			i++
			j++
		}
		if old == nil && cur == nil {
			continue
		}
		if changed++; changed > maxPatchedFiles ||
			old != nil && !patchable(old, kinds) || cur != nil && !patchable(cur, kinds) {
			return nil, nil, false
		}
		if old != nil {
			gone = append(gone, old.docs...)
		}
		if cur != nil {
			come = append(come, cur.docs...)
		}
	}
	return gone, come, true
}

// patchable reports whether every document of f is of one of kinds and
// decoded without a word, f read without warnings.
func patchable(f *fileDocs, kinds []string) bool {
	if f.err != nil || len(f.warnings) > 0 {
		return false
	}
	for _, d := range f.docs {
		if !d.typed || d.obj == nil || len(d.notes) > 0 || !slices.Contains(kinds, d.Kind) {
			return false
		}
	}
	return true
}

// patchList adds obj to, or removes it from, a list in decode's order.
func patchList[P metav1.Object](list []P, obj P, add bool) []P {
	i, found := slices.BinarySearchFunc(list, obj, byName)
	switch {
	case add && !found:
		return slices.Insert(list, i, obj)
	case !add && found && metav1.Object(list[i]) == metav1.Object(obj):
		return slices.Delete(list, i, i+1)
	}
	panic("load: patch of " + obj.GetNamespace() + "/" + obj.GetName() + " found the lists out of step")
}
