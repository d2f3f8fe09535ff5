package ir

import (
	"bytes"
	"errors"
	"fmt"
)

// BasicAuth checks HTTP Basic credentials against an htpasswd list
// (SecurityPolicy basicAuth, package policies, basicauth.go).
type BasicAuth struct {
	// Users is the htpasswd list, one USER:{SHA}HASH per line. The hashes
	// are credentials: never printed.
	Users []byte `json:"-" yaml:"-"`
	// Source names the Secret the list comes from (NAMESPACE/NAME).
	Source string `json:"source" yaml:"source"`
	// ForwardUsernameHeader, when set, carries the authenticated user name
	// to the backend.
	ForwardUsernameHeader string `json:"forwardUsernameHeader,omitempty" yaml:"forwardUsernameHeader,omitempty"`
}

// APIKeyAuth checks an API key taken from a header, query or cookie
// (SecurityPolicy apiKeyAuth, package policies, apikeyauth.go).
type APIKeyAuth struct {
	// Credentials are the accepted keys, each with the client it
	// identifies; none lets no request through.
	Credentials []APIKeyCredential `json:"credentials" yaml:"credentials"`
	// KeySources are where the key is looked for, in order.
	KeySources []APIKeySource `json:"keySources" yaml:"keySources"`
	// ForwardClientIDHeader, when set, carries the client of the key to
	// the backend.
	ForwardClientIDHeader string `json:"forwardClientIDHeader,omitempty" yaml:"forwardClientIDHeader,omitempty"`
	// Sanitize removes the key from the request before it goes upstream.
	Sanitize bool `json:"sanitize,omitempty" yaml:"sanitize,omitempty"`
}

// APIKeyCredential is one API key and the client it identifies. The key
// is a credential: never printed.
type APIKeyCredential struct {
	Client string `json:"client" yaml:"client"`
	Key    []byte `json:"-" yaml:"-"`
}

// APIKeySource is one place an API key may be: exactly one of a request
// header, a query parameter or a cookie.
type APIKeySource struct {
	Header string `json:"header,omitempty" yaml:"header,omitempty"`
	Query  string `json:"query,omitempty" yaml:"query,omitempty"`
	Cookie string `json:"cookie,omitempty" yaml:"cookie,omitempty"`
}

// AuthzHeader is an authorization principal: the request header Name has
// exactly one of Values.
type AuthzHeader struct {
	Name   string   `json:"name" yaml:"name"`
	Values []string `json:"values" yaml:"values"`
}

// validateAuthn checks the basic and API key authentication of s and the
// header principals of its authorization rules.
func (s *Security) validateAuthn() error {
	if err := s.BasicAuth.validate(); err != nil {
		return fmt.Errorf("security %q: basicAuth: %w", s.Policy, err)
	}
	if err := s.APIKeyAuth.validate(); err != nil {
		return fmt.Errorf("security %q: apiKeyAuth: %w", s.Policy, err)
	}
	if s.Authorization != nil {
		for _, r := range s.Authorization.Rules {
			for _, h := range r.Headers {
				if h.Name == "" || len(h.Values) == 0 {
					return fmt.Errorf("security %q: rule %q: a header principal needs a name and values", s.Policy, r.Name)
				}
			}
		}
	}
	return nil
}

func (b *BasicAuth) validate() error {
	if b == nil {
		return nil
	}
	if len(bytes.TrimSpace(b.Users)) == 0 {
		return errors.New("no users")
	}
	return nil
}

func (a *APIKeyAuth) validate() error {
	if a == nil {
		return nil
	}
	if len(a.KeySources) == 0 {
		return errors.New("no key sources")
	}
	for _, s := range a.KeySources {
		n := 0
		for _, v := range []string{s.Header, s.Query, s.Cookie} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			return errors.New("a key source must name exactly one of header, query and cookie")
		}
	}
	clients, keys := map[string]bool{}, map[string]bool{}
	for _, c := range a.Credentials {
		switch {
		case c.Client == "" || len(c.Key) == 0:
			return errors.New("a credential has no client or no key")
		case clients[c.Client]:
			return fmt.Errorf("client %q is repeated", c.Client)
		case keys[string(c.Key)]:
			// The key itself is never named.
			return fmt.Errorf("client %q has the key of another client", c.Client)
		}
		clients[c.Client], keys[string(c.Key)] = true, true
	}
	return nil
}
