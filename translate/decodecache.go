package translate

import (
	"io/fs"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/load"
)

// Decoding a revision again when few files changed: a Cache keeps the
// load.Revision of the last revision it translated, and its Objects as
// Resources, with their index. When the files that changed hold
// only HTTPRoutes and Backends, the Revision patches its Objects in place
// (load.Revision.Patch) and the index follows the Backends that left and
// came; whatever else changed decodes the revision as without a Cache.
//
// The kept Resources are changed in place, so one translation at a time
// owns them: a translation takes them from the Cache and gives them back
// when it is done; one that runs meanwhile decodes on its own.

// patchKinds are the kinds whose changes a patch may make: of the kinds
// the index holds only Backends, which it follows (decodeState.patch).
var patchKinds = []string{"HTTPRoute", "Backend"}

// decodeState is what decoding one revision gave.
type decodeState struct {
	rev *load.Revision
	res *Resources
}

// translate is Translate with c.
func (c *Cache) translate(fsys fs.FS, opts Options) (*Result, error) {
	files, err := c.files.Read(fsys, opts.Limits)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	st := c.decoded
	c.decoded = nil
	c.mu.Unlock()
	if st == nil || !st.patch(files) {
		rev, err := files.Decode()
		if err != nil {
			return nil, err // the kept state is dropped: the next read decodes
		}
		st = &decodeState{rev: rev, res: (*Resources)(rev.Objects())}
	}
	out, err := TranslateResources(st.res, st.rev.Warnings(), opts)
	c.mu.Lock()
	c.decoded = st
	c.mu.Unlock()
	return out, err
}

// patch makes st that of the revision of files, and reports whether it
// could; when it could not, st is unchanged.
func (st *decodeState) patch(files *load.Files) bool {
	changes, ok := st.rev.Patch(files, patchKinds...)
	if !ok {
		return false
	}
	x := st.res.builtIndex()
	if x == nil {
		return true // built when first used, from the patched lists
	}
	for _, ch := range changes {
		if b, ok := ch.Obj.(*egv1a1.Backend); ok {
			key := ch.Key.Namespace + "/" + ch.Key.Name
			if ch.Added {
				x.backends[key] = b
			} else {
				delete(x.backends, key)
			}
		}
	}
	return true
}
