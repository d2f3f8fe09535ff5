package sync_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// Size of the benchmark repository: benchCommits commits on main, the
// first adding benchFiles YAML files under gateways/, each later one
// changing one file; benchExtra more commits on refs/heads/next.
const (
	benchCommits = 10000
	benchFiles   = 2000
	benchExtra   = 100
)

// benchRepo is the bare repository shared by every benchmark of the
// process, built once with git fast-import.
var benchRepo struct {
	once gosync.Once
	dir  string // bare repository
	base string // head of main
	next []string
	// signed holds commits with the trees of next, each signed (made by
	// signedChain, for the verifying benchmarks).
	signed []string
	err    error
}

// TestMain removes the benchmark repository at the end of the process.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchRepo.dir != "" {
		os.RemoveAll(filepath.Dir(benchRepo.dir))
	}
	os.Exit(code)
}

func buildBenchRepo(b *testing.B) {
	b.Helper()
	benchRepo.once.Do(func() {
		start := time.Now()
		benchRepo.err = generateRepo()
		b.Logf("generated %d commits, %d files in %s", benchCommits+benchExtra, benchFiles, time.Since(start).Round(time.Millisecond))
	})
	if benchRepo.err != nil {
		b.Fatal(benchRepo.err)
	}
}

func routeYAML(i, rev int) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: route-%04d
  namespace: team-%02d
spec:
  parentRefs:
  - name: edge
    namespace: infra
  hostnames: ["r%04d.example.com"]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /v%d}
    backendRefs:
    - name: svc-%04d
      port: 8080
`, i, i%20, i, rev, i)
}

func generateRepo() error {
	root, err := os.MkdirTemp("", "sluice-bench-")
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "repo.git")
	git := func(stdin func(*bufio.Writer), args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		cmd.Dir = root
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if stdin != nil {
			w, err := cmd.StdinPipe()
			if err != nil {
				return "", err
			}
			go func() {
				bw := bufio.NewWriterSize(w, 1<<20)
				stdin(bw)
				bw.Flush()
				w.Close()
			}()
		}
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %v: %s", args[0], err, errb.String())
		}
		return strings.TrimSpace(out.String()), nil
	}
	if _, err := git(nil, "init", "--quiet", "--bare", "--initial-branch=main", dir); err != nil {
		return err
	}
	data := func(w *bufio.Writer, s string) { fmt.Fprintf(w, "data %d\n%s\n", len(s), s) }
	_, err = git(func(w *bufio.Writer) {
		when := gittest.Epoch.Unix()
		for c := 1; c <= benchCommits+benchExtra; c++ {
			ref := "refs/heads/main"
			if c > benchCommits {
				ref = "refs/heads/next"
			}
			fmt.Fprintf(w, "commit %s\nmark :%d\ncommitter %s <%s> %d +0000\n", ref, c, gittest.CommitterName, gittest.CommitterEmail, when+int64(c)*60)
			data(w, fmt.Sprintf("Change %d", c))
			if c > 1 {
				fmt.Fprintf(w, "from :%d\n", c-1)
			}
			if c == 1 {
				for i := range benchFiles {
					fmt.Fprintf(w, "M 100644 inline gateways/team-%02d/route-%04d.yaml\n", i%20, i)
					data(w, routeYAML(i, 0))
				}
				continue
			}
			i := c % benchFiles
			fmt.Fprintf(w, "M 100644 inline gateways/team-%02d/route-%04d.yaml\n", i%20, i)
			data(w, routeYAML(i, c))
		}
	}, "--git-dir="+dir, "fast-import", "--quiet")
	if err != nil {
		return err
	}
	if _, err := git(nil, "--git-dir="+dir, "repack", "-adq"); err != nil {
		return err
	}
	if benchRepo.base, err = git(nil, "--git-dir="+dir, "rev-parse", "main"); err != nil {
		return err
	}
	list, err := git(nil, "--git-dir="+dir, "rev-list", "--reverse", "main..next")
	if err != nil {
		return err
	}
	benchRepo.dir, benchRepo.next = dir, strings.Fields(list)
	return nil
}

// benchServer serves the benchmark repository, through git's alternates,
// with main at sha.
func benchServer(b *testing.B, sha string) *gittest.Server {
	b.Helper()
	s := gittest.NewServer(b)
	alt := filepath.Join(s.Dir, "objects", "info", "alternates")
	if err := os.WriteFile(alt, []byte(filepath.Join(benchRepo.dir, "objects")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	gittest.Git(b, s.Dir, "update-ref", "refs/heads/main", sha)
	return s
}

func benchSource(b *testing.B, url, dir string) *gitsync.GitSource {
	b.Helper()
	src, err := gitsync.NewGitSource(gitsync.GitConfig{URL: url, Path: "gateways", Dir: dir, InsecureSkipVerify: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return src
}

// heapPeak samples the heap in use until stop is called, which returns the
// highest value seen.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		sample()
		return peak.Load()
	}
}

// BenchmarkFirstClone measures NewGitSource and the first Sync of an empty
// mirror over HTTP: a full clone of 10,000 commits and the check of 2,000
// files.
func BenchmarkFirstClone(b *testing.B) {
	buildBenchRepo(b)
	server := benchServer(b, benchRepo.base)
	var peak, alloc uint64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		dir, err := os.MkdirTemp(b.TempDir(), "mirror-")
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := heapPeak()
		b.StartTimer()

		src := benchSource(b, server.URL(), dir)
		rev, changed, err := src.Sync(context.Background())

		b.StopTimer()
		src.Close()
		peak = max(peak, stop())
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		alloc += after.TotalAlloc - before.TotalAlloc
		if err != nil || !changed || rev.SHA != benchRepo.base {
			b.Fatalf("Sync = %s, %v, %v", rev.SHA, changed, err)
		}
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(alloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
}

// BenchmarkFetch measures one Sync that fetches 1 or 100 new commits into a
// mirror that holds the 10,000 before them. The sub-benchmarks are named
// commits=N/verify=none so that verifying variants can sit beside them.
func BenchmarkFetch(b *testing.B) {
	buildBenchRepo(b)
	// A mirror at the base commit, copied for every iteration.
	template := filepath.Join(b.TempDir(), "template")
	server := benchServer(b, benchRepo.base)
	if _, _, err := benchSource(b, server.URL(), template).Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	signers := signedChain(b)
	for _, c := range []struct {
		n      int
		verify string
	}{{1, "none"}, {100, "none"}, {1, "ssh"}, {100, "ssh"}} {
		n := c.n
		b.Run(fmt.Sprintf("commits=%d/verify=%s", n, c.verify), func(b *testing.B) {
			head := benchRepo.next[n-1]
			newSource := func(dir string) *gitsync.GitSource { return benchSource(b, server.URL(), dir) }
			if c.verify == "ssh" {
				// The same trees, as commits signed by key; every one of
				// the range is verified (mode all) from the applied base.
				head = benchRepo.signed[n-1]
				newSource = func(dir string) *gitsync.GitSource {
					src, err := gitsync.NewGitSource(gitsync.GitConfig{URL: server.URL(), Path: "gateways", Dir: dir, SSHAllowedSigners: signers}, nil)
					if err != nil {
						b.Fatal(err)
					}
					return src
				}
			}
			var alloc uint64
			for range b.N {
				b.StopTimer()
				gittest.Git(b, server.Dir, "update-ref", "refs/heads/main", benchRepo.base)
				dir := filepath.Join(b.TempDir(), "mirror")
				copyDir(b, template, dir)
				src := newSource(dir)
				src.SetApplied(benchRepo.base)
				gittest.Git(b, server.Dir, "update-ref", "refs/heads/main", head)
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()

				rev, changed, err := src.Sync(context.Background())

				b.StopTimer()
				src.Close()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				alloc += after.TotalAlloc - before.TotalAlloc
				if err != nil || !changed || rev.SHA != head {
					b.Fatalf("Sync = %s, %v, %v; want %s", rev.SHA, changed, err, head)
				}
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(alloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
		})
	}
}

// signedChain makes a chain of benchExtra commits on the base with the trees
// of refs/heads/next, each signed with a new SSH key, and returns an
// allowed_signers file trusting the key.
func signedChain(b *testing.B) string {
	b.Helper()
	key := gittest.NewSSHKey(b)
	signers := filepath.Join(b.TempDir(), "allowed_signers")
	if err := os.WriteFile(signers, []byte(key.AllowedSigner("bench@example.com", "")), 0o600); err != nil {
		b.Fatal(err)
	}
	benchRepo.signed = nil
	parent := benchRepo.base
	for i, c := range benchRepo.next {
		tree := strings.TrimSpace(gittest.Git(b, benchRepo.dir, "rev-parse", c+"^{tree}"))
		parent = strings.TrimSpace(gittest.Git(b, benchRepo.dir, "-c", "gpg.format=ssh", "-c", "user.signingkey="+key.Private,
			"commit-tree", "-S", "-p", parent, "-m", fmt.Sprintf("Signed change %d", i), tree))
		benchRepo.signed = append(benchRepo.signed, parent)
	}
	return signers
}

// copyDir copies the regular files and directories of src to dst.
func copyDir(b *testing.B, src, dst string) {
	b.Helper()
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
	if err != nil {
		b.Fatal(err)
	}
}
