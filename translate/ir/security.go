package ir

import (
	"errors"
	"fmt"
	"net/netip"
)

// Security is what a SecurityPolicy does on a route (package policies,
// securitypolicy.go): OIDC login, JWT authentication, then authorization.
// Routes with the same Policy share the filter configuration.
type Security struct {
	// Policy names the SecurityPolicy (securitypolicy/NAMESPACE/NAME).
	Policy        string         `json:"policy" yaml:"policy"`
	OIDC          *OIDC          `json:"oidc,omitempty" yaml:"oidc,omitempty"`
	JWT           *JWT           `json:"jwt,omitempty" yaml:"jwt,omitempty"`
	Authorization *Authorization `json:"authorization,omitempty" yaml:"authorization,omitempty"`
	BasicAuth     *BasicAuth     `json:"basicAuth,omitempty" yaml:"basicAuth,omitempty"`
	APIKeyAuth    *APIKeyAuth    `json:"apiKeyAuth,omitempty" yaml:"apiKeyAuth,omitempty"`
	ExtAuth       *ExtAuth       `json:"extAuth,omitempty" yaml:"extAuth,omitempty"`
	// CORS is the policy's cors; it applies to the route as an HTTPRoute
	// CORS filter would (Route.CORS).
	CORS *CORS `json:"cors,omitempty" yaml:"cors,omitempty"`
}

// JWT authenticates requests with JSON Web Tokens: a request must carry a
// token valid for one of the providers.
type JWT struct {
	// Optional lets requests without a token through (an invalid token
	// is still rejected).
	Optional  bool          `json:"optional,omitempty" yaml:"optional,omitempty"`
	Providers []JWTProvider `json:"providers" yaml:"providers"`
}

// JWTProvider is one token issuer and where its keys and tokens are.
type JWTProvider struct {
	Name      string   `json:"name" yaml:"name"`
	Issuer    string   `json:"issuer,omitempty" yaml:"issuer,omitempty"`
	Audiences []string `json:"audiences,omitempty" yaml:"audiences,omitempty"`
	// JWKSURI is fetched through JWKSCluster, a cluster of the Gateway.
	JWKSURI     string `json:"jwksURI" yaml:"jwksURI"`
	JWKSCluster string `json:"jwksCluster" yaml:"jwksCluster"`
	// FromHeaders, FromCookies and FromParams say where the token is;
	// none means the Authorization header, "Bearer " prefix.
	FromHeaders    []JWTHeader     `json:"fromHeaders,omitempty" yaml:"fromHeaders,omitempty"`
	FromCookies    []string        `json:"fromCookies,omitempty" yaml:"fromCookies,omitempty"`
	FromParams     []string        `json:"fromParams,omitempty" yaml:"fromParams,omitempty"`
	ClaimToHeaders []ClaimToHeader `json:"claimToHeaders,omitempty" yaml:"claimToHeaders,omitempty"`
}

// JWTHeader is a header carrying the token after ValuePrefix.
type JWTHeader struct {
	Name        string `json:"name" yaml:"name"`
	ValuePrefix string `json:"valuePrefix,omitempty" yaml:"valuePrefix,omitempty"`
}

// ClaimToHeader copies a claim of a valid token into a request header.
type ClaimToHeader struct {
	Header string `json:"header" yaml:"header"`
	Claim  string `json:"claim" yaml:"claim"`
}

// Authorization allows or denies requests: the first rule that matches
// decides, else the default.
type Authorization struct {
	DefaultAllow bool        `json:"defaultAllow" yaml:"defaultAllow"`
	Rules        []AuthzRule `json:"rules,omitempty" yaml:"rules,omitempty"`
}

// AuthzRule matches when all its principals do: the client address is in
// one of ClientCIDRs, the JWT matches, and every header of Headers has one
// of its values.
type AuthzRule struct {
	Name        string        `json:"name" yaml:"name"`
	Allow       bool          `json:"allow" yaml:"allow"`
	ClientCIDRs []string      `json:"clientCIDRs,omitempty" yaml:"clientCIDRs,omitempty"`
	JWT         *JWTPrincipal `json:"jwt,omitempty" yaml:"jwt,omitempty"`
	Headers     []AuthzHeader `json:"headers,omitempty" yaml:"headers,omitempty"`
}

// JWTPrincipal matches the payload of a token validated by Provider: it
// has every scope and every claim has one of its values.
type JWTPrincipal struct {
	Provider string     `json:"provider" yaml:"provider"`
	Scopes   []string   `json:"scopes,omitempty" yaml:"scopes,omitempty"`
	Claims   []JWTClaim `json:"claims,omitempty" yaml:"claims,omitempty"`
}

// JWTClaim is a claim, by its path in the payload ("user.name" is
// [user name]), and the values it may have; a StringArray claim matches
// when one of its elements is one of Values.
type JWTClaim struct {
	Path        []string `json:"path" yaml:"path"`
	StringArray bool     `json:"stringArray,omitempty" yaml:"stringArray,omitempty"`
	Values      []string `json:"values" yaml:"values"`
}

func (s *Security) validate(clusters map[string]bool) error {
	if s.Policy == "" {
		return errors.New("security has no policy name")
	}
	if err := s.OIDC.validate(clusters); err != nil {
		return fmt.Errorf("security %q: oidc: %w", s.Policy, err)
	}
	if err := s.ExtAuth.validate(clusters); err != nil {
		return fmt.Errorf("security %q: extAuth: %w", s.Policy, err)
	}
	if err := s.validateAuthn(); err != nil {
		return err
	}
	providers := map[string]bool{}
	if s.JWT != nil {
		if len(s.JWT.Providers) == 0 {
			return fmt.Errorf("security %q: jwt has no providers", s.Policy)
		}
		for _, p := range s.JWT.Providers {
			switch {
			case p.Name == "" || providers[p.Name]:
				return fmt.Errorf("security %q: jwt provider name %q is empty or repeated", s.Policy, p.Name)
			case !clusters[p.JWKSCluster]:
				return fmt.Errorf("security %q: jwt provider %q: cluster %q does not exist", s.Policy, p.Name, p.JWKSCluster)
			}
			providers[p.Name] = true
		}
	}
	if a := s.Authorization; a != nil {
		for _, r := range a.Rules {
			for _, c := range r.ClientCIDRs {
				if _, err := netip.ParsePrefix(c); err != nil {
					return fmt.Errorf("security %q: rule %q: %w", s.Policy, r.Name, err)
				}
			}
			if r.JWT != nil && !providers[r.JWT.Provider] {
				return fmt.Errorf("security %q: rule %q: jwt provider %q does not exist", s.Policy, r.Name, r.JWT.Provider)
			}
			if len(r.ClientCIDRs) == 0 && r.JWT == nil && len(r.Headers) == 0 {
				return fmt.Errorf("security %q: rule %q has no principal", s.Policy, r.Name)
			}
		}
	}
	return nil
}
