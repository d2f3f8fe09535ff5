package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/cmd/sluice/config"
	"github.com/sluice-gitops/sluice/serve/revisions"
	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// TestSignedCommitsEndToEnd: with an allowed_signers file and no
// insecureSkipVerify, a commit signed by a trusted SSH key is served with its
// signer shown, an unsigned commit after it is rejected as Unsigned and the
// signed one keeps serving; `sluice revisions` shows both.
func TestSignedCommitsEndToEnd(t *testing.T) {
	key := gittest.NewSSHKey(t)
	git := gittest.NewServer(t)
	repo := gittest.NewRepo(t, git.Dir)
	repo.WriteFile("quickstart.yaml", quickstart(t))
	signed := repo.CommitSigned("Add the quickstart", key)
	repo.Push()

	dir := t.TempDir()
	signers := filepath.Join(dir, "allowed_signers")
	os.WriteFile(signers, []byte(key.AllowedSigner("ada@example.com", "")+"\n"), 0o600)
	cfg, err := config.Parse([]byte("source:\n  git:\n    url: " + git.URL() + "\n    interval: 1h\n    verify: {sshAllowedSigners: " + signers + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	sl := startServe(t, cfg, "s3cret")
	recs := sl.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 1 })
	r := recs[0]
	if r.SHA != signed || r.State != revisions.StateApplied || r.Verification.Result != gitsync.Verified ||
		r.Signer == nil || r.Signer.Method != gitsync.SignSSH || r.Signer.Principal != "ada@example.com" || !strings.HasPrefix(r.Signer.Fingerprint, "SHA256:") {
		t.Fatalf("signed revision: %s %s %+v %+v", r.SHA, r.State, r.Verification, r.Signer)
	}

	repo.WriteFile("quickstart.yaml", strings.Replace(quickstart(t), "port: 3000", "port: 3001", 1))
	unsigned := repo.Commit("Unsigned change")
	repo.Push()
	if code, body := sl.do(t, http.MethodPost, "/api/v1/sync"); code != http.StatusAccepted {
		t.Fatalf("sync: %d %s", code, body)
	}
	recs = sl.waitRevisions(t, func(recs []*revisions.Record) bool { return len(recs) == 2 })
	if recs[0].SHA != unsigned || recs[0].State != revisions.StateRejected || !strings.HasPrefix(recs[0].Reason, gitsync.ReasonUnsigned+":") {
		t.Fatalf("unsigned revision: %s %s %q", recs[0].SHA, recs[0].State, recs[0].Reason)
	}
	if recs[1].SHA != signed || recs[1].State != revisions.StateApplied {
		t.Errorf("the signed revision is %s, want it still applied", recs[1].State)
	}
	out, _, err := run(t, "revisions", "--server", sl.admin)
	if err != nil || !strings.Contains(out, "ssh: ada@example.com") {
		t.Errorf("sluice revisions does not show the signer: %v\n%s", err, out)
	}
	out, _, err = run(t, "revisions", "--server", sl.admin, "-o", "wide")
	if err != nil || !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "Unsigned: commit") {
		t.Errorf("sluice revisions -o wide does not show the signer and the reason: %v\n%s", err, out)
	}
	_, metrics := sl.do(t, http.MethodGet, "/metrics")
	if !strings.Contains(string(metrics), `sluice_commit_verification_failures_total{reason="Unsigned"} 1`) {
		t.Error("/metrics does not count the unsigned commit")
	}
}
