package reconcile_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluice-gitops/sluice/serve/reconcile"
	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
	"github.com/sluice-gitops/sluice/translate"
)

// routing is a GatewayClass, a Gateway and an HTTPRoute to a Backend on
// port: one revision of a routing repository.
func routing(port int) string {
	return fmt.Sprintf(`apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 8080}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: backend}
spec:
  parentRefs: [{name: eg}]
  rules: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: backend}]}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: backend}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: %d}}]
`, port)
}

// world is a Git server with a work tree that pushes to it, and a data
// directory that sluices are started on, one after the other.
type world struct {
	t       *testing.T
	server  *gittest.Server
	repo    *gittest.Repo
	dataDir string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	server := gittest.NewServer(t)
	return &world{t: t, server: server, repo: gittest.NewRepo(t, server.Dir), dataDir: t.TempDir()}
}

// commit pushes a commit whose routing file holds content.
func (w *world) commit(msg, content string) string {
	w.repo.WriteFile("routing.yaml", content)
	sha := w.repo.Commit(msg)
	w.repo.Push()
	return sha
}

// remoteDown makes fetches fail until the returned function is called.
func (w *world) remoteDown() (up func()) {
	w.t.Helper()
	gone := w.server.Dir + ".gone"
	if err := os.Rename(w.server.Dir, gone); err != nil {
		w.t.Fatal(err)
	}
	return func() {
		if err := os.Rename(gone, w.server.Dir); err != nil {
			w.t.Fatal(err)
		}
	}
}

// sluice is a revision state machine and a reconciler on the world's data
// directory, as sluice serve wires them.
type sluice struct {
	state *revisions.History
	rec   *reconcile.Reconciler
}

// start starts a sluice; it is closed when the test ends, or by stop.
func (w *world) start() *sluice {
	w.t.Helper()
	return w.startWith(translate.Options{}, nil)
}

// startWith starts a sluice translating with opts, its source wrapped by
// wrap when it is not nil.
func (w *world) startWith(opts translate.Options, wrap func(gitsync.Source) gitsync.Source) *sluice {
	w.t.Helper()
	log := slog.New(slog.DiscardHandler)
	src, err := gitsync.NewGitSource(gitsync.GitConfig{
		URL: w.server.URL(), Dir: filepath.Join(w.dataDir, "git"), InsecureSkipVerify: true,
	}, log)
	if err != nil {
		w.t.Fatal(err)
	}
	state, err := revisions.New(revisions.Options{Logger: log, DataDir: w.dataDir})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { state.Close() })
	var source gitsync.Source = src
	if wrap != nil {
		source = wrap(src)
	}
	return &sluice{state: state, rec: reconcile.New(reconcile.Options{Source: source, History: state, Logger: log, Translate: opts})}
}

func (s *sluice) stop(t *testing.T) {
	t.Helper()
	if err := s.state.Close(); err != nil {
		t.Fatal(err)
	}
}

// served fails the test unless sha is served in state want.
func (s *sluice) served(t *testing.T, sha string, want revisions.State) {
	t.Helper()
	if got := s.state.AppliedSHA(); got != sha {
		t.Fatalf("served %.12s, want %.12s", got, sha)
	}
	if rec := s.state.Revision(sha); rec == nil || rec.State != want {
		t.Fatalf("record of %.12s = %+v, want state %s", sha, rec, want)
	}
}

// state returns the state of the newest record of sha.
func (s *sluice) stateOf(t *testing.T, sha string) revisions.State {
	t.Helper()
	rec := s.state.Revision(sha)
	if rec == nil {
		t.Fatalf("no record of %.12s", sha)
	}
	return rec.State
}
