package sync_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/sync/gittest"
)

const token = "ghp_s3cretTOKENvalue"

func writeSecret(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func authSource(t *testing.T, cfg gitsync.GitConfig) (*gitsync.GitSource, error) {
	t.Helper()
	cfg.Dir = filepath.Join(t.TempDir(), "git")
	cfg.InsecureSkipVerify = true
	return gitsync.NewGitSource(cfg, nil)
}

// HTTP basic auth: a token alone (any user name, as GitHub, GitLab and
// Gitea accept) or user:password opens the remote; a wrong or missing token
// fails with an error that holds no secret.
func TestGitSourceHTTPAuth(t *testing.T) {
	t.Parallel()
	anyUser := gittest.NewServer(t, gittest.WithBasicAuth("", token))
	alice := gittest.NewServer(t, gittest.WithBasicAuth("alice", token))
	for _, s := range []*gittest.Server{anyUser, alice} {
		repo := gittest.NewRepo(t, s.Dir)
		repo.WriteFile("gw.yaml", "kind: Gateway\n")
		repo.Commit("Add gateway")
		repo.Push()
	}
	tests := map[string]struct {
		server  *gittest.Server
		file    string // "" for no tokenFile
		wantErr string
	}{
		"token":              {server: anyUser, file: token + "\n"},
		"user and password":  {server: alice, file: "alice:" + token},
		"token for alice":    {server: alice, file: token, wantErr: "authentication required"},
		"wrong token":        {server: anyUser, file: "ghp_wrongTOKEN", wantErr: "authentication required"},
		"wrong user:pass":    {server: alice, file: "alice:ghp_wrongTOKEN", wantErr: "authentication required"},
		"no token":           {server: anyUser, wantErr: "authentication required"},
		"url and tokenFile":  {server: anyUser, file: token, wantErr: "holds credentials"},
		"empty token file":   {server: anyUser, file: "\n", wantErr: "is empty"},
		"two lines":          {server: anyUser, file: token + "\nmore\n", wantErr: "more than one line"},
		"user without token": {server: anyUser, file: "alice:", wantErr: "want a token or user:password"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := gitsync.GitConfig{URL: tt.server.URL()}
			if tt.file != "" {
				cfg.TokenFile = writeSecret(t, tt.file)
			}
			if name == "url and tokenFile" {
				cfg.URL = strings.Replace(cfg.URL, "://", "://alice:"+token+"@", 1)
			}
			src, err := authSource(t, cfg)
			if err == nil {
				_, _, err = src.Sync(context.Background())
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Sync: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if err != nil {
				for _, secret := range []string{token, "ghp_wrongTOKEN", "alice:"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q holds the secret %q", err, secret)
					}
				}
			}
		})
	}
}

// Auth that does not fit the remote, or unreadable key files, fail at
// NewGitSource, naming the file and not its content.
func TestNewGitSourceAuthErrors(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("no ssh-keygen")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	gittest.KeyGen(t, key)
	encrypted := filepath.Join(dir, "enc")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "pass phrase", "-f", encrypted).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	known := writeSecret(t, "")
	missing := filepath.Join(dir, "missing")
	notAKey := writeSecret(t, "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END OPENSSH PRIVATE KEY-----\n")
	tests := map[string]struct {
		cfg     gitsync.GitConfig
		wantErr string
	}{
		"ssh key for https":      {gitsync.GitConfig{URL: "https://git.example.com/r.git", SSHKeyFile: key}, "for ssh remotes"},
		"token for ssh":          {gitsync.GitConfig{URL: "git@git.example.com:r.git", TokenFile: key}, "for http(s) remotes"},
		"ssh without key":        {gitsync.GitConfig{URL: "ssh://git@git.example.com/r.git"}, "needs auth.sshKeyFile"},
		"auth for local":         {gitsync.GitConfig{URL: dir, TokenFile: key}, "is local"},
		"missing token file":     {gitsync.GitConfig{URL: "https://git.example.com/r.git", TokenFile: missing}, "read auth.tokenFile"},
		"missing key file":       {gitsync.GitConfig{URL: "git@git.example.com:r.git", SSHKeyFile: missing}, "read auth.sshKeyFile"},
		"encrypted key":          {gitsync.GitConfig{URL: "git@git.example.com:r.git", SSHKeyFile: encrypted, KnownHostsFile: known}, "passphrase"},
		"not a key":              {gitsync.GitConfig{URL: "git@git.example.com:r.git", SSHKeyFile: notAKey, KnownHostsFile: known}, "parse auth.sshKeyFile"},
		"missing known_hosts":    {gitsync.GitConfig{URL: "git@git.example.com:r.git", SSHKeyFile: key, KnownHostsFile: missing}, "set auth.knownHostsFile"},
		"negative max file size": {gitsync.GitConfig{URL: dir, MaxFileSize: -1}, "negative"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := authSource(t, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "c2VjcmV0") || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error %q holds the key", err)
			}
		})
	}
}

// The SSH transport against a real sshd: the known host is accepted, an
// unknown host and a host with another key are refused, naming the host.
func TestGitSourceSSH(t *testing.T) {
	t.Parallel()
	sshd := gittest.NewSSHServer(t)
	server := gittest.NewServer(t)
	repo := gittest.NewRepo(t, server.Dir)
	repo.WriteFile("gateways/gw.yaml", "kind: Gateway\n")
	sha := repo.Commit("Add gateway")
	repo.Push()

	src, err := authSource(t, gitsync.GitConfig{
		URL: sshd.URL(server.Dir), Path: "gateways", SSHKeyFile: sshd.KeyFile, KnownHostsFile: sshd.KnownHosts,
	})
	if err != nil {
		t.Fatal(err)
	}
	rev, changed := syncOK(t, src)
	if !changed || rev.SHA != sha || readFile(t, rev.FS, "gw.yaml") != "kind: Gateway\n" {
		t.Errorf("Sync over ssh = %s, changed %v", rev.SHA, changed)
	}

	other := gittest.KeyGen(t, filepath.Join(t.TempDir(), "other"))
	unknown := writeSecret(t, "[git.example.com]:22 "+other+"\n")
	changedKey := filepath.Join(t.TempDir(), "known_hosts")
	sshd.WriteKnownHosts(t, changedKey, other)
	wrongClient := filepath.Join(t.TempDir(), "client")
	gittest.KeyGen(t, wrongClient)
	tests := map[string]struct {
		key, known string
		want       error
		wantMsg    string
	}{
		"unknown host":     {key: sshd.KeyFile, known: unknown, want: gitsync.ErrUnknownHost, wantMsg: sshd.Addr},
		"changed host key": {key: sshd.KeyFile, known: changedKey, want: gitsync.ErrHostKeyMismatch, wantMsg: sshd.Addr},
		"unknown client":   {key: wrongClient, known: sshd.KnownHosts, wantMsg: "unable to authenticate"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src, err := authSource(t, gitsync.GitConfig{URL: sshd.URL(server.Dir), SSHKeyFile: tt.key, KnownHostsFile: tt.known})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = src.Sync(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want one naming %q", err, tt.wantMsg)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), sshd.User+"@") {
				t.Errorf("error %q holds the user of the URL", err)
			}
		})
	}
}
