package sync_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// servedGateway serves a repository whose one commit, pushed, holds
// gateways/gw.yaml.
func servedGateway(t *testing.T) (*gittest.Server, *gittest.Repo, string) {
	t.Helper()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("gateways/gw.yaml", "kind: Gateway\n")
	sha := repo.Commit("first")
	repo.Push()
	return server, repo, sha
}

// openPacks counts this process's file descriptors open on packfiles of
// the mirror at dir.
func openPacks(t *testing.T, dir string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, filepath.Join(dir, "objects", "pack")+"/") {
			n++
		}
	}
	return n
}

// TestGitSourceKeepsPacksOpenUntilClose checks that the mirror's packfiles
// stay open between syncs (they are not reopened on every object read) and
// that Close releases them and ends the source.
func TestGitSourceKeepsPacksOpenUntilClose(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads open files in /proc (Linux)")
	}
	t.Parallel()
	server, _, _ := servedGateway(t)
	dir := filepath.Join(t.TempDir(), "git")
	src, err := gitsync.NewGitSource(gitsync.GitConfig{URL: server.URL(), Path: "gateways", Dir: dir, InsecureSkipVerify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rev, _, err := src.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, rev.FS, "gw.yaml"); got != "kind: Gateway\n" {
		t.Fatalf("gw.yaml = %q", got)
	}
	if n := openPacks(t, dir); n == 0 {
		t.Fatal("no packfile of the mirror is open after a sync: go-git reopens it on every read")
	}

	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openPacks(t, dir); n != 0 {
		t.Errorf("%d packfiles of the mirror are open after Close", n)
	}
	if _, _, err := src.Sync(context.Background()); !errors.Is(err, gitsync.ErrClosed) {
		t.Errorf("Sync after Close = %v, want ErrClosed", err)
	}
	if _, err := src.Revision(rev.SHA); !errors.Is(err, gitsync.ErrClosed) {
		t.Errorf("Revision after Close = %v, want ErrClosed", err)
	}
	if _, err := fs.ReadFile(rev.FS, "gw.yaml"); !errors.Is(err, gitsync.ErrClosed) {
		t.Errorf("reading a revision's file after Close = %v, want ErrClosed", err)
	}
	if n := openPacks(t, dir); n != 0 {
		t.Errorf("reading after Close reopened %d packfiles", n)
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// packs lists the pack files of the mirror at dir.
func packs(t *testing.T, dir string) []string {
	t.Helper()
	list, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "pack-*.pack"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range list {
		list[i] = filepath.Base(p)
	}
	return list
}

// A crash while go-git writes leaves files cut short: a pack index without
// its pack (go-git writes the index in place before it renames the pack),
// an empty ref. A restarted source removes them and syncs, even when the
// fetch brings the very pack whose index was cut.
func TestMirrorRecoversFromCutWrites(t *testing.T) {
	t.Parallel()
	server, repo, first := servedGateway(t)
	open := func(dir string) *gitsync.GitSource {
		src, err := gitsync.NewGitSource(gitsync.GitConfig{URL: server.URL(), Dir: dir, InsecureSkipVerify: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		return src
	}
	synced := func(src *gitsync.GitSource, want string) {
		t.Helper()
		if rev, _, err := src.Sync(context.Background()); err != nil || rev.SHA != want {
			t.Fatalf("Sync = %s, %v; want %s", rev.SHA, err, want)
		}
	}
	done := filepath.Join(t.TempDir(), "git")
	synced(open(done), first)
	pack := packs(t, done)

	// The same clone, cut while it wrote the index.
	cut := filepath.Join(t.TempDir(), "git")
	idx, err := os.ReadFile(filepath.Join(done, "objects", "pack", strings.TrimSuffix(pack[0], ".pack")+".idx"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(cut, "objects", "pack"), 0o755)
	os.WriteFile(filepath.Join(cut, "objects", "pack", strings.TrimSuffix(pack[0], ".pack")+".idx"), idx[:100], 0o644)
	synced(open(cut), first)
	if got := packs(t, cut); len(got) != 1 || got[0] != pack[0] {
		t.Fatalf("the clone after the cut wrote %v, want the same pack %v", got, pack)
	}
	// go-git kept the index it built in memory: a restart reads the file.
	if _, err := open(cut).Revision(first); err != nil {
		t.Fatalf("after a restart: %v", err)
	}

	// A ref emptied while it was rewritten.
	if err := os.Truncate(filepath.Join(done, "refs", "remotes", "origin", "main"), 0); err != nil {
		t.Fatal(err)
	}
	repo.WriteFile("gateways/gw.yaml", "kind: Gateway # 2\n")
	second := repo.Commit("second")
	repo.Push()
	restarted := open(done)
	restarted.SetApplied(first)
	synced(restarted, second)
}
