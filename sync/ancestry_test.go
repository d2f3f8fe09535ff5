package sync

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/sluice-gitops/sluice/sync/gittest"
)

// openGitDir opens the git directory dir as a mirror, with its
// commit-graph if git wrote one.
func openGitDir(t *testing.T, dir string) *mirror {
	t.Helper()
	m, err := openMirror(dir, "https://example.com/unused.git")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.close() })
	return m
}

func revList(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	return strings.Fields(gittest.Git(t, dir, append([]string{"rev-list"}, args...)...))
}

func sortedHashes(set hashSet) []string {
	var out []string
	for h := range maps.Keys(set) {
		out = append(out, h.String())
	}
	slices.Sort(out)
	return out
}

// checkPaint compares paint with git: base..head and merge-base
// --is-ancestor.
func checkPaint(t *testing.T, m *mirror, dir, head, base string) span {
	t.Helper()
	sp, err := paint(m.nodes, plumbing.NewHash(head), plumbing.NewHash(base))
	if err != nil {
		t.Fatal(err)
	}
	descends := exec.Command("git", "-C", dir, "merge-base", "--is-ancestor", base, head).Run() == nil
	if sp.descends != descends {
		t.Errorf("paint(%.7s, %.7s).descends = %v, git says %v", head, base, sp.descends, descends)
	}
	if !descends {
		return sp
	}
	want := revList(t, dir, base+".."+head)
	slices.Sort(want)
	if got := sortedHashes(sp.inside); !slices.Equal(got, want) {
		t.Errorf("paint(%.7s, %.7s).inside = %.7s, git rev-list says %.7s", head, base, got, want)
	}
	return sp
}

// A history with merges of old side branches: paint finds what git finds,
// exactly (by generation numbers) once git wrote a commit-graph.
func TestPaintMatchesGit(t *testing.T) {
	t.Parallel()
	repo := gittest.NewRepo(t, "")
	c := map[string]string{}
	commit := func(name string) { repo.WriteFile(name, name); c[name] = repo.Commit(name) }
	for _, n := range []string{"c1", "c2", "c3"} {
		commit(n)
	}
	repo.Git("checkout", "--quiet", "-b", "side", c["c1"])
	commit("s1")
	commit("s2")
	repo.Git("checkout", "--quiet", gittest.Branch)
	commit("c4")
	repo.Git("merge", "--quiet", "--no-edit", "side")
	c["m1"] = repo.Head()
	commit("c5")
	repo.Git("checkout", "--quiet", "side")
	commit("s3")
	dir := filepath.Join(repo.Dir, ".git")
	pairs := [][2]string{
		{"c5", "c4"}, {"c5", "c3"}, {"c5", "s1"}, {"c5", "c1"}, {"m1", "s2"},
		{"s3", "c4"}, {"s3", "s2"}, {"c3", "c5"}, {"c5", "c5"}, {"s1", "c2"},
	}
	for _, graph := range []bool{false, true} {
		if graph {
			gittest.Git(t, repo.Dir, "commit-graph", "write", "--reachable")
		}
		m := openGitDir(t, dir)
		if (m.graph != nil) != graph {
			t.Fatalf("commit-graph opened = %v, want %v", m.graph != nil, graph)
		}
		for _, p := range pairs {
			sp := checkPaint(t, m, dir, c[p[0]], c[p[1]])
			if len(sp.inside) > 0 && sp.exact != graph {
				t.Errorf("paint(%s, %s).exact = %v with commit-graph %v", p[0], p[1], sp.exact, graph)
			}
		}
	}
}

// fastImport runs git fast-import in the bare repository dir with the
// stream that write makes.
func fastImport(t *testing.T, dir string, write func(*strings.Builder)) {
	t.Helper()
	var stream strings.Builder
	write(&stream)
	cmd := exec.Command("git", "--git-dir="+dir, "fast-import", "--quiet")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stdin = strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v: %s", err, out)
	}
}

// importCommit writes one commit of branch ref to the fast-import stream:
// mark n, at when, after mark from (0: a root commit).
func importCommit(w *strings.Builder, ref string, n, from int, when time.Time) {
	msg := fmt.Sprintf("Commit %d", n)
	fmt.Fprintf(w, "commit %s\nmark :%d\ncommitter C <c@example.com> %d +0000\ndata %d\n%s\n", ref, n, when.Unix(), len(msg), msg)
	if from > 0 {
		fmt.Fprintf(w, "from :%d\n", from)
	}
	fmt.Fprintf(w, "M 100644 inline f\ndata %d\n%s\n", len(msg), msg)
}

// boundedRepo is a bare repository with 300 commits on main, one an hour
// (12.5 days); fork: 3 commits on commit 280; skewed: a commit on main
// dated a month before it; old: an unrelated history of 300 commits a
// month before main; new: an unrelated history of 300 commits made after
// main.
func boundedRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo.git")
	gittest.Git(t, t.TempDir(), "init", "--quiet", "--bare", "--initial-branch=main", dir)
	fastImport(t, dir, func(w *strings.Builder) {
		hour := func(i int) time.Time { return gittest.Epoch.Add(time.Duration(i) * time.Hour) }
		for i := 1; i <= 300; i++ {
			importCommit(w, "refs/heads/main", i, i-1, hour(i))
		}
		// after is mark from, or none for the first commit of a branch.
		after := func(first, from int) int { return map[bool]int{true: first, false: from}[from%1000 == 0] }
		for i := 1; i <= 3; i++ {
			importCommit(w, "refs/heads/fork", 1000+i, after(280, 1000+i-1), hour(300+i))
		}
		importCommit(w, "refs/heads/skewed", 1100, 300, hour(-30*24))
		for i := 1; i <= 300; i++ {
			importCommit(w, "refs/heads/old", 2000+i, after(0, 2000+i-1), hour(i-30*24))
			importCommit(w, "refs/heads/new", 3000+i, after(0, 3000+i-1), hour(300+i))
		}
	})
	return dir
}

// A sync after a restart reads the commits between head and the applied
// commit; a head that does not descend from it, those down to where the
// histories meet, or with a commit-graph no further than generation numbers
// allow.
func TestPaintIsBounded(t *testing.T) {
	t.Parallel()
	dir := boundedRepo(t)
	main := revList(t, dir, "--reverse", "main") // main[i] is commit i+1
	tip := func(ref string) string { return revList(t, dir, "-1", ref)[0] }
	cases := []struct {
		name, head, base string
		graph            bool
		max              int // commits read at most
	}{
		{"fast-forward", main[299], main[289], false, 13},
		{"force-push", tip("fork"), main[299], false, 3 + 22},
		{"branch went back", main[249], main[299], false, 52},
		// Exact: the walk goes on while the head's side has commits
		// the base's has not met, the whole of both histories here.
		{"unrelated history", tip("old"), main[299], false, 600},
		// Times do not cut a fast-forward short.
		{"fast-forward dated before the base", tip("skewed"), main[299], false, 302},
		// Generation numbers tell at once.
		{"unrelated newer history, commit-graph", tip("new"), main[299], true, 2},
		{"unrelated history, commit-graph", tip("old"), main[299], true, 2},
		{"force-push, commit-graph", tip("fork"), main[299], true, 3 + 22},
	}
	for _, tc := range cases {
		if tc.graph {
			gittest.Git(t, dir, "commit-graph", "write", "--reachable")
		}
		m := openGitDir(t, dir)
		sp := checkPaint(t, m, dir, tc.head, tc.base)
		if sp.visited > tc.max {
			t.Errorf("%s: read %d commits, want at most %d", tc.name, sp.visited, tc.max)
		}
		t.Logf("%s: read %d commits", tc.name, sp.visited)
	}
}

// A committer time older than its parent's can put an ancestor of the
// applied commit in the span found by time. Such a span is inexact, and
// one that would refuse commits is checked against the whole history of
// the applied commit first: an unsigned commit the applied one brought,
// vouched for by verify.since, does not refuse the next head. Nor is a
// head dated a month before the applied commit taken for a force-push.
func TestSkewedTimesKeepVerification(t *testing.T) {
	t.Parallel()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("gw.yaml", "v: 1\n")
	repo.Git("add", "--all")
	tree := strings.TrimSpace(repo.Git("write-tree"))
	key := gittest.NewSSHKey(t)
	at := func(hours int, signed bool, msg string, parents ...string) string {
		args := []string{"commit-tree", "-m", msg}
		if signed {
			args = append(args, "-S")
		}
		for _, p := range parents {
			args = append(args, "-p", p)
		}
		date := "GIT_COMMITTER_DATE=" + gittest.Epoch.Add(time.Duration(hours)*time.Hour).Format(time.RFC3339)
		return strings.TrimSpace(repo.GitSigned(key, []string{date}, append(args, tree)...))
	}
	push := func(sha string) { repo.Git("reset", "--quiet", "--hard", sha); repo.Push() }
	r := at(0, true, "R")
	x := at(10, false, "X, unsigned", r)
	s := at(1, true, "S, dated before its parent X", x)
	m := at(20, true, "M", at(15, true, "P", r), s)
	push(m)
	signers := filepath.Join(t.TempDir(), "allowed_signers")
	if err := os.WriteFile(signers, []byte(key.AllowedSigner("ada@example.com", "")), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := NewGitSource(GitConfig{
		URL: server.URL(), Dir: filepath.Join(t.TempDir(), "git"), VerifySince: x, SSHAllowedSigners: signers,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantSync(t, src, m)

	h := at(40, true, "H", m, at(30, true, "Y", x))
	push(h)
	wantSync(t, src, h)
	if rej := src.TakeRejections(); len(rej) != 0 {
		t.Errorf("rejections = %v, want none", rej)
	}
	// The span by time holds X: the check above needed the exact history.
	sp, err := paint(src.m.nodes, plumbing.NewHash(h), plumbing.NewHash(m))
	if err != nil || !sp.descends || sp.exact || !sp.inside.has(plumbing.NewHash(x)) {
		t.Errorf("paint(H, M) = descends %v, exact %v, X inside %v, %v; want true, false, true", sp.descends, sp.exact, sp.inside.has(plumbing.NewHash(x)), err)
	}

	early := at(-30*24, true, "Dated a month before its parent", h)
	push(early)
	wantSync(t, src, early)
	if rej := src.TakeRejections(); len(rej) != 0 {
		t.Errorf("rejections = %v, want none", rej)
	}
}

func wantSync(t *testing.T, src *GitSource, sha string) {
	t.Helper()
	rev, changed, err := src.Sync(t.Context())
	if err != nil || !changed || rev.SHA != sha || rev.Verification.Result != Verified {
		t.Fatalf("Sync = %.7s, %v, %s, %v; want %.7s verified", rev.SHA, changed, rev.Verification.Result, err, sha)
	}
}
