package ir

import (
	"strings"
	"testing"
)

// TestValidateAuthn: basic and API key authentication a filter could not
// be built from, and header principals without a name or values, are
// refused; an error never quotes a key.
func TestValidateAuthn(t *testing.T) {
	t.Parallel()
	keys := func(cs ...APIKeyCredential) *APIKeyAuth {
		return &APIKeyAuth{Credentials: cs, KeySources: []APIKeySource{{Header: "x-api-key"}}}
	}
	tests := map[string]struct {
		s       Security
		wantErr string
	}{
		"valid": {s: Security{BasicAuth: &BasicAuth{Users: []byte("a:{SHA}x")},
			APIKeyAuth: keys(APIKeyCredential{Client: "a", Key: []byte("k1")}, APIKeyCredential{Client: "b", Key: []byte("k2")})}},
		"no users":        {s: Security{BasicAuth: &BasicAuth{Users: []byte("\n")}}, wantErr: "basicAuth: no users"},
		"no key source":   {s: Security{APIKeyAuth: &APIKeyAuth{}}, wantErr: "no key sources"},
		"two in a source": {s: Security{APIKeyAuth: &APIKeyAuth{KeySources: []APIKeySource{{Header: "h", Query: "q"}}}}, wantErr: "exactly one"},
		"empty key":       {s: Security{APIKeyAuth: keys(APIKeyCredential{Client: "a"})}, wantErr: "no client or no key"},
		"client twice": {s: Security{APIKeyAuth: keys(APIKeyCredential{Client: "a", Key: []byte("k1")}, APIKeyCredential{Client: "a", Key: []byte("k2")})},
			wantErr: `client "a" is repeated`},
		"shared key": {s: Security{APIKeyAuth: keys(APIKeyCredential{Client: "a", Key: []byte("secret-key")}, APIKeyCredential{Client: "b", Key: []byte("secret-key")})},
			wantErr: `client "b" has the key of another client`},
		"header without values": {s: Security{Authorization: &Authorization{Rules: []AuthzRule{{Name: "r", Headers: []AuthzHeader{{Name: "x"}}}}}},
			wantErr: "needs a name and values"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.s.Policy = "securitypolicy/default/p"
			err := tc.s.validateAuthn()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			case err != nil && strings.Contains(err.Error(), "secret-key"):
				t.Fatalf("the error quotes a key: %v", err)
			}
		})
	}
}
