package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the name of the lock in the data directory.
const LockFile = "lock"

// ErrLocked is returned by Lock when another process holds the data
// directory.
var ErrLocked = errors.New("datadir: the data directory is in use by another sluice process")

// Lock is an exclusive hold on a data directory.
type Lock struct {
	f *os.File
}

// Acquire creates dir if missing and takes an exclusive lock on dir/lock
// (flock), writing this process's id into it. It does not wait: when
// another process holds the lock, the error wraps ErrLocked and names that
// process's id, as it wrote it. The lock goes with the process (a crash or
// kill -9 releases it); Release releases it sooner.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by pid %s; one sluice runs per dataDir", ErrLocked, path, holder(path))
		}
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	// The pid is for people reading the error: the flock is the lock.
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(pid, 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("data dir lock %s: write pid: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// holder reads the pid the lock's holder wrote.
func holder(path string) string {
	b, err := os.ReadFile(path)
	if pid := strings.TrimSpace(string(b)); err == nil && pid != "" {
		return pid
	}
	return "(unknown: it has not written its pid yet)"
}

// Release gives the lock up. The file stays: removing it would let a
// process that opened it before lock a file no one else sees.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
