package sync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gitsync "github.com/sluice-gitops/sluice/sync"
)

// A DirSource applies the same rules as a GitSource: .sluiceignore hides,
// links inside are followed, links outside and large files reject.
func TestDirSourceFileRules(t *testing.T) {
	t.Parallel()
	outsideDir := t.TempDir()
	writeFile(t, filepath.Join(outsideDir, "secret.yaml"), "kind: Secret\n")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".sluiceignore"), "*.draft.yaml\nscratch/\n")
	writeFile(t, filepath.Join(dir, "gw.yaml"), "kind: Gateway\n")
	writeFile(t, filepath.Join(dir, "gw.draft.yaml"), "kind: Draft\n")
	writeFile(t, filepath.Join(dir, "scratch/big.yaml"), strings.Repeat("x", 500))
	if err := os.Symlink("gw.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	d, err := gitsync.NewDirSource(gitsync.DirConfig{Paths: []string{dir}, MaxFileSize: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rev, _ := dirSync(t, d)
	if got, want := files(t, rev.FS), []string{"gw.yaml", "link.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
	if got := readFile(t, rev.FS, "link.yaml"); got != "kind: Gateway\n" {
		t.Errorf("link.yaml = %q", got)
	}

	writeFile(t, filepath.Join(dir, "routes/huge.yaml"), strings.Repeat("x", 101))
	if err := os.Symlink(filepath.Join(outsideDir, "secret.yaml"), filepath.Join(dir, "routes/secret.yaml")); err != nil {
		t.Fatal(err)
	}
	_, _, err = d.Sync(context.Background())
	if !errors.Is(err, gitsync.ErrFileTooLarge) || !errors.Is(err, gitsync.ErrSymlinkOutside) {
		t.Fatalf("err = %v, want ErrFileTooLarge and ErrSymlinkOutside", err)
	}
	for _, m := range []string{"routes/huge.yaml is 101 bytes, over the limit of 100 bytes", "routes/secret.yaml points to", dir} {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("err = %v, want it to hold %q", err, m)
		}
	}
}
