package load

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"sync"
)

// Hasher is an fs.FS that knows the content identity of its files without
// reading them, such as the Git blob hash of a file of a commit. Files
// with the same name and hash must have the same content.
type Hasher interface {
	Hash(name string) (string, error)
}

// Cache keeps the typed documents of the files of the last revision read
// with it, by file name and content identity (Hasher, or the SHA-256 of
// the content), so that reading the next revision reads and types only
// the files that changed. Cached objects are shared by the Objects of
// both revisions and never changed. A Cache is safe for concurrent use;
// its zero value is not: use NewCache.
type Cache struct {
	opts  Options // objects are typed with these
	mu    sync.Mutex
	files map[fileKey]*fileDocs
	// kept are the keys of the files of the last revision read.
	kept []fileKey
}

// NewCache returns an empty cache that types objects with opts.
func NewCache(opts Options) *Cache {
	return &Cache{opts: opts, files: map[fileKey]*fileDocs{}}
}

// Read reads the input files of fsys as Read does, within lim, taking
// the typed documents of a file from c when it holds them, and keeps
// those of this revision alone. The error is Read's; no Files are given
// with it.
func (c *Cache) Read(fsys fs.FS, lim Limits) (*Files, error) {
	opts := c.opts
	opts.Limits = lim
	files, err := readFiles(fsys, c, opts)
	if err != nil {
		return nil, err
	}
	return files, nil
}

// fileKey is a file's name and content identity; the zero key is that of
// no cached file.
type fileKey struct {
	name, sum string
}

// Len returns how many files the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.files)
}

// file returns the typed documents of the named file of fsys, and its
// cache key (zero when c is nil or the file could not be read), taking
// what the file costs from m. Once m stopped, files are not read; a file
// left partial is not cached.
func (c *Cache) file(fsys fs.FS, name string, m *meter) (*fileDocs, fileKey) {
	if m.stopped() {
		return &fileDocs{partial: true}, fileKey{}
	}
	if c == nil {
		data, err := readFile(fsys, name)
		return loadFile(name, data, err, m), fileKey{}
	}
	var key fileKey
	var data []byte
	var err error
	if h, ok := fsys.(Hasher); ok {
		var sum string
		if sum, err = h.Hash(name); err == nil {
			key = fileKey{name, sum}
		}
	}
	if key == (fileKey{}) {
		if data, err = readFile(fsys, name); err != nil {
			return loadFile(name, nil, err, m), fileKey{}
		}
		sum := sha256.Sum256(data)
		key = fileKey{name, "sha256:" + hex.EncodeToString(sum[:])}
	}
	c.mu.Lock()
	f, ok := c.files[key]
	c.mu.Unlock()
	if ok {
		if !m.take(f.cost) {
			return &fileDocs{partial: true}, fileKey{}
		}
		return f, key
	}
	if data == nil {
		if data, err = readFile(fsys, name); err != nil {
			return loadFile(name, nil, err, m), fileKey{}
		}
	}
	if f = loadFile(name, data, nil, m); f.partial {
		return f, fileKey{}
	}
	c.mu.Lock()
	c.files[key] = f
	c.mu.Unlock()
	return f, key
}

// retain drops the files that are not in keys, the files of the revision
// just read: the cache holds one revision. keys are in name order.
func (c *Cache) retain(keys []fileKey) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Mostly the last revision's files but a few: drop those.
	prev := c.kept
	c.kept = keys
	for i, j := 0, 0; i < len(prev); {
		switch {
		case j == len(keys) || prev[i].name < keys[j].name:
			delete(c.files, prev[i])
			i++
		case keys[j].name < prev[i].name:
			j++
		default:
			if prev[i] != keys[j] {
				delete(c.files, prev[i])
			}
			i++
			j++
		}
	}
	if len(c.files) == len(keys) {
		return // each of keys is held (file), so no other
	}
	keep := make(map[fileKey]bool, len(keys))
	for _, k := range keys {
		keep[k] = true
	}
	for k := range c.files {
		if !keep[k] {
			delete(c.files, k)
		}
	}
}
