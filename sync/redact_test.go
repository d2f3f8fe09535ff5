package sync

import (
	"errors"
	"testing"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"token":         {"https://user:token@git.example.com/org/repo.git", "https://git.example.com/org/repo.git"},
		"user only":     {"https://oauth2@git.example.com/repo.git", "https://git.example.com/repo.git"},
		"no userinfo":   {"https://git.example.com/repo.git", "https://git.example.com/repo.git"},
		"port":          {"http://u:p@127.0.0.1:8080/repo.git", "http://127.0.0.1:8080/repo.git"},
		"unparsable":    {"https://user:to%zzken@host/repo.git", "https://host/repo.git"},
		"local path":    {"/srv/git/repo.git", "/srv/git/repo.git"},
		"file url":      {"file:///srv/git/repo.git", "file:///srv/git/repo.git"},
		"scp-like kept": {"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := redactURL(tt.in); got != tt.want {
				t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanPath(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"": ".", ".": ".", "./": ".", "/": ".", "gateways/": "gateways", "./a/b/": "a/b", "a//b": "a/b",
	}
	for in, want := range tests {
		if got, err := cleanPath(in); err != nil || got != want {
			t.Errorf("cleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"../x", "a/../../b", `a\b`} {
		if got, err := cleanPath(in); err == nil {
			t.Errorf("cleanPath(%q) = %q, want error", in, got)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	base := errors.New(`Get "https://ghp_token@github.com/x.git/info/refs": EOF; http://u:***@h/`)
	err := scrub(base)
	if got, want := err.Error(), `Get "https://github.com/x.git/info/refs": EOF; http://h/`; got != want {
		t.Errorf("scrub = %q, want %q", got, want)
	}
	if !errors.Is(err, base) {
		t.Error("scrub lost the error chain")
	}
}
