package sync

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"

	"github.com/sluice-gitops/sluice/sync/gittest"
)

// lockedBuffer is a log destination safe for the progress watcher's
// goroutine.
type lockedBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestFetchProgress: a first clone of a repository of 2 MiB logs progress
// lines with the remote's messages, and a last line with the bytes the
// pack took.
func TestFetchProgress(t *testing.T) {
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	for i := range 64 {
		b := make([]byte, 32<<10)
		rand.Read(b)
		repo.WriteFile(fmt.Sprintf("blobs/%02d.txt", i), hex.EncodeToString(b)) // 64 KiB of text
	}
	repo.Commit("big")
	repo.Push()
	var logs lockedBuffer
	src, err := NewGitSource(GitConfig{URL: server.URL(), Dir: filepath.Join(t.TempDir(), "git"), InsecureSkipVerify: true, ProgressInterval: 1},
		slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	var progress, done int
	var remote string
	for _, l := range logs.lines(t) {
		switch l["msg"] {
		case "fetch in progress":
			progress++
			if r, _ := l["remote"].(string); strings.Contains(r, "objects") {
				remote = r
			}
		case "fetch done":
			done++
			if r, _ := l["received"].(string); !strings.HasSuffix(r, " MiB") {
				t.Errorf("fetch done: received %q, want about 2 MiB", r)
			}
		}
	}
	if progress == 0 || done != 1 || remote == "" {
		t.Errorf("%d progress lines, %d done lines, remote message %q:\n%s", progress, done, remote, logs.buf.String())
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}
