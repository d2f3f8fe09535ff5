//go:build unix

package sync_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/sync/gittest"
)

// besideGit runs sluice and the git CLI b.N times each, alternating which
// goes first, and reports both, their ratio and the CPU time each used.
// prepare readies iteration i (untimed); ns/op is sluice's time; git runs
// the git command of iteration i and returns its CPU time.
func besideGit(b *testing.B, prepare func(i int), sluice func(i int), git func(i int) time.Duration) {
	var tSluice, tGit, cpuSluice, cpuGit time.Duration
	runGit := func(i int) {
		start := time.Now()
		cpuGit += git(i)
		tGit += time.Since(start)
	}
	b.ResetTimer()
	b.StopTimer()
	for i := range b.N {
		prepare(i)
		if i%2 == 1 {
			runGit(i)
		}
		cpu, start := processCPU(b), time.Now()
		b.StartTimer()
		sluice(i)
		b.StopTimer()
		tSluice += time.Since(start)
		cpuSluice += processCPU(b) - cpu
		if i%2 == 0 {
			runGit(i)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(tGit.Milliseconds())/n, "git-ms/op")
	b.ReportMetric(float64(tSluice.Milliseconds())/n, "sluice-ms/op")
	b.ReportMetric(float64(tSluice)/float64(tGit), "sluice/git")
	b.ReportMetric(float64(cpuGit.Milliseconds())/n, "git-cpu-ms/op")
	b.ReportMetric(float64(cpuSluice.Milliseconds())/n, "sluice-cpu-ms/op")
}

// processCPU is the user and system time this process has used so far
// (sluice, and the Go side of the test server).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gitCPU runs git with args in dir, as gittest.Git does, and returns the
// user and system time it and the processes it waited for used.
func gitCPU(b *testing.B, dir string, args ...string) time.Duration {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
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
		}, func(int) time.Duration {
			return gitCPU(b, dirs[1], "fetch", "--quiet", "origin")
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
		}, func(int) time.Duration {
			return gitCPU(b, root, "clone", "--quiet", "--mirror", server.URL(), "git")
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
