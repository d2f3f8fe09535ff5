package gittest

import (
	"os"
	"path/filepath"
)

// Symlink makes the slash-separated path name in the work tree a symbolic
// link to target, creating parent directories. Git records target as it
// is.
func (r *Repo) Symlink(name, target string) {
	r.t.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		r.t.Fatal(err)
	}
}
