package gittest

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Branch is the default branch of every repository this package creates.
const Branch = "main"

// Fixed identity of every commit made by a Repo.
const (
	AuthorName     = "Ada Author"
	AuthorEmail    = "ada@example.com"
	CommitterName  = "Carl Committer"
	CommitterEmail = "carl@example.com"
)

// Epoch is the author and committer time of a Repo's first commit; each
// later commit is one minute after the previous one.
var Epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// Server serves one bare repository over HTTP (smart protocol, fetch and
// push).
type Server struct {
	// Dir is the bare repository on disk. Pushing to it directly is the
	// same as pushing over HTTP.
	Dir     string
	ts      *httptest.Server
	fetches atomic.Int64
}

// NewServer creates an empty bare repository in t.TempDir() and serves it
// until the test ends.
func NewServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	var cfg serverConfig
	for _, o := range opts {
		o(&cfg)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "repo.git")
	Git(t, root, "init", "--quiet", "--bare", "--initial-branch="+Branch, dir)
	Git(t, dir, "config", "http.receivepack", "true")

	h := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(Git(t, root, "--exec-path")), "git-http-backend"),
		Dir:  root,
		Env: append(hermeticEnv(),
			"GIT_PROJECT_ROOT="+root,
			"GIT_HTTP_EXPORT_ALL=1",
		),
	}
	s := &Server{Dir: dir}
	s.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cfg.authorized(w, r) {
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-upload-pack") {
			s.fetches.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.ts.Close)
	return s
}

// Fetches is the number of object negotiations (POST git-upload-pack)
// served so far; listing refs alone does not count.
func (s *Server) Fetches() int {
	return int(s.fetches.Load())
}

// URL is the clone URL of the repository, e.g. http://127.0.0.1:1234/repo.git.
func (s *Server) URL() string {
	return s.ts.URL + "/repo.git"
}

// Repo is a non-bare work tree whose commits go to Branch.
type Repo struct {
	// Dir is the work tree.
	Dir    string
	t      testing.TB
	remote string
	n      int // commits made, for their times
}

// NewRepo creates an empty work tree in t.TempDir(). Push sends its commits
// to remote, a URL or the path of a bare repository such as Server.Dir; an
// empty remote means the Repo cannot push.
func NewRepo(t testing.TB, remote string) *Repo {
	t.Helper()
	dir := t.TempDir()
	Git(t, dir, "init", "--quiet", "--initial-branch="+Branch)
	return &Repo{Dir: dir, t: t, remote: remote}
}

// WriteFile writes content to the slash-separated path name in the work
// tree, creating parent directories.
func (r *Repo) WriteFile(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Remove deletes the slash-separated path name (a file or a directory)
// from the work tree.
func (r *Repo) Remove(name string) {
	r.t.Helper()
	if err := os.RemoveAll(filepath.Join(r.Dir, filepath.FromSlash(name))); err != nil {
		r.t.Fatal(err)
	}
}

// Commit stages every change in the work tree, commits it with message msg
// and returns the new commit's SHA. The author and committer times are
// Epoch plus one minute per earlier commit of this Repo.
func (r *Repo) Commit(msg string) string {
	r.t.Helper()
	when := r.When(r.n)
	r.n++
	r.Git("add", "--all")
	date := when.Format(time.RFC3339)
	r.run([]string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date},
		"commit", "--quiet", "--allow-empty", "-m", msg)
	return r.Head()
}

// When is the author and committer time of this Repo's i-th commit
// (counting from 0).
func (r *Repo) When(i int) time.Time {
	return Epoch.Add(time.Duration(i) * time.Minute)
}

// Head returns the SHA of the work tree's HEAD commit.
func (r *Repo) Head() string {
	r.t.Helper()
	return strings.TrimSpace(r.Git("rev-parse", "HEAD"))
}

// Push force-pushes HEAD to Branch of the remote given to NewRepo.
func (r *Repo) Push() {
	r.t.Helper()
	if r.remote == "" {
		r.t.Fatal("gittest: Push on a Repo without remote")
	}
	r.Git("push", "--quiet", "--force", r.remote, "HEAD:refs/heads/"+Branch)
}

// Git runs git with args in the work tree and returns its standard output.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return r.run(nil, args...)
}

func (r *Repo) run(env []string, args ...string) string {
	r.t.Helper()
	return run(r.t, r.Dir, env, args...)
}

// Git runs git with args in dir with the hermetic environment and returns
// its standard output; it calls t.Fatal with the combined output when git
// fails.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, nil, args...)
}

func run(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(environ(), hermeticEnv()...), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// environ is the process environment without GIT_* variables, which could
// point git at another repository.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") {
			env = append(env, kv)
		}
	}
	return env
}

// hermeticEnv keeps the user's and the system's git configuration out and
// fixes the identity of commits.
func hermeticEnv() []string {
	return []string{
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=" + AuthorName,
		"GIT_AUTHOR_EMAIL=" + AuthorEmail,
		"GIT_COMMITTER_NAME=" + CommitterName,
		"GIT_COMMITTER_EMAIL=" + CommitterEmail,
		"LC_ALL=C",
	}
}
