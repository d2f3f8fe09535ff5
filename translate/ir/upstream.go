package ir

import (
	"errors"
	"fmt"
)

// UpstreamTLS is how Envoy originates TLS to a cluster's endpoints (a
// BackendTLSPolicy): the SNI it sends, the CAs it trusts and the names the
// certificate must carry.
type UpstreamTLS struct {
	SNI string `json:"sni" yaml:"sni"`
	// CACertificates is a PEM bundle. Empty means the system's trust
	// store (SystemCAs).
	CACertificates string `json:"caCertificates,omitempty" yaml:"caCertificates,omitempty"`
	SystemCAs      bool   `json:"systemCAs,omitempty" yaml:"systemCAs,omitempty"`
	// SubjectAltNames: the certificate must carry one of them.
	SubjectAltNames []SubjectAltName `json:"subjectAltNames" yaml:"subjectAltNames"`
	// Policy names the BackendTLSPolicy, namespace/name.
	Policy string `json:"policy" yaml:"policy"`
}

// SubjectAltName is a DNS name or a URI.
type SubjectAltName struct {
	DNS string `json:"dns,omitempty" yaml:"dns,omitempty"`
	URI string `json:"uri,omitempty" yaml:"uri,omitempty"`
}

// Session persistence types.
const (
	SessionCookie = "Cookie"
	SessionHeader = "Header"
)

// SessionPersistence keeps a client on one endpoint: the endpoint is
// written into a cookie or header that the client sends back.
type SessionPersistence struct {
	Type string `json:"type" yaml:"type"`
	// Name is the cookie's or the header's.
	Name string `json:"name" yaml:"name"`
	// CookiePath scopes the cookie; "/" by default.
	CookiePath string `json:"cookiePath,omitempty" yaml:"cookiePath,omitempty"`
	// CookieTTL makes the cookie permanent (Max-Age); nil means a
	// session cookie.
	CookieTTL *Duration `json:"cookieTTL,omitempty" yaml:"cookieTTL,omitempty"`
}

func (s *SessionPersistence) validate() error {
	switch {
	case s.Name == "":
		return errors.New("session persistence needs a name")
	case s.Type != SessionCookie && s.Type != SessionHeader:
		return fmt.Errorf("session persistence type %q is neither Cookie nor Header", s.Type)
	case s.Type == SessionHeader && (s.CookiePath != "" || s.CookieTTL != nil):
		return errors.New("header session persistence has no cookie")
	}
	return nil
}

func (t *UpstreamTLS) validate() error {
	switch {
	case t.SNI == "":
		return errors.New("upstream TLS needs an SNI name")
	case t.CACertificates == "" && !t.SystemCAs:
		return errors.New("upstream TLS needs CA certificates or the system's")
	}
	return nil
}
