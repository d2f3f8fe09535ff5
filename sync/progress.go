package sync

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"time"

	"github.com/sluice-gitops/sluice/sync/logtext"
)

// DefaultProgressInterval is the least time between two progress lines
// of one fetch.
const DefaultProgressInterval = 5 * time.Second

// maxProgressMessage bounds the remote's message kept in a progress line:
// it is text from the remote, logged.
const maxProgressMessage = 200

// fetchProgress logs a long fetch (a first clone, a big push) as it goes,
// at most once per interval: the bytes of the pack received so far (the
// size of go-git's temporary pack files in the mirror) and the last
// progress message of the remote ("Counting objects: 45% (450/1000)",
// "Total 1000 (delta 10)"), which arrives through the side band it writes
// to.
type fetchProgress struct {
	log      *slog.Logger
	packDir  string
	interval time.Duration
	start    time.Time

	// before are the pack files the mirror had before the fetch.
	before map[string]bool

	mu      gosync.Mutex
	last    time.Time // when the last line was logged
	message string    // the remote's last message
	lines   int
}

func newFetchProgress(log *slog.Logger, mirror string, interval time.Duration) *fetchProgress {
	if interval <= 0 {
		interval = DefaultProgressInterval
	}
	now := time.Now()
	p := &fetchProgress{log: log, packDir: filepath.Join(mirror, "objects", "pack"), interval: interval, start: now, last: now, before: map[string]bool{}}
	p.packs(func(name string, _ int64) { p.before[name] = true })
	return p
}

// packs calls f with the name and size of each file of the pack
// directory.
func (p *fetchProgress) packs(f func(name string, size int64)) {
	ents, _ := os.ReadDir(p.packDir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			f(e.Name(), fi.Size())
		}
	}
}

// Write takes the remote's progress messages, separated by "\r" or "\n".
func (p *fetchProgress) Write(b []byte) (int, error) {
	msgs := bytes.FieldsFunc(b, func(r rune) bool { return r == '\r' || r == '\n' })
	if len(msgs) == 0 {
		return len(b), nil
	}
	msg := strings.TrimSpace(string(msgs[len(msgs)-1]))
	p.mu.Lock()
	if msg != "" {
		p.message = logtext.Truncate(msg, maxProgressMessage)
	}
	p.mu.Unlock()
	p.maybeLog(false)
	return len(b), nil
}

// watch logs progress every interval until ctx is done, for a remote that
// sends no messages while it sends the pack.
func (p *fetchProgress) watch(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.maybeLog(false)
		}
	}
}

// done logs the end of a fetch that logged progress before.
func (p *fetchProgress) done() {
	p.maybeLog(true)
}

// maybeLog logs a progress line if interval has passed since the last
// one (or, at the end, if any was logged).
func (p *fetchProgress) maybeLog(end bool) {
	p.mu.Lock()
	now := time.Now()
	if end && p.lines == 0 || !end && now.Sub(p.last) < p.interval {
		p.mu.Unlock()
		return
	}
	p.last = now
	p.lines++
	msg := p.message
	p.mu.Unlock()
	what := "fetch in progress"
	if end {
		what = "fetch done"
	}
	p.log.Info(what, "received", byteSize(p.received(end)), "elapsed", now.Sub(p.start).Round(time.Millisecond), "remote", msg)
}

// received sums the temporary pack files being written and, at the end,
// the pack files the fetch added.
func (p *fetchProgress) received(end bool) int64 {
	var n int64
	p.packs(func(name string, size int64) {
		if strings.HasPrefix(name, "tmp_pack_") || end && !p.before[name] && strings.HasSuffix(name, ".pack") {
			n += size
		}
	})
	return n
}

// byteSize prints n bytes for a person: "512 B", "3.4 MiB".
func byteSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f, units := float64(n)/1024, "KMGTPE"
	for f >= 1024 && len(units) > 1 {
		f, units = f/1024, units[1:]
	}
	return fmt.Sprintf("%.1f %ciB", f, units[0])
}
