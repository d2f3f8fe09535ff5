package sync

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing/fstest"
	"time"
)

// DirConfig says which local files to read, for development without Git.
type DirConfig struct {
	// Paths are directories or single files. With one directory, the
	// paths of the revision's files are relative to it; with one file, the
	// file is at its base name. With several paths, each directory is put
	// under its base name and each file at its base name; when two base
	// names are equal, the later gets "-<index in Paths>" before its
	// extension ("config-1", "gw-2.yaml").
	Paths []string
	// MaxFileSize is the size in bytes over which a file rejects the
	// revision; defaults to DefaultMaxFileSize.
	MaxFileSize int64
}

// DirSource reads local files into memory and emits a Revision whenever
// their content changes. Files and directories whose names start with "."
// (such as .git) are skipped, and so are those that a .sluiceignore at the
// top of a configured directory matches. Symbolic links to files inside the
// directory are followed; links to directories are left out. Its methods
// are safe for concurrent use.
type DirSource struct {
	roots  []dirRoot
	root   string // for Revision.Root
	limit  int64
	logger *slog.Logger

	mu   sync.Mutex
	last Revision
}

// dirRoot is one configured path and where its files go in the FS.
type dirRoot struct {
	path   string // absolute
	prefix string // "." to put a directory's files at the top
	limit  int64  // MaxFileSize
}

// NewDirSource checks cfg. The paths need not exist yet: Sync reports them
// when they do not.
func NewDirSource(cfg DirConfig, logger *slog.Logger) (*DirSource, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &DirSource{logger: logger}
	var err error
	if d.limit, err = maxFileSize(cfg.MaxFileSize); err != nil {
		return nil, err
	}
	if len(cfg.Paths) == 0 {
		return nil, errors.New("sync: no directory paths are set")
	}
	used := map[string]bool{}
	var abs []string
	for i, p := range cfg.Paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("sync: resolve %s: %w", p, err)
		}
		prefix := filepath.Base(a)
		if prefix == string(filepath.Separator) || prefix == "." {
			prefix = "root"
		}
		for n := i; used[prefix]; n++ {
			// Before the extension, so that "gw.yaml" stays YAML.
			base := filepath.Base(a)
			ext := filepath.Ext(base)
			prefix = strings.TrimSuffix(base, ext) + "-" + strconv.Itoa(n) + ext
		}
		used[prefix] = true
		d.roots = append(d.roots, dirRoot{path: a, prefix: prefix, limit: d.limit})
		abs = append(abs, a)
	}
	if len(d.roots) == 1 {
		// A single file keeps its base name; a single directory is the top.
		d.roots[0].prefix = "."
	}
	d.root = strings.Join(abs, ", ")
	return d, nil
}

// Sync reads every file. changed is false when their content is the same as
// at the previous Sync; rev is then the previous revision.
func (d *DirSource) Sync(ctx context.Context) (rev Revision, changed bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	files := fstest.MapFS{}
	for _, r := range d.roots {
		if err := ctx.Err(); err != nil {
			return Revision{}, false, err
		}
		if err := r.read(files); err != nil {
			return Revision{}, false, err
		}
	}
	sha := contentSHA(files)
	if sha == d.last.SHA {
		return d.last, false, nil
	}
	d.last = Revision{
		Source:    SourceDir,
		SHA:       sha,
		Subject:   "directory content changed",
		FetchedAt: time.Now(),
		Root:      d.root,
		FS:        files,
	}
	d.logger.Debug("new directory revision", "revision", d.last.String(), "files", len(files))
	return d.last, true, nil
}

// read adds the files of r to files. It fails, naming every offending
// file, when one is larger than the limit or a symbolic link leaves the
// directory.
func (r dirRoot) read(files fstest.MapFS) error {
	root, err := filepath.EvalSymlinks(r.path)
	if err != nil {
		return fmt.Errorf("sync: read %s: %w", r.path, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("sync: read %s: %w", r.path, err)
	}
	if !info.IsDir() {
		name := r.prefix
		if name == "." {
			name = filepath.Base(r.path)
		}
		return r.addFile(files, name, r.path, info.Size())
	}
	var ig ignorer
	if data, err := os.ReadFile(filepath.Join(root, IgnoreFile)); err == nil {
		ig = parseIgnore(data)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sync: read %s: %w", filepath.Join(r.path, IgnoreFile), err)
	}
	var errs []error
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if p != root && (strings.HasPrefix(e.Name(), ".") || ig.ignored(rel, e.IsDir())) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		if e.Type()&fs.ModeSymlink != 0 {
			// Follow links to files inside the directory, as in a mounted
			// ConfigMap; leave out links to directories.
			if fi, err = r.link(root, p, rel); err != nil {
				errs = append(errs, err)
				return nil
			}
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		errs = append(errs, r.addFile(files, path.Join(r.prefix, rel), p, fi.Size()))
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync: read %s: %w", r.path, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sync: files of %s: %w", r.path, err)
	}
	return nil
}

// link resolves the symbolic link p, at rel in root, which must stay
// inside root.
func (r dirRoot) link(root, p, rel string) (fs.FileInfo, error) {
	target, _ := os.Readlink(p)
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSymlinkBroken, rel, err)
	}
	if in, err := filepath.Rel(root, real); err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) {
		return nil, outside(rel, target)
	}
	return os.Stat(real)
}

func (r dirRoot) addFile(files fstest.MapFS, name, file string, size int64) error {
	if size > r.limit {
		return tooLarge(name, size, r.limit)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("sync: read %s: %w", file, err)
	}
	if int64(len(data)) > r.limit {
		return tooLarge(name, int64(len(data)), r.limit)
	}
	files[name] = &fstest.MapFile{Data: data, Mode: 0o444}
	return nil
}

// contentSHA is the hex SHA-1 over the sorted paths and contents of files.
func contentSHA(files fstest.MapFS) string {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha1.New()
	for _, name := range names {
		data := files[name].Data
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
