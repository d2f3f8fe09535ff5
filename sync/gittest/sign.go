package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SigningKey is a key that git can sign commits with: a *GPGKey or an
// *SSHKey.
type SigningKey interface {
	// gitArgs are the git options ("-c name=value") that sign with the key.
	gitArgs() []string
	// env is the environment the signing program needs.
	env() []string
}

// GPGKey is an OpenPGP key made by gpg in a GNUPGHOME of its own.
type GPGKey struct {
	// Home is the GNUPGHOME that holds the secret key.
	Home string
	// Fingerprint is the primary key's fingerprint in upper-case hex.
	Fingerprint string
	// Public is the armored public key.
	Public string

	t       testing.TB
	program string // gpg.program: gpg, at the key's faked time if any
}

// NewGPGKey makes an ed25519 signing key for uid (such as "Ada
// <ada@example.com>") that never expires. It skips the test when gpg is
// not installed.
func NewGPGKey(t testing.TB, uid string) *GPGKey {
	return newGPGKey(t, uid, "", "never")
}

// NewExpiredGPGKey makes a signing key for uid that was made on
// 2020-01-01 and expired a day later. Commits signed with it are signed on
// 2020-01-01, when it was valid.
func NewExpiredGPGKey(t testing.TB, uid string) *GPGKey {
	return newGPGKey(t, uid, "20200101T120000!", "1d")
}

func newGPGKey(t testing.TB, uid, fakedTime, expire string) *GPGKey {
	t.Helper()
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		t.Skip("gpg is not installed (Debian package gnupg)")
	}
	// A short GNUPGHOME: the path of gpg-agent's socket is limited to
	// about 100 bytes.
	home, err := os.MkdirTemp("", "g")
	if err != nil {
		t.Fatal(err)
	}
	k := &GPGKey{Home: home, t: t, program: gpg}
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
		cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = cmd.Run()
		os.RemoveAll(home)
	})
	if fakedTime != "" {
		k.program = filepath.Join(home, "gpg.sh")
		script := "#!/bin/sh\nexec " + gpg + " --faked-system-time " + fakedTime + " \"$@\"\n"
		if err := os.WriteFile(k.program, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	k.gpg("--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", expire)
	for line := range strings.SplitSeq(k.gpg("--with-colons", "--list-keys", uid), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" && k.Fingerprint == "" {
			k.Fingerprint = f[9]
		}
	}
	if k.Fingerprint == "" {
		t.Fatalf("gpg: no fingerprint for %q", uid)
	}
	k.Public = k.gpg("--armor", "--export", k.Fingerprint)
	return k
}

// Revoke revokes the key with the revocation certificate gpg made with
// it, and updates Public.
func (k *GPGKey) Revoke() {
	k.t.Helper()
	cert, err := os.ReadFile(filepath.Join(k.Home, "openpgp-revocs.d", k.Fingerprint+".rev"))
	if err != nil {
		k.t.Fatal(err)
	}
	// gpg prefixes the armor with ":" against an accidental import.
	path := filepath.Join(k.Home, "revoke.asc")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(cert), ":-----BEGIN", "-----BEGIN")), 0o600); err != nil {
		k.t.Fatal(err)
	}
	k.gpg("--batch", "--import", path)
	k.Public = k.gpg("--armor", "--export", k.Fingerprint)
}

// gpg runs the key's gpg with args and returns its standard output.
func (k *GPGKey) gpg(args ...string) string {
	k.t.Helper()
	cmd := exec.Command(k.program, args...)
	cmd.Env = append(os.Environ(), k.env()...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		k.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func (k *GPGKey) gitArgs() []string {
	return []string{"-c", "gpg.program=" + k.program, "-c", "user.signingkey=" + k.Fingerprint}
}

func (k *GPGKey) env() []string { return []string{"GNUPGHOME=" + k.Home} }

// SSHKey is an ed25519 SSH key made by ssh-keygen.
type SSHKey struct {
	// Private is the path of the private key.
	Private string
	// Public is the public key in authorized_keys format.
	Public string
}

// NewSSHKey makes an SSH key in t.TempDir(). It skips the test when
// ssh-keygen is not installed.
func NewSSHKey(t testing.TB) *SSHKey {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen is not installed (Debian package openssh-client)")
	}
	private := filepath.Join(t.TempDir(), "id_ed25519")
	return &SSHKey{Private: private, Public: KeyGen(t, private)}
}

// AllowedSigner is the line of an allowed_signers file that trusts the key
// for principal, with options such as `namespaces="git"` if given.
func (k *SSHKey) AllowedSigner(principal, options string) string {
	if options != "" {
		options += " "
	}
	return principal + " " + options + k.Public + "\n"
}

func (k *SSHKey) gitArgs() []string {
	return []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + k.Private}
}

func (k *SSHKey) env() []string { return nil }

// CommitSigned is Commit with the commit signed by key.
func (r *Repo) CommitSigned(msg string, key SigningKey) string {
	r.t.Helper()
	date := r.When(r.n).Format(time.RFC3339)
	r.n++
	r.Git("add", "--all")
	r.GitSigned(key, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date},
		"commit", "--quiet", "--allow-empty", "-S", "-m", msg)
	return r.Head()
}

// GitSigned runs git with args and env, configured to sign with key (for
// commands such as "merge -S"), and returns its standard output.
func (r *Repo) GitSigned(key SigningKey, env []string, args ...string) string {
	r.t.Helper()
	return r.run(append(key.env(), env...), append(key.gitArgs(), args...)...)
}

// Rewrite replaces the commit sha with a copy whose raw object text (as
// "git cat-file commit" prints it, signature included) is edited by edit,
// moves the work tree's branch to the copy, and returns the copy's SHA. It
// makes commits whose signature does not match their content.
func (r *Repo) Rewrite(sha string, edit func(string) string) string {
	r.t.Helper()
	raw := edit(r.Git("cat-file", "commit", sha))
	cmd := exec.Command("git", "hash-object", "-t", "commit", "-w", "--stdin")
	cmd.Dir = r.Dir
	cmd.Env = append(environ(), hermeticEnv()...)
	cmd.Stdin = strings.NewReader(raw)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git hash-object: %v\n%s", err, out)
	}
	copied := strings.TrimSpace(string(out))
	r.Git("reset", "--quiet", "--hard", copied)
	return copied
}
