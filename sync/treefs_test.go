package sync_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// A .sluiceignore at the top of the subtree hides what its gitignore
// patterns match, also from ReadDir, Stat and Open; patterns are relative
// to the subtree; files elsewhere in the repository stay out.
func TestTreeFSIgnore(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("config/.sluiceignore", "# drafts\n\n*.draft.yaml\n/scratch/\ntests/\n!keep.draft.yaml\nbig.json\n")
	repo.WriteFile("config/gw.yaml", "kind: Gateway\n")
	repo.WriteFile("config/gw.draft.yaml", "kind: Draft\n")
	repo.WriteFile("config/keep.draft.yaml", "kind: Kept\n")
	repo.WriteFile("config/routes/r.yaml", "kind: HTTPRoute\n")
	repo.WriteFile("config/routes/r.draft.yaml", "kind: Draft\n")
	repo.WriteFile("config/routes/tests/t.yaml", "kind: Test\n")
	repo.WriteFile("config/routes/scratch/s.yaml", "kind: NotTopScratch\n")
	repo.WriteFile("config/scratch/s.yaml", "kind: Scratch\n")
	repo.WriteFile("config/big.json", strings.Repeat("x", 200))
	repo.WriteFile("other/x.yaml", "kind: Other\n")
	repo.Commit("Files")
	repo.Push()

	src, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL: server.URL(), Path: "config", Dir: t.TempDir(), InsecureSkipVerify: true,
		MaxFileSize: 100, // big.json is ignored, so not too large
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := syncOK(t, src)
	want := []string{".sluiceignore", "gw.yaml", "keep.draft.yaml", "routes/r.yaml", "routes/scratch/s.yaml"}
	if got := files(t, rev.FS); !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if err := fstest.TestFS(rev.FS, want...); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"gw.draft.yaml", "scratch", "scratch/s.yaml", "routes/tests/t.yaml", "big.json"} {
		if _, err := fs.Stat(rev.FS, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want ErrNotExist", name, err)
		}
	}
}

// Symbolic links inside the subtree are their targets; links that leave
// it, dangle or loop reject the revision with an error naming each link;
// a file over the size limit rejects it naming the file and its size.
func TestTreeFSRejects(t *testing.T) {
	t.Parallel()
	for name, tt := range treeFSRejectCases() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkTreeFSRejects(t, tt)
		})
	}
}

// treeFSReject is a case of TestTreeFSRejects: setup adds to a repository
// holding config/routes/r.yaml and other/x.yaml what makes the commit
// refused; the error must match every error of want and hold every string
// of wantMsg.
type treeFSReject struct {
	setup   func(r *gittest.Repo)
	want    []error
	wantMsg []string
}

func treeFSRejectCases() map[string]treeFSReject {
	return map[string]treeFSReject{
		"link to a file outside the subtree": {
			setup:   func(r *gittest.Repo) { r.Symlink("config/gw.yaml", "../secrets/key.yaml") },
			want:    []error{gitsync.ErrSymlinkOutside},
			wantMsg: []string{`gw.yaml points to "../secrets/key.yaml"`},
		},
		"absolute link": {
			setup:   func(r *gittest.Repo) { r.Symlink("config/routes/passwd.yaml", "/etc/passwd") },
			want:    []error{gitsync.ErrSymlinkOutside},
			wantMsg: []string{`routes/passwd.yaml points to "/etc/passwd"`},
		},
		"link through a linked directory": {
			setup: func(r *gittest.Repo) {
				r.Symlink("config/up", "routes")
				r.Symlink("config/esc.yaml", "up/../../other/x.yaml")
			},
			want:    []error{gitsync.ErrSymlinkOutside},
			wantMsg: []string{`esc.yaml points to "up/../../other/x.yaml"`},
		},
		"dangling link": {
			setup:   func(r *gittest.Repo) { r.Symlink("config/gone.yaml", "missing.yaml") },
			want:    []error{gitsync.ErrSymlinkBroken},
			wantMsg: []string{"gone.yaml: its target does not exist"},
		},
		"link loop": {
			setup:   func(r *gittest.Repo) { r.Symlink("config/a.yaml", "b.yaml"); r.Symlink("config/b.yaml", "a.yaml") },
			want:    []error{gitsync.ErrSymlinkBroken},
			wantMsg: []string{"too many levels of symbolic links"},
		},
		"directory link to a parent": {
			setup:   func(r *gittest.Repo) { r.Symlink("config/routes/again", "..") },
			want:    []error{gitsync.ErrSymlinkBroken},
			wantMsg: []string{"routes/again leads back to its parent directory ."},
		},
		"too large and outside, both reported": {
			setup: func(r *gittest.Repo) {
				r.WriteFile("config/routes/huge.yaml", strings.Repeat("a", 101))
				r.Symlink("config/x.yaml", "../other/x.yaml")
			},
			want:    []error{gitsync.ErrFileTooLarge, gitsync.ErrSymlinkOutside},
			wantMsg: []string{"routes/huge.yaml is 101 bytes, over the limit of 100 bytes"},
		},
	}
}

// checkTreeFSRejects commits what tt sets up and checks Sync refuses it
// with one InvalidFiles rejection, and that both the rejection and the
// error of Revision name the commit, the path and what tt wants.
func checkTreeFSRejects(t *testing.T, tt treeFSReject) {
	t.Helper()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("config/routes/r.yaml", "kind: HTTPRoute\n")
	repo.WriteFile("other/x.yaml", "kind: Other\n")
	tt.setup(repo)
	sha := repo.Commit("Files")
	repo.Push()
	src, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL: server.URL(), Path: "config", Dir: t.TempDir(), InsecureSkipVerify: true, MaxFileSize: 100,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, changed, err := src.Sync(context.Background()); err != nil || changed {
		t.Fatalf("Sync = changed %v, %v; want the commit refused", changed, err)
	}
	rs := src.TakeRejections()
	if len(rs) != 1 || rs[0].Reason != gitsync.ReasonInvalidFiles {
		t.Fatalf("rejections = %+v, want one InvalidFiles", rs)
	}
	_, err = src.Revision(sha)
	for _, w := range append(tt.want, gitsync.ErrInvalidFiles) {
		if !errors.Is(err, w) {
			t.Errorf("err = %v, want %v", err, w)
		}
	}
	for _, m := range append(tt.wantMsg, sha, `"config"`) {
		if !strings.Contains(err.Error(), m) || !strings.Contains(rs[0].Message, m) {
			t.Errorf("err = %v, rejection %q; want both to hold %q", err, rs[0].Message, m)
		}
	}
}

// Links that stay inside the subtree, to files and to directories, read as
// their targets.
func TestTreeFSLinksInside(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("config/shared/gw.yaml", "kind: Gateway\n")
	repo.Symlink("config/gw.yaml", "shared/gw.yaml")
	repo.Symlink("config/current", "shared")
	repo.Symlink("config/shared/self.yaml", "../shared/./gw.yaml")
	repo.Commit("Links")
	repo.Push()

	rev, _ := syncOK(t, newGitSource(t, server.URL(), "config"))
	want := []string{"current/gw.yaml", "current/self.yaml", "gw.yaml", "shared/gw.yaml", "shared/self.yaml"}
	if got := files(t, rev.FS); !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if err := fstest.TestFS(rev.FS, want...); err != nil {
		t.Error(err)
	}
	for _, name := range want {
		if got := readFile(t, rev.FS, name); got != "kind: Gateway\n" {
			t.Errorf("%s = %q", name, got)
		}
	}
	info, err := fs.Stat(rev.FS, "current")
	if err != nil || !info.IsDir() || info.Name() != "current" {
		t.Errorf("Stat(current) = %v, %v; want a directory named current", info, err)
	}
}

// The configured path and the size limit also apply to an earlier commit
// read back for a rollback.
func TestGitSourceRevisionChecksFiles(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("big.yaml", strings.Repeat("a", 2000))
	bad := repo.Commit("Big")
	repo.WriteFile("big.yaml", "small")
	repo.Commit("Small")
	repo.Push()
	src, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL: server.URL(), Dir: filepath.Join(t.TempDir(), "git"), InsecureSkipVerify: true, MaxFileSize: 1000,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	syncOK(t, src)
	if _, err := src.Revision(bad); !errors.Is(err, gitsync.ErrFileTooLarge) {
		t.Errorf("Revision(%s) = %v, want ErrFileTooLarge", bad, err)
	}
}
