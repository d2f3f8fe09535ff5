package sync

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Rules for the files of a revision, shared by GitSource and DirSource.
//
// A revision exposes every file of its subtree (translate picks the YAML
// and JSON), except those a .sluiceignore at the top of the subtree hides.
// A revision is rejected, with an error naming the file and the rule, when
// a file is larger than the size limit or a symbolic link points outside
// the subtree.

// IgnoreFile is the name of the file, at the top of the subtree, whose
// gitignore patterns hide files from a revision.
const IgnoreFile = ".sluiceignore"

// DefaultMaxFileSize is the default size limit of one file.
const DefaultMaxFileSize = 8 << 20

// maxSymlinks is how many symbolic links one lookup follows at most.
const maxSymlinks = 40

// Reasons a revision is rejected for one of its files; the errors wrap
// them.
var (
	// ErrInvalidFiles wraps every reason the files of a commit are refused
	// (the path is missing, a file is too large, a link leaves the tree).
	ErrInvalidFiles   = errors.New("sync: invalid files")
	ErrFileTooLarge   = errors.New("sync: file is larger than the size limit")
	ErrSymlinkOutside = errors.New("sync: symbolic link points outside the subtree")
	ErrSymlinkBroken  = errors.New("sync: symbolic link cannot be resolved")
)

// maxFileSize applies the default to a configured limit.
func maxFileSize(n int64) (int64, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("sync: max file size %d is negative", n)
	case n == 0:
		return DefaultMaxFileSize, nil
	}
	return n, nil
}

// tooLarge is the error of a file of size bytes over limit.
func tooLarge(name string, size, limit int64) error {
	return fmt.Errorf("%w: %s is %d bytes, over the limit of %d bytes", ErrFileTooLarge, name, size, limit)
}

// outside is the error of the link name whose target leaves the subtree.
func outside(name, target string) error {
	return fmt.Errorf("%w: %s points to %q", ErrSymlinkOutside, name, target)
}

// ignorer hides the paths that the patterns of a .sluiceignore match. The
// zero ignorer hides nothing.
type ignorer struct {
	m gitignore.Matcher
}

// parseIgnore reads the patterns of a .sluiceignore; blank lines and
// comments are skipped as git does, the patterns are go-git's.
func parseIgnore(data []byte) ignorer {
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, nil))
	}
	if len(ps) == 0 {
		return ignorer{}
	}
	return ignorer{m: gitignore.NewMatcher(ps)}
}

// ignored reports whether the slash-separated path name, relative to the
// top of the subtree, is hidden. Callers check every parent directory
// first: a file in a hidden directory is hidden, as in git.
func (ig ignorer) ignored(name string, isDir bool) bool {
	if ig.m == nil || name == "." {
		return false
	}
	return ig.m.Match(strings.Split(name, "/"), isDir)
}

// hidden reports whether name or one of its parent directories is ignored.
func (ig ignorer) hidden(name string, isDir bool) bool {
	if ig.m == nil || name == "." {
		return false
	}
	elems := strings.Split(name, "/")
	for i := 1; i < len(elems); i++ {
		if ig.m.Match(elems[:i], true) {
			return true
		}
	}
	return ig.m.Match(elems, isDir)
}

// check applies the rules of files.go to the tree t at dir, whose path
// after resolving links is real; open holds the real paths of the
// directories being walked. Callers hold f.mu.
func (f *treeFS) check(dir, real string, t *object.Tree, open map[string]bool, limit int64) error {
	var errs []error
	for _, e := range t.Entries {
		if e.Mode == filemode.Submodule {
			continue
		}
		name, r := path.Join(dir, e.Name), path.Join(real, e.Name)
		n := node{name: e.Name, mode: e.Mode, hash: e.Hash}
		if e.Mode == filemode.Symlink {
			var err error
			n, r, err = f.resolve(name)
			if errors.Is(err, fs.ErrNotExist) {
				err = fmt.Errorf("%w: %s: its target does not exist", ErrSymlinkBroken, name)
			}
			if err != nil {
				if !f.ignore.ignored(name, false) {
					errs = append(errs, err)
				}
				continue
			}
		}
		if f.ignore.ignored(name, n.mode == filemode.Dir) {
			continue
		}
		if n.mode != filemode.Dir {
			size, err := f.size(n.hash)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("sync: %s: %w", name, err))
			case size > limit:
				errs = append(errs, tooLarge(name, size, limit))
			}
			continue
		}
		if open[r] {
			errs = append(errs, fmt.Errorf("%w: %s leads back to its parent directory %s", ErrSymlinkBroken, name, r))
			continue
		}
		if n.tree == nil {
			t, err := object.GetTree(f.s, n.hash)
			if err != nil {
				errs = append(errs, fmt.Errorf("sync: %s: %w", name, err))
				continue
			}
			n.tree = t
		}
		open[r] = true
		errs = append(errs, f.check(name, r, n.tree, open, limit))
		delete(open, r)
	}
	return errors.Join(errs...)
}

// size is the size of the blob h. Callers hold f.mu.
func (f *treeFS) size(h plumbing.Hash) (int64, error) {
	if sz, ok := f.s.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}); ok {
		return sz.EncodedObjectSize(h)
	}
	b, err := object.GetBlob(f.s, h)
	if err != nil {
		return 0, fmt.Errorf("read blob %s: %w", h, err)
	}
	return b.Size, nil
}
