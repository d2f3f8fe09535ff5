package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	gitsync "github.com/sluice-gitops/sluice/sync"
)

// appliedFile holds the metadata of the last applied revision, so that a
// restart can serve it from the mirror before the remote answers.
const appliedFile = "applied.json"

// saveApplied writes the revision's metadata atomically (temp file + rename).
func saveApplied(dataDir string, rev gitsync.Revision) error {
	b, err := json.MarshalIndent(rev, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dataDir, appliedFile+".*")
	if err != nil {
		return fmt.Errorf("save applied revision: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save applied revision: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save applied revision: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dataDir, appliedFile))
}

// LastApplied returns the revision last applied by a server with this
// dataDir; ok is false when there is none.
func LastApplied(dataDir string) (rev gitsync.Revision, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, appliedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return rev, false, nil
	}
	if err != nil {
		return rev, false, fmt.Errorf("read applied revision: %w", err)
	}
	if err := json.Unmarshal(b, &rev); err != nil {
		return rev, false, fmt.Errorf("read %s: %w", filepath.Join(dataDir, appliedFile), err)
	}
	return rev, rev.SHA != "", nil
}
