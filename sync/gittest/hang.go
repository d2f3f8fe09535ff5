package gittest

import (
	"os"
	"path/filepath"
	"testing"
)

// HangUploadPack makes every git-upload-pack this process starts hang
// when it packs objects, for the rest of the test: its
// uploadpack.packObjectsHook (which git honours only in the global or the
// system config, here GIT_CONFIG_GLOBAL) sleeps five minutes, holding
// stderr open. It returns the hook's path, which names its processes.
// The gittest helpers' own git commands do not see it.
func HangUploadPack(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	hook := filepath.Join(dir, "hung-pack-objects")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nsleep 300\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	global := filepath.Join(dir, "gitconfig")
	if err := os.WriteFile(global, []byte("[uploadpack]\n\tpackObjectsHook = "+hook+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	return hook
}
