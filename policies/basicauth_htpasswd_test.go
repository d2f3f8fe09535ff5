package policies

import (
	"strings"
	"testing"

	"github.com/sluice-gitops/sluice/translate/fields"
)

// TestHtpasswd checks what Envoy's basic_auth filter would refuse and the
// normalized list it is given; problems name lines, never their content.
func TestHtpasswd(t *testing.T) {
	t.Parallel()
	const (
		alice = "alice:{SHA}5DuqC45RvfmvDSUqgalkYO1Ix+0="
		bob   = "bob:{SHA}LHKJGUJRGAZvBdz7dg+ErKJ2xdg="
	)
	tests := map[string]struct {
		in       string
		want     string
		problems []string
	}{
		"two users":              {in: alice + "\n" + bob + "\n", want: alice + "\n" + bob},
		"crlf comments blanks":   {in: "# users\r\n\r\n  " + alice + "  \r\n" + bob, want: alice + "\n" + bob},
		"md5":                    {in: alice + "\nbob:$apr1$salt$hash\n", problems: []string{"line 2: the password hash is not {SHA}"}},
		"bcrypt":                 {in: "bob:$2y$05$abcdefghijklmnopqrstuv", problems: []string{"line 1: the password hash is not {SHA}"}},
		"plain":                  {in: "bob:secret-password", problems: []string{"line 1: the password hash is not {SHA}"}},
		"no colon":               {in: "alice", problems: []string{"line 1: is not USER:{SHA}HASH"}},
		"no user":                {in: ":{SHA}5DuqC45RvfmvDSUqgalkYO1Ix+0=", problems: []string{"line 1: has no user name"}},
		"short hash":             {in: "alice:{SHA}abcd", problems: []string{"line 1: the {SHA} hash is not"}},
		"not base64":             {in: "alice:{SHA}!!!!!!!!!!!!!!!!!!!!!!!!!!!=", problems: []string{"line 1: the {SHA} hash is not"}},
		"twice":                  {in: alice + "\n" + bob + "\n" + alice, problems: []string{"line 3: the user of line 1 is listed again"}},
		"only comments":          {in: "# nobody\n\n", problems: []string{"lists no user"}},
		"many bad lines are cut": {in: strings.Repeat("x:y\n", 8), problems: []string{"line 1:", "line 5:", "3 more lines are invalid"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, problems := htpasswd([]byte(tc.in))
			if len(tc.problems) == 0 {
				if len(problems) > 0 || string(got) != tc.want {
					t.Fatalf("got %q, %q; want %q", got, problems, tc.want)
				}
				return
			}
			if got != nil {
				t.Errorf("invalid list returned %q", got)
			}
			all := fields.Message(problems)
			for _, p := range tc.problems {
				if !strings.Contains(all, p) {
					t.Errorf("problems %q lack %q", problems, p)
				}
			}
			for _, secret := range []string{"$apr1$salt$hash", "secret-password", "5DuqC45R", "abcd", "$2y$05"} {
				if strings.Contains(all, secret) {
					t.Errorf("problems %q quote the list's content %q", problems, secret)
				}
			}
		})
	}
}
