package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gitops/sluice/serve/revisions"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// TestKillDashNineLeavesStateUsable kills a real sluice with SIGKILL while
// it syncs new commits and takes rollbacks, a few times over, at moments
// that move with each round; each restart must open the store and the
// mirror, serve, and keep every revision it had recorded.
func TestKillDashNineLeavesStateUsable(t *testing.T) {
	repo := gittest.NewRepo(t, "")
	repo.WriteFile("quickstart.yaml", quickstart(t))
	first := repo.Commit("port 3000")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("tok\n"), 0o600)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
source: {git: {url: %s, interval: 1h, verify: {insecureSkipVerify: true}}}
xds: {address: "127.0.0.1:0"}
admin: {address: "127.0.0.1:0", tokenFile: token}
dataDir: %s
`, repo.Dir, filepath.Join(dir, "data")))
	recorded := 0
	for round := range 4 {
		p := startProcess(t, "serve", "--config", cfg)
		admin, _ := p.wait(t)
		waitReady(t, admin)
		recs := listRevisions(t, admin)
		if len(recs) < recorded {
			t.Fatalf("round %d: %d revisions after the restart, %d before the kill", round, len(recs), recorded)
		}
		recorded = len(recs)
		repo.WriteFile("quickstart.yaml", strings.ReplaceAll(quickstart(t), "3000", fmt.Sprint(3001+round)))
		repo.Commit(fmt.Sprintf("port %d", 3001+round))
		// Work, and kill in the middle of it: later in each round.
		go adminCall(admin, http.MethodPost, "/api/v1/sync", "")
		go adminCall(admin, http.MethodPost, "/api/v1/rollback", `{"revision": "`+first+`"}`)
		time.Sleep(time.Duration(round*15) * time.Millisecond)
		p.kill(t)
	}
	p := startProcess(t, "serve", "--config", cfg)
	admin, _ := p.wait(t)
	waitReady(t, admin)
	if code, out := adminCall(admin, http.MethodPost, "/api/v1/sync", ""); code != http.StatusAccepted {
		t.Errorf("sync after the crashes = %d %s", code, out)
	}
	if code, out := adminCall(admin, http.MethodDelete, "/api/v1/pin", ""); code != http.StatusOK && code != http.StatusConflict {
		t.Errorf("unpin after the crashes = %d %s", code, out)
	}
}

// adminCall calls the admin API with the token "tok".
func adminCall(admin, method, path, body string) (int, string) {
	req, _ := http.NewRequest(method, admin+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func listRevisions(t *testing.T, admin string) []*revisions.Record {
	t.Helper()
	code, body := adminCall(admin, http.MethodGet, "/api/v1/revisions", "")
	var recs []*revisions.Record
	if err := json.Unmarshal([]byte(body), &recs); code != http.StatusOK || err != nil {
		t.Fatalf("revisions = %d %v %s", code, err, body)
	}
	return recs
}
