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
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("gateways/gw.yaml", "kind: Gateway\n")
	repo.Commit("first")
	repo.Push()
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
