package sync_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

const adaUID = "Ada <ada@example.com>"

// writeTemp writes content to a new file and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// verifiedSource is a GitSource of url that trusts the given keys.
func verifiedSource(t *testing.T, url, dir string, cfg gitsync.GitConfig) *gitsync.GitSource {
	t.Helper()
	cfg.URL = url
	if cfg.Dir = dir; dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "git")
	}
	src, err := gitsync.NewGitSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func pgpTrusting(t *testing.T, keys ...*gittest.GPGKey) gitsync.GitConfig {
	var ring strings.Builder
	for _, k := range keys {
		ring.WriteString(k.Public)
	}
	return gitsync.GitConfig{OpenPGPKeyring: writeTemp(t, "trusted.asc", ring.String())}
}

// rejection is what a test expects of a Rejection: the commit and reason.
type rejection struct{ sha, reason string }

func checkRejections(t *testing.T, src *gitsync.GitSource, want ...rejection) {
	t.Helper()
	got := src.TakeRejections()
	if len(got) != len(want) {
		t.Fatalf("rejections = %s, want %v", describe(got), want)
	}
	for i, r := range got {
		if r.Revision.SHA != want[i].sha || r.Reason != want[i].reason {
			t.Errorf("rejection %d = %s, want %v", i, describe(got[i:i+1]), want[i])
		}
		if !strings.Contains(r.Message, r.Revision.Short()) || r.Revision.Verification.Reason != r.Reason ||
			r.Revision.Verification.Result != gitsync.Failed {
			t.Errorf("rejection %d: message %q does not name commit %s, or verification %+v", i, r.Message, r.Revision.Short(), r.Revision.Verification)
		}
	}
}

func describe(rs []gitsync.Rejection) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString("\n  " + r.Revision.Short() + " " + r.Reason + ": " + r.Message)
	}
	return b.String()
}

// wantApplied checks that Sync returns sha as a new revision with the
// given verification result.
func wantApplied(t *testing.T, src *gitsync.GitSource, sha, result string) gitsync.Revision {
	t.Helper()
	rev, changed := syncOK(t, src)
	if !changed || rev.SHA != sha || rev.Verification.Result != result {
		t.Fatalf("Sync = %s (changed %v, %+v), want %s %s; rejections: %s",
			rev.Short(), changed, rev.Verification, sha[:12], result, describe(src.TakeRejections()))
	}
	return rev
}

func wantUnchanged(t *testing.T, src *gitsync.GitSource) {
	t.Helper()
	if rev, changed := syncOK(t, src); changed {
		t.Fatalf("Sync = %s %+v, want no change", rev.Short(), rev.Verification)
	}
}

// A first sync verifies the head: each case pushes one commit made by
// make and expects it applied (reason "") or rejected with reason.
func TestVerifyOpenPGPHead(t *testing.T) {
	t.Parallel()
	ada := gittest.NewGPGKey(t, adaUID)
	eve := gittest.NewGPGKey(t, "Eve <eve@example.com>")
	old := gittest.NewExpiredGPGKey(t, "Old <old@example.com>")
	cfg := pgpTrusting(t, ada, old)

	cases := map[string]struct {
		commit func(*gittest.Repo) string
		reason string
	}{
		"trusted":     {func(r *gittest.Repo) string { return r.CommitSigned("Good", ada) }, ""},
		"unsigned":    {func(r *gittest.Repo) string { return r.Commit("Plain") }, gitsync.ReasonUnsigned},
		"unknown key": {func(r *gittest.Repo) string { return r.CommitSigned("Eve's", eve) }, gitsync.ReasonUnknownKey},
		"expired key": {func(r *gittest.Repo) string { return r.CommitSigned("Old", old) }, gitsync.ReasonExpiredKey},
		"tampered": {func(r *gittest.Repo) string {
			sha := r.CommitSigned("Route to the good backend", ada)
			return r.Rewrite(sha, func(raw string) string { return strings.Replace(raw, "good", "evil", 1) })
		}, gitsync.ReasonBadSignature},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			server := gittest.NewServer(t)
			repo := gittest.NewRepo(t, server.Dir)
			repo.WriteFile("gw.yaml", "kind: Gateway\n")
			sha := tc.commit(repo)
			repo.Push()
			src := verifiedSource(t, server.URL(), "", cfg)
			if tc.reason != "" {
				wantUnchanged(t, src)
				checkRejections(t, src, rejection{sha, tc.reason})
				wantUnchanged(t, src)
				checkRejections(t, src) // the same head is reported once
				return
			}
			rev := wantApplied(t, src, sha, gitsync.Verified)
			want := gitsync.Signer{Method: gitsync.SignOpenPGP, Fingerprint: ada.Fingerprint, Principal: adaUID}
			if rev.Signer == nil || *rev.Signer != want {
				t.Errorf("Signer = %+v, want %+v", rev.Signer, want)
			}
			checkRejections(t, src)
		})
	}
}

// A key revoked after it signed a commit no longer vouches for it.
func TestVerifyRevokedKey(t *testing.T) {
	t.Parallel()
	gone := gittest.NewGPGKey(t, "Gone <gone@example.com>")
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	sha := repo.CommitSigned("Signed before the revocation", gone)
	repo.Push()
	gone.Revoke()
	src := verifiedSource(t, server.URL(), "", pgpTrusting(t, gone))
	wantUnchanged(t, src)
	checkRejections(t, src, rejection{sha, gitsync.ReasonRevokedKey})
}

func TestVerifySSHHead(t *testing.T) {
	t.Parallel()
	ada := gittest.NewSSHKey(t)
	eve := gittest.NewSSHKey(t)
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(ada.Public))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		signers string // allowed_signers
		key     *gittest.SSHKey
		tamper  bool
		reason  string
	}{
		"trusted":         {ada.AllowedSigner("ada@example.com", ""), ada, false, ""},
		"namespace git":   {ada.AllowedSigner("ada@example.com", `namespaces="file,git"`), ada, false, ""},
		"within validity": {ada.AllowedSigner("ada@example.com", `valid-after="20230101",valid-before="20250101Z"`), ada, false, ""},
		"unknown key":     {ada.AllowedSigner("ada@example.com", ""), eve, false, gitsync.ReasonUnknownKey},
		"other namespace": {ada.AllowedSigner("ada@example.com", `namespaces="file"`), ada, false, gitsync.ReasonUnknownKey},
		"expired":         {ada.AllowedSigner("ada@example.com", `valid-before="20231231"`), ada, false, gitsync.ReasonExpiredKey},
		"tampered":        {ada.AllowedSigner("ada@example.com", ""), ada, true, gitsync.ReasonBadSignature},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			server := gittest.NewServer(t)
			repo := gittest.NewRepo(t, server.Dir)
			sha := repo.CommitSigned("Add gateway", tc.key)
			if tc.tamper {
				sha = repo.Rewrite(sha, func(raw string) string { return strings.Replace(raw, "Add", "Drop", 1) })
			}
			repo.Push()
			src := verifiedSource(t, server.URL(), "", gitsync.GitConfig{
				SSHAllowedSigners: writeTemp(t, "allowed_signers", "# trusted\n"+tc.signers),
			})
			if tc.reason != "" {
				wantUnchanged(t, src)
				checkRejections(t, src, rejection{sha, tc.reason})
				return
			}
			rev := wantApplied(t, src, sha, gitsync.Verified)
			want := gitsync.Signer{Method: gitsync.SignSSH, Fingerprint: ssh.FingerprintSHA256(pub), Principal: "ada@example.com"}
			if rev.Signer == nil || *rev.Signer != want {
				t.Errorf("Signer = %+v, want %+v", rev.Signer, want)
			}
		})
	}
}

func TestNewGitSourceVerifyConfig(t *testing.T) {
	t.Parallel()
	ssh := writeTemp(t, "allowed_signers", "ada@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPtXe6mfkMsOm1FdqTCYsrASgv+hqzw12i5F8cq6x5YV\n")
	cases := map[string]struct {
		cfg  gitsync.GitConfig
		want string
	}{
		"missing keyring":   {gitsync.GitConfig{OpenPGPKeyring: "/nonexistent/keys.asc"}, "/nonexistent/keys.asc"},
		"not a keyring":     {gitsync.GitConfig{OpenPGPKeyring: writeTemp(t, "k.asc", "hello\n")}, "k.asc"},
		"bad signer line":   {gitsync.GitConfig{SSHAllowedSigners: writeTemp(t, "as", "# c\n\nada ssh-ed25519 AAAA\n")}, "as:3"},
		"cert authority":    {gitsync.GitConfig{SSHAllowedSigners: writeTemp(t, "ca", "*@x cert-authority ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPtXe6mfkMsOm1FdqTCYsrASgv+hqzw12i5F8cq6x5YV\n")}, "cert-authority"},
		"bad valid-before":  {gitsync.GitConfig{SSHAllowedSigners: writeTemp(t, "vb", `a valid-before="soon" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPtXe6mfkMsOm1FdqTCYsrASgv+hqzw12i5F8cq6x5YV`+"\n")}, "vb:1"},
		"bad mode":          {gitsync.GitConfig{SSHAllowedSigners: ssh, VerifyMode: "some"}, `"some"`},
		"abbreviated since": {gitsync.GitConfig{SSHAllowedSigners: ssh, VerifySince: "1a2b3c"}, `"1a2b3c"`},
		"no keys":           {gitsync.GitConfig{}, "verify.insecureSkipVerify"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.URL, tc.cfg.Dir = "https://git.example.com/r.git", t.TempDir()
			_, err := gitsync.NewGitSource(tc.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if name == "no keys" && !errors.Is(err, gitsync.ErrUnverified) {
				t.Errorf("err = %v, want ErrUnverified", err)
			}
		})
	}
}
