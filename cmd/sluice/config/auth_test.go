package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Auth files are resolved against the config file and must exist; their
// content is read only when the source starts.
func TestLoadGitAuth(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"token", "id_ed25519", "known_hosts"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	load := func(auth string) (*Config, error) {
		file := filepath.Join(dir, "sluice.yaml")
		data := "source:\n  git:\n    url: git@git.example.com:r.git\n    auth: " + auth + "\n    verify: {insecureSkipVerify: true}\n"
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load(file)
	}
	cfg, err := load("{sshKeyFile: id_ed25519, knownHostsFile: known_hosts}")
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Source.Git.Auth; a.SSHKeyFile != filepath.Join(dir, "id_ed25519") || a.KnownHostsFile != filepath.Join(dir, "known_hosts") {
		t.Errorf("auth = %+v, want paths in %s", a, dir)
	}
	if _, err := load("{tokenFile: token}"); err != nil {
		t.Error(err)
	}
	for auth, want := range map[string]string{
		"{tokenFile: missing}":                       "field source.git.auth.tokenFile",
		"{tokenFile: token, sshKeyFile: id_ed25519}": "not both",
		"{knownHostsFile: known_hosts}":              "only used with sshKeyFile",
		"{sshKeyFile: .}":                            "not a regular file",
	} {
		if _, err := load(auth); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("auth %s: err = %v, want %q", auth, err, want)
		}
	}
}
