package reconcile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
)

// TestLastGoodWins: a revision whose YAML does not parse and a remote that
// cannot be reached are recorded, and what was served keeps serving.
func TestLastGoodWins(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.start()
	good := w.commit("good", routing(3000))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.served(t, good, revisions.StateApplied)

	bad := w.commit("bad", "kind: [unclosed\n")
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatalf("a bad revision is not a failed sync: %v", err)
	}
	if got := s.stateOf(t, bad); got != revisions.StateRejected {
		t.Errorf("bad revision %s, want rejected", got)
	}
	s.served(t, good, revisions.StateApplied)

	up := w.remoteDown()
	if err := s.rec.SyncOnce(t.Context()); err == nil {
		t.Fatal("sync with the remote down succeeded")
	}
	s.served(t, good, revisions.StateApplied)
	up()

	fixed := w.commit("fixed", routing(3001))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.served(t, fixed, revisions.StateApplied)
	if err := s.rec.SyncOnce(t.Context()); err != nil || len(s.state.Revisions()) != 3 {
		t.Errorf("a sync that finds nothing new recorded something: %v, %d records", err, len(s.state.Revisions()))
	}
}

// TestRestartServesFromMirror: after a restart, the revision served before
// is served again from the local mirror while the remote is down, without
// a new record; the next sync takes newer commits.
func TestRestartServesFromMirror(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.start()
	w.commit("first", routing(3000))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	second := w.commit("second", routing(3001))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.stop(t)

	up := w.remoteDown()
	s = w.start()
	if s.state.Ready() {
		t.Fatal("ready before anything was restored")
	}
	if !s.rec.Restore() {
		t.Fatal("Restore served nothing")
	}
	s.served(t, second, revisions.StateApplied)
	if n := len(s.state.Revisions()); n != 2 {
		t.Errorf("restore made a new record: %d records", n)
	}
	if err := s.rec.SyncOnce(t.Context()); err == nil {
		t.Fatal("sync with the remote down succeeded")
	}
	s.served(t, second, revisions.StateApplied)
	up()

	third := w.commit("third", routing(3002))
	if err := s.rec.SyncOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	s.served(t, third, revisions.StateApplied)
}

// TestRestoreNothing: a new data directory restores nothing.
func TestRestoreNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if s := w.start(); s.rec.Restore() || s.state.Ready() {
		t.Fatal("a new data directory restored a revision")
	}
}

// TestRollbackPinUnpin: a rollback reads an older commit again, serves and
// pins it; newer commits wait as pending; unpinning serves the newest of
// them; the pin survives a restart. Unknown and untranslatable commits
// are refused with the errors the admin API maps.
func TestRollbackPinUnpin(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.start()
	first := w.commit("first", routing(3000))
	s.rec.SyncOnce(t.Context())
	bad := w.commit("bad", "kind: [unclosed\n")
	s.rec.SyncOnce(t.Context())
	second := w.commit("second", routing(3001))
	s.rec.SyncOnce(t.Context())
	s.served(t, second, revisions.StateApplied)

	if _, err := s.rec.Rollback("0123456789abcdef"); !errors.Is(err, gitsync.ErrUnknownRevision) {
		t.Errorf("rollback to an unknown commit: %v, want ErrUnknownRevision", err)
	}
	if _, err := s.rec.Rollback(bad); !errors.Is(err, revisions.ErrInvalidRevision) {
		t.Errorf("rollback to a commit that does not parse: %v, want ErrInvalidRevision", err)
	}
	if _, err := s.rec.Unpin(); !errors.Is(err, revisions.ErrNotPinned) {
		t.Errorf("unpin without a pin: %v, want ErrNotPinned", err)
	}

	rec, err := s.rec.Rollback(first[:10])
	if err != nil || rec.SHA != first || rec.State != revisions.StatePinned {
		t.Fatalf("Rollback = %+v, %v", rec, err)
	}
	third := w.commit("third", routing(3002))
	s.rec.SyncOnce(t.Context())
	if got := s.stateOf(t, third); got != revisions.StatePending {
		t.Errorf("commit while pinned is %s, want pending", got)
	}
	s.served(t, first, revisions.StatePinned)

	s.stop(t)
	s = w.start()
	if !s.rec.Restore() {
		t.Fatal("Restore served nothing")
	}
	s.served(t, first, revisions.StatePinned)
	s.rec.SyncOnce(t.Context())
	s.served(t, first, revisions.StatePinned)

	if rec, err := s.rec.Unpin(); err != nil || rec.SHA != third {
		t.Fatalf("Unpin = %+v, %v; want %.12s served", rec, err, third)
	}
	s.served(t, third, revisions.StateApplied)
}

// TestDiff: the diff of two commits names the resource that changed; one
// of a commit that is not in the mirror says so.
func TestDiff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.start()
	first := w.commit("first", routing(3000))
	s.rec.SyncOnce(t.Context())
	second := w.commit("second", routing(3001))
	s.rec.SyncOnce(t.Context())
	// A fresh sluice translates both again: nothing is in its cache.
	s.stop(t)
	s = w.start()
	s.rec.SyncOnce(context.Background())
	d, err := s.rec.Diff(first[:8], second)
	if err != nil {
		t.Fatal(err)
	}
	if d.FromSHA != first || d.ToSHA != second || len(d.Gateways) != 1 || len(d.Gateways[0].Resources) != 1 ||
		!strings.Contains(d.Gateways[0].Resources[0].Diff, "+          portValue: 3001") {
		t.Errorf("diff = %+v", d)
	}
	if _, err := s.rec.Diff(first, "0123456789abcdef"); !errors.Is(err, gitsync.ErrUnknownRevision) {
		t.Errorf("diff with an unknown commit: %v", err)
	}
}

// TestRollbackByRef: a rollback names its revision by history number, by
// a ref of the branch resolved in the mirror (HEAD and the branch's name
// are its tip) or by SHA prefix; a number that is not in the history is
// unknown.
func TestRollbackByRef(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.start()
	shas := w.history(t, s, 3000, 3001, 3002)
	first, second := shas[0], shas[1]
	for ref, want := range map[string]string{"#1": first, "2": second, "HEAD~1": second, "main~2": first, "HEAD^": second, first[:9]: first} {
		rec, err := s.rec.Rollback(ref)
		if err != nil || rec.SHA != want {
			t.Errorf("Rollback(%q) = %+v, %v; want %.12s", ref, rec, err, want)
		}
	}
	for _, ref := range []string{"#99", "HEAD~7", "other~1"} {
		if _, err := s.rec.Rollback(ref); !errors.Is(err, gitsync.ErrUnknownRevision) {
			t.Errorf("Rollback(%q): %v, want ErrUnknownRevision", ref, err)
		}
	}
}

// history commits and syncs one revision for each backend port, in
// order, and returns their SHAs.
func (w *world) history(t *testing.T, s *sluice, ports ...int) []string {
	t.Helper()
	var shas []string
	for i, p := range ports {
		shas = append(shas, w.commit(fmt.Sprintf("commit %d", i+1), routing(p)))
		if err := s.rec.SyncOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return shas
}
