package sync_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// A commit's FS names every file by its Git blob hash, which translate's
// Cache uses instead of reading the file; links hash as their targets, and
// ignored files and directories have no hash.
func TestTreeFSHash(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("config/.sluiceignore", "*.draft.yaml\n")
	repo.WriteFile("config/gw.yaml", "kind: Gateway\n")
	repo.WriteFile("config/gw.draft.yaml", "kind: Draft\n")
	repo.WriteFile("config/routes/r.yaml", "kind: HTTPRoute\n")
	repo.Symlink("config/link.yaml", "gw.yaml")
	repo.Commit("Files")
	repo.Push()
	src, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL: server.URL(), Path: "config", Dir: t.TempDir(), InsecureSkipVerify: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := syncOK(t, src)
	h, ok := rev.FS.(interface{ Hash(string) (string, error) })
	if !ok {
		t.Fatalf("%T has no Hash method", rev.FS)
	}
	want := map[string]string{
		"gw.yaml":       "sha1:" + strings.TrimSpace(repo.Git("rev-parse", "HEAD:config/gw.yaml")),
		"link.yaml":     "sha1:" + strings.TrimSpace(repo.Git("rev-parse", "HEAD:config/gw.yaml")),
		"routes/r.yaml": "sha1:" + strings.TrimSpace(repo.Git("rev-parse", "HEAD:config/routes/r.yaml")),
	}
	for name, w := range want {
		if got, err := h.Hash(name); err != nil || got != w {
			t.Errorf("Hash(%q) = %q, %v; want %q", name, got, err, w)
		}
	}
	if _, err := h.Hash("gw.draft.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Hash of an ignored file: %v, want ErrNotExist", err)
	}
	if _, err := h.Hash("routes"); err == nil {
		t.Error("Hash of a directory: no error")
	}
}
