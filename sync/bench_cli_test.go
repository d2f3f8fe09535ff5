package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// besideGit runs sluice and the git CLI b.N times each, alternating which
// goes first, and reports both and their ratio. prepare readies iteration
// i (untimed); ns/op is sluice's time.
func besideGit(b *testing.B, prepare func(i int), sluice, git func(i int)) {
	var tSluice, tGit time.Duration
	timed := func(f func(int), i int, total *time.Duration) {
		start := time.Now()
		f(i)
		*total += time.Since(start)
	}
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		prepare(i)
		if i%2 == 1 {
			timed(git, i, &tGit)
		}
		b.StartTimer()
		timed(sluice, i, &tSluice)
		b.StopTimer()
		if i%2 == 0 {
			timed(git, i, &tGit)
		}
	}
	b.ReportMetric(float64(tGit.Milliseconds())/float64(b.N), "git-ms/op")
	b.ReportMetric(float64(tSluice.Milliseconds())/float64(b.N), "sluice-ms/op")
	b.ReportMetric(float64(tSluice)/float64(tGit), "sluice/git")
}

// BenchmarkBesideGitCLI compares sluice with the git CLI on the 10,000
// commits of the benchmark repository, over HTTP, in the same run:
//   - restart: the first sync after a restart (NewGitSource, SetApplied,
//     one Sync that fetches one commit into the existing mirror, Close)
//     against git fetch into a mirror clone;
//   - clone: the first sync into an empty mirror against git clone
//     --mirror.
func BenchmarkBesideGitCLI(b *testing.B) {
	buildBenchRepo(b)
	server := benchServer(b, benchRepo.base)
	head := benchRepo.next[0]
	b.Run("restart", func(b *testing.B) {
		tmpl := b.TempDir()
		gittest.Git(b, server.Dir, "update-ref", "refs/heads/main", benchRepo.base)
		mustSync(b, server.URL(), filepath.Join(tmpl, "sluice"), "", benchRepo.base)
		gittest.Git(b, tmpl, "clone", "--quiet", "--mirror", server.URL(), "git")
		var dirs [2]string
		besideGit(b, func(i int) {
			gittest.Git(b, server.Dir, "update-ref", "refs/heads/main", benchRepo.base)
			root := b.TempDir()
			dirs = [2]string{filepath.Join(root, "sluice"), filepath.Join(root, "git")}
			copyDir(b, filepath.Join(tmpl, "sluice"), dirs[0])
			copyDir(b, filepath.Join(tmpl, "git"), dirs[1])
			gittest.Git(b, server.Dir, "update-ref", "refs/heads/main", head)
		}, func(int) {
			mustSync(b, server.URL(), dirs[0], benchRepo.base, head)
		}, func(int) {
			gittest.Git(b, dirs[1], "fetch", "--quiet", "origin")
		})
		if got := gittest.Git(b, dirs[1], "rev-parse", "main"); got != head+"\n" {
			b.Fatalf("git fetch: main = %s, want %s", got, head)
		}
	})
	b.Run("clone", func(b *testing.B) {
		gittest.Git(b, server.Dir, "update-ref", "refs/heads/main", benchRepo.base)
		var root string
		besideGit(b, func(int) {
			root = b.TempDir()
		}, func(int) {
			mustSync(b, server.URL(), filepath.Join(root, "sluice"), "", benchRepo.base)
		}, func(int) {
			gittest.Git(b, root, "clone", "--quiet", "--mirror", server.URL(), "git")
		})
		if err := os.RemoveAll(root); err != nil {
			b.Fatal(err)
		}
	})
}

// mustSync opens the mirror at dir as a restarted sluice would (applied
// commit applied, if any), syncs it to want and closes it.
func mustSync(b *testing.B, url, dir, applied, want string) {
	src := benchSource(b, url, dir)
	if applied != "" {
		src.SetApplied(applied)
	}
	rev, changed, err := src.Sync(context.Background())
	if err != nil || !changed || rev.SHA != want {
		b.Fatalf("Sync = %s, %v, %v; want %s", rev.SHA, changed, err, want)
	}
	if err := src.Close(); err != nil {
		b.Fatal(err)
	}
}

var _ gitsync.Source = (*gitsync.GitSource)(nil)
