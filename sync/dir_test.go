package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	gitsync "github.com/sluice-gitops/sluice/sync"
)

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dirSync(t *testing.T, d *gitsync.DirSource) (gitsync.Revision, bool) {
	t.Helper()
	rev, changed, err := d.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rev, changed
}

func newDirSource(t *testing.T, paths ...string) *gitsync.DirSource {
	t.Helper()
	d, err := gitsync.NewDirSource(gitsync.DirConfig{Paths: paths}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirSourceChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gw.yaml"), "kind: Gateway\n")
	writeFile(t, filepath.Join(dir, "routes/r.yaml"), "kind: HTTPRoute\n")
	writeFile(t, filepath.Join(dir, ".git/config"), "[core]\n")
	writeFile(t, filepath.Join(dir, ".hidden.yaml"), "x")
	d := newDirSource(t, dir)

	rev, changed := dirSync(t, d)
	if !changed || rev.Source != gitsync.SourceDir || len(rev.SHA) != 40 || rev.Root != dir {
		t.Errorf("first Sync = %+v, changed %v", rev, changed)
	}
	if got, want := files(t, rev.FS), []string{"gw.yaml", "routes/r.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if err := fstest.TestFS(rev.FS, "gw.yaml", "routes/r.yaml"); err != nil {
		t.Error(err)
	}
	if !strings.HasPrefix(rev.String(), "dir@sha1:") {
		t.Errorf("String() = %q", rev.String())
	}

	if again, changed := dirSync(t, d); changed || again.SHA != rev.SHA {
		t.Errorf("unchanged Sync = %s, changed %v", again.SHA, changed)
	}
	writeFile(t, filepath.Join(dir, ".git/HEAD"), "ref: refs/heads/main\n")
	if _, changed := dirSync(t, d); changed {
		t.Error("a change under .git changed the revision")
	}

	writeFile(t, filepath.Join(dir, "gw.yaml"), "kind: Gateway\nname: v2\n")
	rev2, changed := dirSync(t, d)
	if !changed || rev2.SHA == rev.SHA {
		t.Errorf("Sync after edit = %s, changed %v", rev2.SHA, changed)
	}
	if got := readFile(t, rev2.FS, "gw.yaml"); got != "kind: Gateway\nname: v2\n" {
		t.Errorf("gw.yaml = %q", got)
	}
	if got := readFile(t, rev.FS, "gw.yaml"); got != "kind: Gateway\n" {
		t.Errorf("first revision's gw.yaml = %q", got)
	}

	// Moving content to another file is a change.
	if err := os.Rename(filepath.Join(dir, "routes/r.yaml"), filepath.Join(dir, "routes/s.yaml")); err != nil {
		t.Fatal(err)
	}
	if rev3, changed := dirSync(t, d); !changed || rev3.SHA == rev2.SHA {
		t.Errorf("Sync after rename = %s, changed %v", rev3.SHA, changed)
	}
}

func TestDirSourceMultiplePaths(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a/config/x.yaml"), "x")
	writeFile(t, filepath.Join(root, "b/config/y.yaml"), "y")
	writeFile(t, filepath.Join(root, "c/gw.yaml"), "gw")
	writeFile(t, filepath.Join(root, "d/gw.yaml"), "gw2")
	d := newDirSource(t, filepath.Join(root, "a/config"), filepath.Join(root, "b/config"),
		filepath.Join(root, "c/gw.yaml"), filepath.Join(root, "d/gw.yaml"))

	rev, _ := dirSync(t, d)
	want := []string{"config/x.yaml", "config-1/y.yaml", "gw-3.yaml", "gw.yaml"}
	if got := files(t, rev.FS); !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if err := fstest.TestFS(rev.FS, want...); err != nil {
		t.Error(err)
	}
	if !strings.Contains(rev.Root, filepath.Join(root, "b/config")) {
		t.Errorf("Root = %q does not name every path", rev.Root)
	}
}

func TestDirSourceSingleFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	writeFile(t, file, "kind: Gateway\n")
	rev, changed := dirSync(t, newDirSource(t, file))
	if !changed {
		t.Error("changed = false")
	}
	if got := files(t, rev.FS); !slices.Equal(got, []string{"gateway.yaml"}) {
		t.Errorf("files = %q", got)
	}
}

func TestDirSourceMissingPath(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	_, _, err := newDirSource(t, missing).Sync(context.Background())
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("err = %v, want it to name %s", err, missing)
	}
}
