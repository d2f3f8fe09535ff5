package sync

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	cgformat "github.com/go-git/go-git/v5/plumbing/format/commitgraph/v2"
	"github.com/go-git/go-git/v5/plumbing/object/commitgraph"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// objectCacheSize bounds the decoded objects the mirror keeps in memory:
// the commits a sync walks, the trees of the configured subtree and the
// delta bases its files are rebuilt from. A revision of 10,000 routes
// reads about 10 MiB of files; go-git's default is 96 MiB.
const objectCacheSize = 32 * cache.MiByte

// mirror is the bare repository a GitSource keeps open for its lifetime:
// its packfiles stay open (go-git otherwise reopens the pack, and rereads
// its header, on every object it reads) and decoded objects are cached.
// Access is exclusive (the data directory is locked): go-git lists the
// loose objects and packs once, rather than looking for a loose file
// before every packed object it reads, and learns of the packs its own
// fetches write. go-git keeps the pack indexes it loaded in any case, so
// objects others write into the mirror were never seen before a restart.
type mirror struct {
	repo    *git.Repository
	storage *filesystem.Storage
	// nodes reads commits for ancestry checks: from the commit-graph git
	// wrote in the mirror (git commit-graph write), when there is one,
	// with its generation numbers, else from the commit objects.
	nodes commitgraph.CommitNodeIndex
	graph cgformat.Index // nil without a commit-graph
	// objects is the storage that the files of revisions read.
	objects guarded
	closed  bool
}

// guarded is the storage of an open mirror: once the mirror is closed it
// fails rather than reopen the packfiles Close closed.
type guarded struct {
	*filesystem.Storage
	m *mirror
}

func (g guarded) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	if g.m.closed {
		return nil, ErrClosed
	}
	return g.Storage.EncodedObject(t, h)
}

func (g guarded) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if g.m.closed {
		return 0, ErrClosed
	}
	return g.Storage.EncodedObjectSize(h)
}

// openMirror opens or creates the bare repository at dir with remote
// origin at url.
func openMirror(dir, url string) (*mirror, error) {
	if err := removeEmptyRefs(dir); err != nil {
		return nil, fmt.Errorf("sync: clean mirror %s: %w", dir, err)
	}
	fs := osfs.New(dir)
	st := filesystem.NewStorageWithOptions(fs, cache.NewObjectLRU(objectCacheSize), filesystem.Options{KeepDescriptors: true, ExclusiveAccess: true})
	repo, err := git.Open(st, nil)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.Init(st, nil)
	}
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("sync: open mirror %s: %w", dir, err)
	}
	m := &mirror{repo: repo, storage: st, nodes: commitgraph.NewObjectCommitNodeIndex(st)}
	m.objects = guarded{Storage: st, m: m}
	if err := setRemote(repo, dir, url); err != nil {
		m.close()
		return nil, err
	}
	// No commit-graph (go-git writes none) or an unreadable one: the
	// commit objects are read instead.
	if m.graph, err = cgformat.OpenChainOrFileIndex(fs); err == nil {
		m.nodes = commitgraph.NewGraphCommitNodeIndex(m.graph, st)
	}
	return m, nil
}

// removeEmptyRefs removes the empty files under refs/ of the mirror at dir:
// go-git rewrites a ref in place, so a crash can leave it empty, and every
// later fetch would fail on it ("ref file is empty"). The next fetch writes
// it again.
func removeEmptyRefs(dir string) error {
	err := filepath.WalkDir(filepath.Join(dir, "refs"), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if info, err := e.Info(); err == nil && info.Size() == 0 && info.Mode().IsRegular() {
			return os.Remove(p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// setRemote points remote origin of repo at url.
func setRemote(repo *git.Repository, dir, url string) error {
	remote, err := repo.Remote(remoteName)
	switch {
	case errors.Is(err, git.ErrRemoteNotFound):
	case err != nil:
		return fmt.Errorf("sync: open mirror %s: %w", dir, err)
	case len(remote.Config().URLs) == 1 && remote.Config().URLs[0] == url:
		return nil
	default:
		if err := repo.DeleteRemote(remoteName); err != nil {
			return fmt.Errorf("sync: update remote of mirror %s: %w", dir, err)
		}
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: remoteName, URLs: []string{url}}); err != nil {
		return fmt.Errorf("sync: set remote of mirror %s to %s: %w", dir, redactURL(url), scrub(err))
	}
	return nil
}

// close closes the packfiles and the commit-graph.
func (m *mirror) close() error {
	m.closed = true
	var gerr error
	if m.graph != nil {
		gerr = m.graph.Close()
	}
	return errors.Join(m.storage.Close(), gerr)
}

// ErrClosed is returned by the methods of a GitSource after Close.
var ErrClosed = errors.New("sync: git source is closed")

// Close releases the files of the mirror. A Sync running is waited for;
// later calls return ErrClosed, and the files of revisions already
// returned can no longer be read.
func (s *GitSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.closed {
		return nil
	}
	if err := s.m.close(); err != nil {
		return fmt.Errorf("sync: close mirror %s: %w", s.dir, err)
	}
	return nil
}
