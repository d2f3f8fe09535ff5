package reconcile_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// bomb is a ConfigMap with a 64 KiB string behind 200 aliases: 13 MB
// once expanded, 64 KiB on disk.
func bomb() string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a: &big \"" +
		strings.Repeat("x", 64<<10) + "\"\n  list: [" + strings.Repeat("*big,", 199) + "*big]\n"
}

// countingSource counts VerifiedRevision calls, and holds them while gate
// is set: each call signals entered and waits for release.
type countingSource struct {
	gitsync.Source
	calls   atomic.Int32
	gate    atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (c *countingSource) VerifiedRevision(sha string) (gitsync.Revision, error) {
	c.calls.Add(1)
	if c.gate.Load() {
		c.entered <- struct{}{}
		<-c.release
	}
	return c.Source.VerifiedRevision(sha)
}

// TestHostileRevisionOverLimits: a commit over the revision limits is
// rejected naming its file and the limit, the previous revision keeps
// serving, and a diff or rollback to it is refused from the kept result,
// without reading it again.
func TestHostileRevisionOverLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	src := &countingSource{}
	s := w.startWith(translate.Options{Limits: translate.Limits{ExpandedBytes: 4 << 20}}, func(g gitsync.Source) gitsync.Source {
		src.Source = g
		return src
	})
	good := w.commit("good", routing(3000))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.repo.WriteFile("bomb.yaml", bomb())
	hostile := w.repo.Commit("hostile")
	w.repo.Push()
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.served(t, good, revisions.StateApplied)
	rec := s.state.Revision(hostile)
	if rec == nil || rec.State != revisions.StateRejected || !strings.Contains(rec.Reason, "bomb.yaml") || !strings.Contains(rec.Reason, "limits.expandedBytes") {
		t.Fatalf("hostile revision recorded as %+v; want rejected naming bomb.yaml and limits.expandedBytes", rec)
	}
	for range 3 {
		if _, err := s.rec.Diff(good, hostile); !errors.Is(err, revisions.ErrInvalidRevision) || !strings.Contains(err.Error(), "limits.expandedBytes") {
			t.Fatalf("diff to the hostile revision: %v", err)
		}
	}
	if _, err := s.rec.Rollback(hostile); !errors.Is(err, revisions.ErrInvalidRevision) {
		t.Fatalf("rollback to the hostile revision: %v", err)
	}
	if n := src.calls.Load(); n != 0 {
		t.Errorf("the hostile revision was read %d times again; its rejection is kept", n)
	}
	s.served(t, good, revisions.StateApplied)
}

// TestConcurrentDiffRefused: while a diff reads a revision that is not
// kept, another diff that must read one is refused (ErrBusy), not queued;
// once the first is done its result is kept and diffs read nothing.
func TestConcurrentDiffRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	src := &countingSource{entered: make(chan struct{}), release: make(chan struct{})}
	s := w.startWith(translate.Options{}, func(g gitsync.Source) gitsync.Source {
		src.Source = g
		return src
	})
	a := w.commit("a", routing(3000))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	b := w.commit("b", routing(3001)) // fetched with c, never translated
	w.commit("c", routing(3002))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	src.gate.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := s.rec.Diff(a, b)
		done <- err
	}()
	<-src.entered
	if _, err := s.rec.Diff(a, b); !errors.Is(err, revisions.ErrBusy) {
		t.Errorf("a second diff while one reads: %v; want ErrBusy", err)
	}
	src.gate.Store(false)
	close(src.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	calls := src.calls.Load()
	d, err := s.rec.Diff(a, b)
	if err != nil || len(d.Gateways) != 1 || src.calls.Load() != calls {
		t.Fatalf("diff after: %+v, %v, %d reads (before %d)", d, err, src.calls.Load(), calls)
	}
}
