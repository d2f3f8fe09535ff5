package sync_test

import (
	"path/filepath"
	"testing"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

// signedRepo is a served repository whose first commit, signed by key,
// is pushed.
func signedRepo(t *testing.T, key gittest.SigningKey) (*gittest.Server, *gittest.Repo, string) {
	t.Helper()
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("gw.yaml", "v: 1\n")
	first := repo.CommitSigned("First", key)
	repo.Push()
	return server, repo, first
}

// In mode all, a bad commit in the middle of good ones stops the branch
// at the last good commit before it, until a seal commit vouches for it.
func TestVerifyRangeStopsAtBadCommit(t *testing.T) {
	t.Parallel()
	ada := gittest.NewGPGKey(t, adaUID)
	server, repo, first := signedRepo(t, ada)
	src := verifiedSource(t, server.URL(), "", pgpTrusting(t, ada))
	wantApplied(t, src, first, gitsync.Verified)

	good := repo.CommitSigned("Good", ada)
	bad := repo.Commit("Unsigned")
	later := repo.CommitSigned("Later", ada)
	repo.Push()
	rev := wantApplied(t, src, good, gitsync.Verified)
	if rev.Signer == nil || rev.Signer.Fingerprint != ada.Fingerprint {
		t.Errorf("Signer = %+v", rev.Signer)
	}
	checkRejections(t, src, rejection{bad, gitsync.ReasonUnsigned}, rejection{later, gitsync.ReasonUnsigned})
	wantUnchanged(t, src)
	checkRejections(t, src)

	// The bad commit stays in the range of every later head, which is
	// refused for it, but each commit is reported once (one history
	// record per commit, however many pushes follow)...
	after := repo.CommitSigned("After", ada)
	repo.Push()
	wantUnchanged(t, src)
	checkRejections(t, src, rejection{after, gitsync.ReasonUnsigned})
	again := repo.CommitSigned("Again", ada)
	repo.Push()
	wantUnchanged(t, src)
	checkRejections(t, src, rejection{again, gitsync.ReasonUnsigned})

	// ... until a signed seal commit vouches for its ancestors.
	seal := repo.CommitSigned("Accept the unsigned commit\n\nReviewed-by: Carl\nSluice-Seal: true", ada)
	repo.Push()
	wantApplied(t, src, seal, gitsync.Verified)
	checkRejections(t, src)

	// An unsigned seal vouches for nothing.
	fake := repo.Commit("Sneak in\n\nSluice-Seal: true")
	repo.Push()
	wantUnchanged(t, src)
	checkRejections(t, src, rejection{fake, gitsync.ReasonUnsigned})
}

// Both parents of a merge are verified: a signed merge of an unsigned
// branch is not applied, the signed first parent is.
func TestVerifyMergeWithUnsignedParent(t *testing.T) {
	t.Parallel()
	ada := gittest.NewSSHKey(t)
	server, repo, first := signedRepo(t, ada)
	src := verifiedSource(t, server.URL(), "", gitsync.GitConfig{
		SSHAllowedSigners: writeTemp(t, "allowed_signers", ada.AllowedSigner("ada@example.com", `namespaces="git"`)),
	})
	wantApplied(t, src, first, gitsync.Verified)

	repo.Git("checkout", "--quiet", "-b", "side")
	repo.WriteFile("side.yaml", "side: 1\n")
	side := repo.Commit("Unsigned side change")
	repo.Git("checkout", "--quiet", gittest.Branch)
	mainline := repo.CommitSigned("Signed main change", ada)
	repo.GitSigned(ada, nil, "merge", "--quiet", "--no-ff", "-S", "-m", "Merge side", "side")
	merge := repo.Head()
	repo.Push()

	wantApplied(t, src, mainline, gitsync.Verified)
	checkRejections(t, src, rejection{side, gitsync.ReasonUnsigned}, rejection{merge, gitsync.ReasonUnsigned})
}

// Mode head verifies only the head.
func TestVerifyModeHead(t *testing.T) {
	t.Parallel()
	ada := gittest.NewGPGKey(t, adaUID)
	server, repo, first := signedRepo(t, ada)
	cfg := pgpTrusting(t, ada)
	cfg.VerifyMode = gitsync.VerifyHead
	src := verifiedSource(t, server.URL(), "", cfg)
	wantApplied(t, src, first, gitsync.Verified)

	repo.Commit("Unsigned")
	head := repo.CommitSigned("Signed head", ada)
	repo.Push()
	wantApplied(t, src, head, gitsync.Verified)
	checkRejections(t, src)

	unsigned := repo.Commit("Unsigned head")
	repo.Push()
	wantUnchanged(t, src)
	checkRejections(t, src, rejection{unsigned, gitsync.ReasonUnsigned})
}

// A first sync with verify.since verifies every commit after it.
func TestVerifySince(t *testing.T) {
	t.Parallel()
	ada := gittest.NewGPGKey(t, adaUID)
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.Commit("Unsigned, before signing began")
	since := repo.Commit("Unsigned, trusted as verify.since")
	repo.Push()
	cfg := pgpTrusting(t, ada)
	cfg.VerifySince = since

	// since is the head: it vouches for itself.
	wantApplied(t, verifiedSource(t, server.URL(), "", cfg), since, gitsync.Sealed)

	repo.CommitSigned("One", ada)
	two := repo.CommitSigned("Two", ada)
	repo.Push()
	wantApplied(t, verifiedSource(t, server.URL(), "", cfg), two, gitsync.Verified)

	bad := repo.Commit("Unsigned after since")
	repo.CommitSigned("Three", ada)
	repo.Push()
	src := verifiedSource(t, server.URL(), "", cfg)
	wantApplied(t, src, two, gitsync.Verified)
	if rej := src.TakeRejections(); len(rej) != 2 || rej[0].Revision.SHA != bad {
		t.Errorf("rejections = %s, want %s first", describe(rej), bad)
	}
}

// A head that does not descend from the applied revision is refused,
// unless allowForcePush is set.
func TestForcePush(t *testing.T) {
	t.Parallel()
	ada := gittest.NewGPGKey(t, adaUID)
	for _, allow := range []bool{false, true} {
		server, repo, first := signedRepo(t, ada)
		cfg := pgpTrusting(t, ada)
		cfg.AllowForcePush = allow
		src := verifiedSource(t, server.URL(), "", cfg)
		wantApplied(t, src, first, gitsync.Verified)
		second := repo.CommitSigned("Second", ada)
		repo.Push()
		wantApplied(t, src, second, gitsync.Verified)

		repo.Git("reset", "--quiet", "--hard", first)
		rewritten := repo.CommitSigned("Rewritten second", ada)
		repo.Push()
		if allow {
			wantApplied(t, src, rewritten, gitsync.Verified)
			checkRejections(t, src)
			continue
		}
		wantUnchanged(t, src)
		checkRejections(t, src, rejection{rewritten, gitsync.ReasonNonFastForward})
		wantUnchanged(t, src)
		checkRejections(t, src)

		// Going back to an older commit is a force-push too.
		repo.Git("reset", "--quiet", "--hard", first)
		repo.Push()
		wantUnchanged(t, src)
		checkRejections(t, src, rejection{first, gitsync.ReasonNonFastForward})
	}
}

// After a restart, SetApplied restores the base: the range since the
// applied revision is verified and force-pushes are still refused.
func TestSetAppliedAfterRestart(t *testing.T) {
	t.Parallel()
	ada := gittest.NewGPGKey(t, adaUID)
	server, repo, first := signedRepo(t, ada)
	cfg := pgpTrusting(t, ada)
	mirror := filepath.Join(t.TempDir(), "git")
	wantApplied(t, verifiedSource(t, server.URL(), mirror, cfg), first, gitsync.Verified)

	good := repo.CommitSigned("Good", ada)
	bad := repo.Commit("Unsigned")
	head := repo.CommitSigned("Head", ada)
	repo.Push()
	restarted := verifiedSource(t, server.URL(), mirror, cfg)
	restarted.SetApplied(first)
	wantApplied(t, restarted, good, gitsync.Verified)
	checkRejections(t, restarted, rejection{bad, gitsync.ReasonUnsigned}, rejection{head, gitsync.ReasonUnsigned})

	// The applied revision is the head: nothing new.
	again := verifiedSource(t, server.URL(), mirror, cfg)
	again.SetApplied(head)
	wantUnchanged(t, again)
	checkRejections(t, again)

	// An applied revision the branch no longer holds: a force-push.
	repo.Git("reset", "--quiet", "--hard", first)
	other := repo.CommitSigned("Other", ada)
	repo.Push()
	again = verifiedSource(t, server.URL(), mirror, cfg)
	again.SetApplied(head)
	wantUnchanged(t, again)
	checkRejections(t, again, rejection{other, gitsync.ReasonNonFastForward})
}
