package sync_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

func newGitSource(t *testing.T, url, path string) *gitsync.GitSource {
	t.Helper()
	src, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL:                url,
		Path:               path,
		Dir:                filepath.Join(t.TempDir(), "git"),
		InsecureSkipVerify: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func syncOK(t *testing.T, src *gitsync.GitSource) (gitsync.Revision, bool) {
	t.Helper()
	rev, changed, err := src.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rev, changed
}

// files lists the regular files of fsys.
func files(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	var list []string
	err := fs.WalkDir(fsys, ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			list = append(list, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func readFile(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestGitSourceSync(t *testing.T) {
	t.Parallel()
	tests := map[string]func(*gittest.Server) string{
		"http":       func(s *gittest.Server) string { return s.URL() },
		"local path": func(s *gittest.Server) string { return s.Dir },
		"file url":   func(s *gittest.Server) string { return "file://" + filepath.ToSlash(s.Dir) },
	}
	for name, url := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			server := gittest.NewServer(t)
			repo := gittest.NewRepo(t, server.Dir)
			repo.WriteFile("gateways/gw.yaml", "kind: Gateway\n")
			repo.WriteFile("gateways/routes/r.yaml", "kind: HTTPRoute\n")
			repo.WriteFile("other/secret.yaml", "kind: Secret\n")
			repo.WriteFile("top.yaml", "kind: Top\n")
			first := repo.Commit("Add gateway\n\nWith a body.")
			repo.Push()

			src := newGitSource(t, url(server), "gateways/")
			rev, want := checkFirstSync(t, src, repo, first)
			checkResyncUnchanged(t, src, server, first, name == "http")
			checkSyncAfterPush(t, src, repo, rev, want)
			checkOldRevision(t, src, first)
		})
	}
}

// checkFirstSync syncs src for the first time and checks it returns the
// commit first with the files under gateways/ only. It returns the
// revision and what was expected of it.
func checkFirstSync(t *testing.T, src *gitsync.GitSource, repo *gittest.Repo, first string) (gitsync.Revision, gitsync.Revision) {
	t.Helper()
	rev, changed := syncOK(t, src)
	if !changed {
		t.Error("first Sync: changed = false")
	}
	want := gitsync.Revision{
		Source:    gitsync.SourceGit,
		Branch:    "main",
		SHA:       first,
		Author:    gitsync.Signature{Name: gittest.AuthorName, Email: gittest.AuthorEmail, When: repo.When(0)},
		Committer: gitsync.Signature{Name: gittest.CommitterName, Email: gittest.CommitterEmail, When: repo.When(0)},
		Subject:   "Add gateway",
	}
	checkRevision(t, rev, want)
	if !strings.HasSuffix(rev.Root, "//gateways") {
		t.Errorf("Root = %q, want suffix //gateways", rev.Root)
	}
	if got, want := files(t, rev.FS), []string{"gw.yaml", "routes/r.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if got := readFile(t, rev.FS, "gw.yaml"); got != "kind: Gateway\n" {
		t.Errorf("gw.yaml = %q", got)
	}
	return rev, want
}

// checkResyncUnchanged syncs src again with nothing pushed: the revision
// is still first, unchanged, and over HTTP the second Sync fetches
// nothing.
func checkResyncUnchanged(t *testing.T, src *gitsync.GitSource, server *gittest.Server, first string, http bool) {
	t.Helper()
	fetches := server.Fetches()
	again, changed := syncOK(t, src)
	if changed || again.SHA != first {
		t.Errorf("second Sync = %s, changed %v; want %s unchanged", again.SHA, changed, first)
	}
	if http && (fetches != 1 || server.Fetches() != 1) {
		t.Errorf("fetches after first and second Sync = %d, %d; want 1, 1", fetches, server.Fetches())
	}
}

// checkSyncAfterPush pushes a change to gw.yaml and the removal of routes/
// and checks Sync returns it, while rev, the first revision, keeps its
// content. want is what was expected of rev.
func checkSyncAfterPush(t *testing.T, src *gitsync.GitSource, repo *gittest.Repo, rev, want gitsync.Revision) {
	t.Helper()
	first := want.SHA
	repo.WriteFile("gateways/gw.yaml", "kind: Gateway\nname: v2\n")
	repo.Remove("gateways/routes")
	second := repo.Commit("Change gateway")
	repo.Push()
	rev2, changed := syncOK(t, src)
	if !changed {
		t.Error("Sync after push: changed = false")
	}
	want.SHA, want.Parents, want.Subject = second, []string{first}, "Change gateway"
	want.Author.When, want.Committer.When = repo.When(1), repo.When(1)
	checkRevision(t, rev2, want)
	if got := readFile(t, rev2.FS, "gw.yaml"); got != "kind: Gateway\nname: v2\n" {
		t.Errorf("gw.yaml after push = %q", got)
	}
	if got, want := files(t, rev2.FS), []string{"gw.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files after push = %q, want %q", got, want)
	}
	// An earlier revision keeps its content.
	if got := readFile(t, rev.FS, "gw.yaml"); got != "kind: Gateway\n" {
		t.Errorf("first revision's gw.yaml after push = %q", got)
	}
}

// checkOldRevision checks src still reads the first commit, with the
// files it had.
func checkOldRevision(t *testing.T, src *gitsync.GitSource, first string) {
	t.Helper()
	old, err := src.Revision(first)
	if err != nil {
		t.Fatal(err)
	}
	if old.SHA != first || readFile(t, old.FS, "routes/r.yaml") != "kind: HTTPRoute\n" {
		t.Errorf("Revision(%s) = %s with files %q", first, old.SHA, files(t, old.FS))
	}
}

func checkRevision(t *testing.T, got, want gitsync.Revision) {
	t.Helper()
	if got.Source != want.Source || got.Branch != want.Branch || got.SHA != want.SHA ||
		!slices.Equal(got.Parents, want.Parents) || got.Subject != want.Subject {
		t.Errorf("revision = %+v\nwant %+v", got, want)
	}
	for _, s := range [][2]gitsync.Signature{{got.Author, want.Author}, {got.Committer, want.Committer}} {
		if s[0].Name != s[1].Name || s[0].Email != s[1].Email || !s[0].When.Equal(s[1].When) {
			t.Errorf("signature = %+v, want %+v", s[0], s[1])
		}
	}
	if time.Since(got.FetchedAt) > time.Minute {
		t.Errorf("FetchedAt = %v, want about now", got.FetchedAt)
	}
	if got.String() != "main@sha1:"+want.SHA {
		t.Errorf("String() = %q", got.String())
	}
}

func TestGitSourceMissingPath(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("gateways/gw.yaml", "kind: Gateway\n")
	repo.WriteFile("file.yaml", "kind: Gateway\n")
	sha := repo.Commit("Add gateway")
	repo.Push()

	// The commit is refused (recorded once, not an error of the source),
	// naming the path and the commit.
	for _, path := range []string{"nope", "gateways/nope", "file.yaml"} {
		src := newGitSource(t, server.Dir, path)
		_, changed, err := src.Sync(context.Background())
		rs := src.TakeRejections()
		if err != nil || changed || len(rs) != 1 || rs[0].Reason != gitsync.ReasonInvalidFiles || rs[0].Revision.SHA != sha {
			t.Fatalf("Sync with path %q = changed %v, %v, rejections %+v; want one InvalidFiles rejection of %s", path, changed, err, rs, sha)
		}
		if msg := rs[0].Message; !strings.Contains(msg, `"`+path+`"`) || !strings.Contains(msg, sha) {
			t.Errorf("Sync with path %q: %q does not name the path and commit %s", path, msg, sha)
		}
		if _, _, err := src.Sync(context.Background()); err != nil || len(src.TakeRejections()) != 0 {
			t.Errorf("a second Sync of the same head: %v, or reported it again", err)
		}
		if _, err := src.Revision(sha); !errors.Is(err, gitsync.ErrInvalidFiles) {
			t.Errorf("Revision(%s) = %v, want ErrInvalidFiles", sha, err)
		}
	}
}

func TestNewGitSourceRefusesUnverified(t *testing.T) {
	t.Parallel()
	_, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL: "https://user:token@git.example.com/routing.git",
		Dir: t.TempDir(),
	}, nil)
	if !errors.Is(err, gitsync.ErrUnverified) {
		t.Fatalf("err = %v, want ErrUnverified", err)
	}
	if strings.Contains(err.Error(), "token") {
		t.Errorf("error %q holds the credentials", err)
	}
}

func TestGitSourceErrorsHideCredentials(t *testing.T) {
	t.Parallel()
	src := newGitSource(t, "http://user:s3cret@127.0.0.1:1/repo.git", "")
	_, _, err := src.Sync(context.Background())
	if err == nil {
		t.Fatal("Sync from a closed port: no error")
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "user") {
		t.Errorf("error %q holds the credentials", err)
	}
}

func TestGitSourceBranchNotFound(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.Commit("Empty")
	repo.Push()
	src, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL: server.URL(), Branch: "prod", Dir: t.TempDir(), InsecureSkipVerify: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), `"prod"`) {
		t.Errorf("err = %v, want branch \"prod\" not found", err)
	}
}

// A restarted sluice reuses its mirror, also when the URL changed.
func TestGitSourceReopensMirror(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("a.yaml", "a")
	sha := repo.Commit("A")
	repo.Push()

	dir := t.TempDir()
	for _, url := range []string{server.Dir, server.URL(), server.URL()} {
		src, err := gitsync.NewGitSource(gitsync.GitConfig{URL: url, Dir: dir, InsecureSkipVerify: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rev, changed := syncOK(t, src)
		if !changed || rev.SHA != sha || readFile(t, rev.FS, "a.yaml") != "a" {
			t.Errorf("Sync from %s = %s, changed %v", url, rev.SHA, changed)
		}
	}
}

func TestTreeFS(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	// Git sorts "a.yaml" before the directory "a"; fs.FS sorts by name.
	repo.WriteFile("config/a.yaml", "a: 1\n")
	repo.WriteFile("config/a/b.yaml", "b: 2\n")
	repo.WriteFile("config/a/deep/c.yaml", "c: 3\n")
	repo.WriteFile("config/empty.txt", "")
	repo.WriteFile("config/run.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(repo.Dir, "config/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	repo.Commit("Files")
	repo.Push()

	rev, _ := syncOK(t, newGitSource(t, server.URL(), "config"))
	if err := fstest.TestFS(rev.FS, "a.yaml", "a/b.yaml", "a/deep/c.yaml", "empty.txt", "run.sh"); err != nil {
		t.Fatal(err)
	}
	info, err := fs.Stat(rev.FS, "run.sh")
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode() != 0o555 || info.Size() != int64(len("#!/bin/sh\n")) || !info.ModTime().Equal(repo.When(0)) {
		t.Errorf("run.sh: mode %v, size %d, time %v", info.Mode(), info.Size(), info.ModTime())
	}
	for _, name := range []string{"a.yaml/x", "missing", "a/missing.yaml"} {
		if _, err := fs.Stat(rev.FS, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want ErrNotExist", name, err)
		}
	}
}
