package ir

import (
	"errors"
	"fmt"
	"strings"
)

// OIDC logs users in with OpenID Connect (authorization code flow)
// through Envoy's oauth2 filter: requests without valid session cookies
// are redirected to AuthorizationEndpoint; the code is exchanged at
// TokenEndpoint, fetched through TokenCluster, a cluster of the Gateway.
type OIDC struct {
	Issuer                string `json:"issuer" yaml:"issuer"`
	AuthorizationEndpoint string `json:"authorizationEndpoint" yaml:"authorizationEndpoint"`
	TokenEndpoint         string `json:"tokenEndpoint" yaml:"tokenEndpoint"`
	TokenCluster          string `json:"tokenCluster" yaml:"tokenCluster"`
	ClientID              string `json:"clientID" yaml:"clientID"`
	// ClientSecret and HMACSecret name generic Secrets of the Gateway
	// (Gateway.Secrets), served over SDS.
	ClientSecret string `json:"clientSecret" yaml:"clientSecret"`
	HMACSecret   string `json:"hmacSecret" yaml:"hmacSecret"`
	// RedirectURL may hold Envoy substitutions (%REQ(:authority)%);
	// RedirectPath is its path, where the filter takes the code.
	RedirectURL  string      `json:"redirectURL" yaml:"redirectURL"`
	RedirectPath string      `json:"redirectPath" yaml:"redirectPath"`
	LogoutPath   string      `json:"logoutPath" yaml:"logoutPath"`
	Scopes       []string    `json:"scopes" yaml:"scopes"`
	Resources    []string    `json:"resources,omitempty" yaml:"resources,omitempty"`
	Cookies      OIDCCookies `json:"cookies" yaml:"cookies"`
	CookieDomain string      `json:"cookieDomain,omitempty" yaml:"cookieDomain,omitempty"`
	// ForwardAccessToken sends the access token upstream as a bearer
	// token; RefreshToken refreshes expired tokens.
	ForwardAccessToken bool `json:"forwardAccessToken,omitempty" yaml:"forwardAccessToken,omitempty"`
	RefreshToken       bool `json:"refreshToken,omitempty" yaml:"refreshToken,omitempty"`
}

// OIDCCookies are the names of the cookies the oauth2 filter sets.
type OIDCCookies struct {
	AccessToken  string `json:"accessToken" yaml:"accessToken"`
	IDToken      string `json:"idToken" yaml:"idToken"`
	RefreshToken string `json:"refreshToken" yaml:"refreshToken"`
	HMAC         string `json:"hmac" yaml:"hmac"`
	Expires      string `json:"expires" yaml:"expires"`
	Nonce        string `json:"nonce" yaml:"nonce"`
	CodeVerifier string `json:"codeVerifier" yaml:"codeVerifier"`
}

func (o *OIDC) validate(clusters map[string]bool) error {
	if o == nil {
		return nil
	}
	switch {
	case o.AuthorizationEndpoint == "" || o.TokenEndpoint == "" || o.ClientID == "":
		return errors.New("authorization endpoint, token endpoint and client ID must be set")
	case !clusters[o.TokenCluster]:
		return fmt.Errorf("cluster %q does not exist", o.TokenCluster)
	case o.ClientSecret == "" || o.HMACSecret == "":
		return errors.New("client and HMAC secrets must be named")
	case !strings.HasPrefix(o.RedirectPath, "/") || !strings.HasPrefix(o.LogoutPath, "/"):
		return fmt.Errorf("redirect path %q and logout path %q must start with /", o.RedirectPath, o.LogoutPath)
	}
	c := o.Cookies
	for _, n := range []string{c.AccessToken, c.IDToken, c.RefreshToken, c.HMAC, c.Expires, c.Nonce, c.CodeVerifier} {
		if n == "" {
			return errors.New("a cookie name is empty")
		}
	}
	return nil
}

// oidcSecrets returns the SDS names of the OIDC secrets the routes of g
// use.
func (g *Gateway) oidcSecrets() []string {
	var out []string
	each := func(vhs []*VirtualHost) {
		for _, vh := range vhs {
			for _, r := range vh.Routes {
				if r.Security != nil && r.Security.OIDC != nil {
					out = append(out, r.Security.OIDC.ClientSecret, r.Security.OIDC.HMACSecret)
				}
			}
		}
	}
	for _, l := range g.Listeners {
		each(l.VirtualHosts)
		for _, c := range l.TLSChains {
			each(c.VirtualHosts)
		}
	}
	return out
}
