package gittest_test

import (
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/sync/gittest"
)

func TestPushOverHTTP(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.URL())
	repo.WriteFile("a/b.txt", "hello")
	sha := repo.Commit("First")
	repo.Push()

	out := gittest.Git(t, t.TempDir(), "ls-remote", server.URL(), "refs/heads/main")
	if !strings.HasPrefix(out, sha+"\trefs/heads/main") {
		t.Errorf("ls-remote = %q, want %s", out, sha)
	}
	if got := strings.TrimSpace(gittest.Git(t, server.Dir, "rev-parse", "main")); got != sha {
		t.Errorf("bare repository's main = %s, want %s", got, sha)
	}
}
