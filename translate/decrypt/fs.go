package decrypt

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
)

// maxFileSize bounds what FS reads of one file to look for SOPS
// metadata, as translate bounds input files.
const maxFileSize = 8 << 20

// FS returns fsys with its SOPS files reading as their plaintext: see the
// package doc. Directories and other files are fsys's own. With a nil k,
// reading a SOPS file fails with ErrNoKey.
//
// The result has a Hash method when fsys has one (a file's content
// identity is that of its ciphertext), so translate's cache keeps working.
func (k *Keys) FS(fsys fs.FS) fs.FS {
	return &decryptFS{fsys: fsys, keys: k}
}

type decryptFS struct {
	fsys fs.FS
	keys *Keys
}

// inputExt are the extensions of the files translate reads.
func inputExt(name string) bool {
	switch path.Ext(name) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func (d *decryptFS) Open(name string) (fs.File, error) {
	f, err := d.fsys.Open(name)
	if err != nil || !inputExt(name) {
		return f, err
	}
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		return f, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	f.Close()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if IsEncrypted(name, data) {
		if data, err = d.keys.Decrypt(name, data); err != nil {
			return nil, &fs.PathError{Op: "decrypt", Path: name, Err: err}
		}
	}
	// Stat is the file's own, as ReadDir and Stat say: the size is that
	// of the ciphertext, an upper bound of the plaintext's.
	return &memFile{Reader: bytes.NewReader(data), info: info}, nil
}

// ReadDir and Stat are fsys's, so that walking costs no file reads.
func (d *decryptFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fsys, name) }
func (d *decryptFS) Stat(name string) (fs.FileInfo, error)      { return fs.Stat(d.fsys, name) }

// errNoHash tells translate's cache to hash the content itself.
var errNoHash = errors.New("decrypt: the file system has no content hashes")

// Hash is fsys's content identity of name, when fsys has one.
func (d *decryptFS) Hash(name string) (string, error) {
	if h, ok := d.fsys.(interface{ Hash(string) (string, error) }); ok {
		return h.Hash(name)
	}
	return "", errNoHash
}

// memFile is a file read into memory.
type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }
