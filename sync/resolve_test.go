package sync_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// TestVerifiedRevision: a commit of the mirror is read again when it
// carries a trusted signature or is in the verified history of the applied
// commit; a commit the source refused, and one not in the mirror, are
// errors that say so.
func TestVerifiedRevision(t *testing.T) {
	t.Parallel()
	ada, eve := gittest.NewSSHKey(t), gittest.NewSSHKey(t)
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("a.yaml", "one\n")
	old := repo.Commit("Unsigned, below the signed head")
	repo.WriteFile("a.yaml", "two\n")
	head := repo.CommitSigned("Signed head", ada)
	repo.Push()
	src := verifiedSource(t, server.URL(), "", gitsync.GitConfig{
		SSHAllowedSigners: writeTemp(t, "allowed_signers", ada.AllowedSigner("ada@example.com", "")),
		VerifyMode:        gitsync.VerifyHead,
	})
	if rev, changed, err := src.Sync(context.Background()); err != nil || !changed || rev.SHA != head {
		t.Fatalf("sync = %s %v %v, want %s", rev.SHA, changed, err, head)
	}
	repo.WriteFile("a.yaml", "three\n")
	evil := repo.CommitSigned("Signed by an unknown key", eve)
	repo.Push()
	if _, changed, err := src.Sync(context.Background()); err != nil || changed {
		t.Fatalf("sync of the untrusted head: changed %v, %v", changed, err)
	}

	for name, tc := range map[string]struct {
		sha, result string
	}{
		"signed":         {head, gitsync.Verified},
		"abbreviated":    {head[:10], gitsync.Verified},
		"in the history": {old, gitsync.Sealed},
	} {
		rev, err := src.VerifiedRevision(tc.sha)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.HasPrefix(rev.SHA, tc.sha) || rev.Verification.Result != tc.result || rev.FS == nil {
			t.Errorf("%s: %s %+v", name, rev.SHA, rev.Verification)
		}
	}
	_, err := src.VerifiedRevision(evil)
	if !errors.Is(err, gitsync.ErrUnverifiedRevision) || !strings.Contains(err.Error(), "commit "+evil[:12]+" is signed by SSH key") {
		t.Errorf("untrusted commit: %v, want ErrUnverifiedRevision naming it", err)
	}
	_, err = src.VerifiedRevision("0123456789abcdef0123456789abcdef01234567")
	if !errors.Is(err, gitsync.ErrUnknownRevision) || !strings.Contains(err.Error(), "is not in the mirror of") {
		t.Errorf("unknown commit: %v, want ErrUnknownRevision", err)
	}
}
