package sync_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// syncWithin runs src.Sync with a timeout and fails the test if it has not
// returned a minute after it: the timeout must interrupt it.
func syncWithin(t *testing.T, src *gitsync.GitSource, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := src.Sync(ctx)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout + time.Minute):
		t.Fatalf("Sync still runs a minute after its %s timeout", timeout)
	}
	return nil
}

// partialPacks lists the tmp_pack_* files of the mirror at dir.
func partialPacks(t *testing.T, dir string) []string {
	t.Helper()
	tmps, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "tmp_pack_*"))
	if err != nil {
		t.Fatal(err)
	}
	return tmps
}

// TestSyncTimeoutKillsHungUploadPack: a local remote whose upload-pack
// hangs (its pack-objects hook sleeps, holding stderr) is interrupted by
// the sync timeout, its processes are killed, and the next sync works.
func TestSyncTimeoutKillsHungUploadPack(t *testing.T) {
	repo := gittest.NewRepo(t, "")
	repo.WriteFile("a.yaml", "a: 1\n")
	repo.Commit("one")
	hook := gittest.HangUploadPack(t)
	src := newGitSource(t, repo.Dir, "")
	err := syncWithin(t, src, time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sync of a hung remote = %v, want the deadline", err)
	}
	if procs := processesOf(t, hook); len(procs) > 0 {
		t.Errorf("the hook still runs after the timeout: %v", procs)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	if rev, _ := syncOK(t, src); readFile(t, rev.FS, "a.yaml") != "a: 1\n" {
		t.Error("the sync after the hang read the wrong content")
	}
}

// processesOf lists the command lines of the running processes that name
// path.
func processesOf(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err == nil && strings.Contains(string(b), path) {
			out = append(out, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// TestSyncOnFullDisk: a mirror on a full file system (a 1 MiB tmpfs) fails
// the sync within its timeout, leaves no partial pack, and syncs once
// there is room.
func TestSyncOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root to mount a tmpfs")
		}
		t.Skip("needs root to mount a 1 MiB tmpfs: run the tests as root (CI does)")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	// Lazily: the source keeps pack files open.
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	repo := gittest.NewRepo(t, "")
	big := make([]byte, 4<<20) // random, so the pack stays 4 MiB
	rand.Read(big)
	repo.WriteFile("big.bin", string(big))
	repo.WriteFile("a.yaml", "a: 1\n")
	repo.Commit("too big for the mirror")
	src, err := gitsync.NewGitSource(gitsync.GitConfig{URL: repo.Dir, Dir: filepath.Join(mnt, "git"), InsecureSkipVerify: true, MaxFileSize: 8 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := syncWithin(t, src, 3*time.Second); err == nil {
		t.Fatal("Sync into a full mirror succeeded")
	}
	if tmps := partialPacks(t, filepath.Join(mnt, "git")); len(tmps) > 0 {
		t.Errorf("partial packs left: %v", tmps)
	}
	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow tmpfs: %v: %s", err, out)
	}
	if rev, _ := syncOK(t, src); readFile(t, rev.FS, "a.yaml") != "a: 1\n" {
		t.Error("the sync with room read the wrong content")
	}
}
