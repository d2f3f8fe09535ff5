package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyValidation(t *testing.T) {
	const git = "source:\n  git:\n    url: https://git.example.com/r.git\n    verify: "
	cases := map[string]struct{ verify, want string }{
		"no keys":         {"{}", "field source.git.verify: set openpgpKeyring or sshAllowedSigners"},
		"bad mode":        {"{insecureSkipVerify: true, mode: every}", `field source.git.verify.mode: "every"`},
		"short since":     {"{insecureSkipVerify: true, since: 1a2b3c4d}", `field source.git.verify.since: "1a2b3c4d"`},
		"not hex since":   {"{insecureSkipVerify: true, since: " + strings.Repeat("g", 40) + "}", "field source.git.verify.since"},
		"missing keyring": {"{openpgpKeyring: /nonexistent/trusted.asc}", "field source.git.verify.openpgpKeyring"},
		"typo":            {"{insecureSkipVerify: true, allowForcePushes: true}", "field allowForcePushes not found"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(git + tc.verify + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestVerifyLoad(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"trusted.asc", "allowed_signers"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	since := strings.Repeat("0a", 20)
	path := filepath.Join(dir, "sluice.yaml")
	err := os.WriteFile(path, []byte("source:\n  git:\n    url: https://git.example.com/r.git\n"+
		"    verify: {openpgpKeyring: trusted.asc, sshAllowedSigners: allowed_signers, mode: head, since: "+since+"}\n    allowForcePush: true\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.Source.Git.Verify
	want := Verify{
		OpenPGPKeyring:    filepath.Join(dir, "trusted.asc"),
		SSHAllowedSigners: filepath.Join(dir, "allowed_signers"),
		Mode:              "head",
		Since:             since,
	}
	if v != want {
		t.Errorf("verify = %+v\nwant %+v", v, want)
	}
	if !cfg.Source.Git.AllowForcePush {
		t.Error("source.git.allowForcePush not read")
	}
}
