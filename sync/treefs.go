package sync

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// treeFS is a read-only fs.FS over a Git tree. Regular and executable files
// are files, trees are directories, and submodules are left out. A
// symbolic link is its target: links may not leave the tree (newTreeFS
// checks); a link's target is cleaned lexically (path.Join) before it is
// followed. Paths that the tree's .sluiceignore matches do not exist.
//
// Every access to the object storage holds mu, which is shared with the
// GitSource that fetches into the same storage: go-git objects and storage
// are not safe for concurrent use.
type treeFS struct {
	mu      *sync.Mutex
	s       storer.EncodedObjectStorer
	root    *object.Tree
	modTime time.Time // of every file: the commit's committer time
	ignore  ignorer
}

// newTreeFS returns the FS of root, hiding what its .sluiceignore matches.
// It fails, naming every offending file, when a file is larger than limit
// or a symbolic link leaves root, cannot be resolved or leads back to one of
// its parents. Callers hold mu.
func newTreeFS(mu *sync.Mutex, s storer.EncodedObjectStorer, root *object.Tree, modTime time.Time, limit int64) (*treeFS, error) {
	f := &treeFS{mu: mu, s: s, root: root, modTime: modTime}
	n, _, err := f.resolve(IgnoreFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	case n.mode == filemode.Dir:
		return nil, fmt.Errorf("sync: %s is a directory", IgnoreFile)
	default:
		data, err := f.read(n)
		if err != nil {
			return nil, fmt.Errorf("sync: read %s: %w", IgnoreFile, err)
		}
		f.ignore = parseIgnore(data)
	}
	if err := f.check(".", ".", root, map[string]bool{".": true}, limit); err != nil {
		return nil, err
	}
	return f, nil
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
)

// node is one entry of the tree: the root, a directory or a file.
type node struct {
	name string // base name, "." for the root
	mode filemode.FileMode
	hash plumbing.Hash
	tree *object.Tree // for directories
}

// Open opens the named file or directory. It reads a file completely.
func (f *treeFS) Open(name string) (fs.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("open", name)
	if err != nil {
		return nil, err
	}
	info, err := f.info(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	switch n.mode {
	case filemode.Dir:
		entries, err := f.entries(name, n.tree)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &dirFile{info: info, path: name, entries: entries}, nil
	}
	data, err := f.read(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &file{info: info, Reader: bytes.NewReader(data)}, nil
}

// ReadFile returns the content of the named file.
func (f *treeFS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("read", name)
	if err != nil {
		return nil, err
	}
	switch n.mode {
	case filemode.Dir:
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	data, err := f.read(n)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// Hash returns the Git blob hash of the named file ("sha1:<hex>") without
// reading it: files with the same hash have the same content. translate's
// Cache uses it to skip the files a commit did not change.
func (f *treeFS) Hash(name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("hash", name)
	if err != nil {
		return "", err
	}
	if n.mode == filemode.Dir {
		return "", &fs.PathError{Op: "hash", Path: name, Err: errors.New("is a directory")}
	}
	return "sha1:" + n.hash.String(), nil
}

// ReadDir returns the entries of the named directory, sorted by name.
func (f *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if n.mode != filemode.Dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	entries, err := f.entries(name, n.tree)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return entries, nil
}

// Stat describes the named file or directory.
func (f *treeFS) Stat(name string) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.lookup("stat", name)
	if err != nil {
		return nil, err
	}
	info, err := f.info(n)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return info, nil
}

// lookup walks from the root to name, following symbolic links; ignored
// paths do not exist. Callers hold f.mu.
func (f *treeFS) lookup(op, name string) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, _, err := f.resolve(name)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if f.ignore.hidden(name, n.mode == filemode.Dir) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return n, nil
}

// resolve walks from the root to the valid path name, following symbolic
// links, and returns its node, named by the base of name, and its path
// without links. Callers hold f.mu.
func (f *treeFS) resolve(name string) (node, string, error) {
	n := node{name: ".", mode: filemode.Dir, hash: f.root.Hash, tree: f.root}
	var todo, real []string
	if name != "." {
		todo = strings.Split(name, "/")
	}
	links := 0
	for len(todo) > 0 {
		elem := todo[0]
		todo = todo[1:]
		if n.mode != filemode.Dir {
			return node{}, "", fs.ErrNotExist
		}
		i := slices.IndexFunc(n.tree.Entries, func(e object.TreeEntry) bool { return e.Name == elem })
		if i < 0 || n.tree.Entries[i].Mode == filemode.Submodule {
			return node{}, "", fs.ErrNotExist
		}
		e := n.tree.Entries[i]
		if e.Mode == filemode.Symlink {
			link := path.Join(append(real, elem)...)
			if links++; links > maxSymlinks {
				return node{}, "", fmt.Errorf("%w: %s: too many levels of symbolic links", ErrSymlinkBroken, link)
			}
			data, err := f.read(node{hash: e.Hash})
			if err != nil {
				return node{}, "", err
			}
			target := string(data)
			to := path.Join(path.Join(real...), target)
			if path.IsAbs(target) || to == ".." || strings.HasPrefix(to, "../") {
				return node{}, "", outside(link, target)
			}
			rest := todo
			todo = nil
			if to != "." {
				todo = strings.Split(to, "/")
			}
			todo = append(todo, rest...)
			n, real = node{name: ".", mode: filemode.Dir, hash: f.root.Hash, tree: f.root}, nil
			continue
		}
		n = node{name: e.Name, mode: e.Mode, hash: e.Hash}
		if e.Mode == filemode.Dir {
			t, err := object.GetTree(f.s, e.Hash)
			if err != nil {
				return node{}, "", err
			}
			n.tree = t
		}
		real = append(real, elem)
	}
	if name != "." {
		n.name = path.Base(name)
	}
	if len(real) == 0 {
		return n, ".", nil
	}
	return n, path.Join(real...), nil
}

// info describes n. Callers hold f.mu.
func (f *treeFS) info(n node) (*fileInfo, error) {
	fi := &fileInfo{name: n.name, modTime: f.modTime}
	switch n.mode {
	case filemode.Dir:
		fi.mode = fs.ModeDir | 0o555
		return fi, nil
	case filemode.Executable:
		fi.mode = 0o555
	default:
		fi.mode = 0o444
	}
	b, err := object.GetBlob(f.s, n.hash)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", n.hash, err)
	}
	fi.size = b.Size
	return fi, nil
}

// entries lists the entries of t, the tree at dir, sorted by name, with
// symbolic links resolved and ignored paths left out. Callers hold f.mu.
func (f *treeFS) entries(dir string, t *object.Tree) ([]fs.DirEntry, error) {
	list := make([]fs.DirEntry, 0, len(t.Entries))
	for _, e := range t.Entries {
		if e.Mode == filemode.Submodule {
			continue
		}
		n := node{name: e.Name, mode: e.Mode, hash: e.Hash}
		name := path.Join(dir, e.Name)
		if e.Mode == filemode.Symlink {
			var err error
			if n, _, err = f.resolve(name); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		if f.ignore.ignored(name, n.mode == filemode.Dir) {
			continue
		}
		fi, err := f.info(n)
		if err != nil {
			return nil, err
		}
		list = append(list, fi)
	}
	// Git sorts a directory as if its name ended in "/"; fs.FS sorts by name.
	slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return list, nil
}

// read returns the content of the blob of n. Callers hold f.mu.
func (f *treeFS) read(n node) ([]byte, error) {
	b, err := object.GetBlob(f.s, n.hash)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", n.hash, err)
	}
	r, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", n.hash, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", n.hash, err)
	}
	return data, nil
}

// fileInfo is both the fs.FileInfo and the fs.DirEntry of a node.
type fileInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (fi *fileInfo) Name() string               { return fi.name }
func (fi *fileInfo) Size() int64                { return fi.size }
func (fi *fileInfo) Mode() fs.FileMode          { return fi.mode }
func (fi *fileInfo) ModTime() time.Time         { return fi.modTime }
func (fi *fileInfo) IsDir() bool                { return fi.mode.IsDir() }
func (fi *fileInfo) Sys() any                   { return nil }
func (fi *fileInfo) Type() fs.FileMode          { return fi.mode.Type() }
func (fi *fileInfo) Info() (fs.FileInfo, error) { return fi, nil }
func (fi *fileInfo) String() string             { return fs.FormatFileInfo(fi) }

// file is an open regular file, read into memory when opened.
type file struct {
	info *fileInfo
	*bytes.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }

// dirFile is an open directory.
type dirFile struct {
	info    *fileInfo
	path    string
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.path, Err: errors.New("is a directory")}
}

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if count <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	rest = rest[:min(count, len(rest))]
	d.off += len(rest)
	return rest, nil
}

// subtree returns the tree at dir (slash-separated, "." for the root) of t.
func subtree(s storer.EncodedObjectStorer, t *object.Tree, dir string) (*object.Tree, error) {
	if dir == "." {
		return t, nil
	}
	f := &treeFS{mu: new(sync.Mutex), s: s, root: t}
	n, err := f.lookup("open", dir)
	if err != nil {
		return nil, err
	}
	if n.mode != filemode.Dir {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: errors.New("not a directory")}
	}
	return n.tree, nil
}
