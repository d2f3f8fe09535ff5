package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"

	"github.com/sluice-gitops/sluice/sync/gittest"
)

// A second sluice on the same dataDir exits at once naming the first one's
// pid, and leaves the first's mirror as it was (it used to point the
// mirror's remote at its own URL).
func TestSecondProcessOnDataDirRefused(t *testing.T) {
	repo := gittest.NewRepo(t, "")
	repo.WriteFile("quickstart.yaml", quickstart(t))
	repo.Commit("Add the quickstart")
	dataDir := t.TempDir()
	cfg := func(url string) string {
		dir := t.TempDir()
		return writeConfig(t, dir, fmt.Sprintf(`
source: {git: {url: %s, interval: 1h, verify: {insecureSkipVerify: true}}}
xds: {address: "127.0.0.1:0"}
admin: {address: "127.0.0.1:0"}
dataDir: %s
`, url, dataDir))
	}
	first := startProcess(t, "serve", "--config", cfg(repo.Dir))
	admin, _ := first.wait(t)
	waitReady(t, admin)

	second := startProcess(t, "serve", "--config", cfg(filepath.Join(t.TempDir(), "other.git")))
	if code := second.waitExit(t); code != 1 {
		t.Fatalf("second sluice exited %d, want 1:\n%s", code, second.log())
	}
	pid := strconv.Itoa(first.cmd.Process.Pid)
	if log := second.log(); !strings.Contains(log, "held by pid "+pid) || !strings.Contains(log, "one sluice runs per dataDir") {
		t.Errorf("second sluice said:\n%s\nwant the lock's holder, pid %s", log, pid)
	}
	mirror, err := git.PlainOpen(filepath.Join(dataDir, "git"))
	if err != nil {
		t.Fatal(err)
	}
	remote, err := mirror.Remote("origin")
	if err != nil {
		t.Fatal(err)
	}
	if urls := remote.Config().URLs; len(urls) != 1 || urls[0] != repo.Dir {
		t.Errorf("mirror remote = %v after the second sluice, want %s", urls, repo.Dir)
	}
	waitReady(t, admin) // the first still serves
}
