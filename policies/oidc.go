package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy oidc, through Envoy's oauth2 filter as Envoy Gateway
// does (oidc_xds.go builds the filter).
//
// The provider's endpoints: sluice translates without I/O, so it cannot
// fetch the issuer's discovery document (.well-known/openid-configuration)
// as Envoy Gateway does when they are missing. authorizationEndpoint and
// tokenEndpoint are therefore required; a policy without them is Invalid
// and fails closed. The token endpoint, https://HOST[:PORT]/PATH, is
// reached through a cluster sluice adds to the Gateway, like a JWKS
// (httpsCluster in jwt.go), named oauth2/HOST:PORT.
//
// The client secret is the key client-secret of a core Secret in the
// policy's namespace, or in another one when a ReferenceGrant there
// allows SecurityPolicies of the policy's namespace. It goes to Envoy over
// SDS as a generic secret named oauth2/POLICY/client-secret.
//
// The HMAC secret signs the filter's cookies. Envoy Gateway generates a
// random one and keeps it in a Secret; sluice must stay a pure function of
// the repository (two replicas serve the same xDS), so it derives it:
// SHA-256 of a fixed label, the policy's name and SHA-256 of the client
// secret (hmacSecret). It changes, and logs users out, when the client
// secret changes; whoever knows the client secret can compute it, so the
// client secret protects the cookies as well as the client. It goes over
// SDS as oauth2/POLICY/hmac.

// clientSecretKey is the key of the client secret in its Secret.
const clientSecretKey = "client-secret"

// Envoy Gateway's defaults.
const (
	defaultRedirectURL = "%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback"
	defaultLogoutPath  = "/logout"
)

var defaultScopes = []string{"openid", "email", "profile"}

// oidcImplemented are the fields of spec.oidc sluice implements.
var oidcImplemented = map[string]bool{
	"provider": true, "clientID": true, "clientSecret": true, "cookieNames": true,
	"cookieDomain": true, "scopes": true, "resources": true, "redirectURL": true,
	"logoutPath": true, "forwardAccessToken": true, "refreshToken": true,
}

// oidcProviderImplemented are the fields of spec.oidc.provider sluice
// implements.
var oidcProviderImplemented = map[string]bool{"issuer": true, "authorizationEndpoint": true, "tokenEndpoint": true}

// oidcSpec checks spec.oidc of the policy named name (securitypolicy/NS/NAME)
// in namespace ns and returns its IR, the token endpoint's cluster and
// the generic secrets, or the problems, each naming its field.
func oidcSpec(field, name, ns string, o *egv1a1.OIDC, in SecurityInput) (*ir.OIDC, *ir.Cluster, []*ir.Secret, []error) {
	var errs fields.List
	for _, f := range unimplemented(field, o, oidcImplemented) {
		errs.Add(f, "is not supported by sluice")
	}
	for _, f := range unimplemented(field+".provider", o.Provider, oidcProviderImplemented) {
		errs.Add(f, "is not supported by sluice")
	}
	out := &ir.OIDC{Issuer: o.Provider.Issuer, ClientID: deref(o.ClientID), CookieDomain: deref(o.CookieDomain),
		ForwardAccessToken: o.ForwardAccessToken != nil && *o.ForwardAccessToken,
		RefreshToken:       o.RefreshToken != nil && *o.RefreshToken, Resources: o.Resources}
	if u, err := url.Parse(out.Issuer); err != nil || u.Scheme != "https" || u.Host == "" {
		errs.Add(field+".provider.issuer", "%q is not an https URL", out.Issuer)
	}
	out.AuthorizationEndpoint = deref(o.Provider.AuthorizationEndpoint)
	if out.AuthorizationEndpoint == "" {
		errs.Add(field+".provider.authorizationEndpoint", "is required: sluice cannot fetch the issuer's discovery document")
	} else if u, err := url.Parse(out.AuthorizationEndpoint); err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		errs.Add(field+".provider.authorizationEndpoint", "%q is not https://HOST[:PORT]/PATH", out.AuthorizationEndpoint)
	}
	var cluster *ir.Cluster
	out.TokenEndpoint = deref(o.Provider.TokenEndpoint)
	if out.TokenEndpoint == "" {
		errs.Add(field+".provider.tokenEndpoint", "is required: sluice cannot fetch the issuer's discovery document")
	} else if c, err := httpsCluster("oauth2", out.TokenEndpoint); err != nil {
		errs = append(errs, fields.Wrap(field+".provider.tokenEndpoint", err))
	} else {
		cluster, out.TokenCluster = c, c.Name
	}
	if out.ClientID == "" {
		errs.Add(field+".clientID", "is required")
	}
	secret, err := clientSecret(field+".clientSecret", ns, o, in)
	errs.Check(err)
	out.RedirectURL = deref(o.RedirectURL)
	if out.RedirectURL == "" {
		out.RedirectURL = defaultRedirectURL
	}
	if out.RedirectPath = redirectPath(out.RedirectURL); out.RedirectPath == "" {
		errs.Add(field+".redirectURL", "%q is not SCHEME://HOST/PATH", out.RedirectURL)
	}
	if out.LogoutPath = deref(o.LogoutPath); out.LogoutPath == "" {
		out.LogoutPath = defaultLogoutPath
	}
	if !strings.HasPrefix(out.LogoutPath, "/") {
		errs.Add(field+".logoutPath", "%q does not start with /", out.LogoutPath)
	}
	out.Scopes = oidcScopes(o.Scopes)
	out.Cookies = oidcCookies(name, o.CookieNames)
	for _, c := range []struct{ f, v string }{{"idToken", out.Cookies.IDToken}, {"accessToken", out.Cookies.AccessToken}} {
		if !validCookieName(c.v) {
			errs.Add(fmt.Sprintf("%s.cookieNames.%s", field, c.f), "%q is not a cookie name", c.v)
		}
	}
	if len(errs) > 0 {
		return nil, nil, nil, errs
	}
	out.ClientSecret, out.HMACSecret = "oauth2/"+name+"/client-secret", "oauth2/"+name+"/hmac"
	secrets := []*ir.Secret{{Name: out.ClientSecret, Generic: secret}, {Name: out.HMACSecret, Generic: hmacSecret(name, secret)}}
	return out, cluster, secrets, nil
}

// clientSecret returns the client secret, the reference at field, or
// the problem, naming its field.
func clientSecret(field, ns string, o *egv1a1.OIDC, in SecurityInput) ([]byte, error) {
	data, err := credentialSecret(field, ns, o.ClientSecret, in)
	if err != nil {
		return nil, err
	}
	if len(data[clientSecretKey]) == 0 {
		sns := ns
		if o.ClientSecret.Namespace != nil && *o.ClientSecret.Namespace != "" {
			sns = string(*o.ClientSecret.Namespace)
		}
		return nil, fields.Invalid(field+".name", "Secret %s/%s: data[%q] is missing or empty", sns, o.ClientSecret.Name, clientSecretKey)
	}
	return data[clientSecretKey], nil
}

// hmacSecret derives the HMAC secret of a policy from its name and its
// client secret (see the top of this file).
func hmacSecret(policy string, clientSecret []byte) []byte {
	cs := sha256.Sum256(clientSecret)
	h := sha256.New()
	h.Write([]byte("sluice oauth2 hmac v1\x00" + policy + "\x00"))
	h.Write(cs[:])
	return h.Sum(nil)
}

// redirectPath is the path of a redirect URL, which may hold Envoy
// substitutions (and so not parse as a URL), or "".
func redirectPath(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	i := strings.Index(rest, "/")
	if i <= 0 {
		return ""
	}
	p, _, _ := strings.Cut(rest[i:], "?")
	if strings.ContainsAny(p, "%# ") {
		return ""
	}
	return p
}

// oidcScopes are the scopes asked for: Envoy Gateway's default, or the
// given ones with openid first unless present.
func oidcScopes(scopes []string) []string {
	if len(scopes) == 0 {
		return slices.Clone(defaultScopes)
	}
	if slices.Contains(scopes, "openid") {
		return slices.Clone(scopes)
	}
	return append([]string{"openid"}, scopes...)
}

// oidcCookies names the filter's cookies NAME-SUFFIX, SUFFIX from the
// policy's name (so two policies on one domain do not share sessions), as
// Envoy Gateway does, unless cookieNames sets them.
func oidcCookies(policy string, names *egv1a1.OIDCCookieNames) ir.OIDCCookies {
	sum := sha256.Sum256([]byte(policy))
	suffix := strings.ToUpper(hex.EncodeToString(sum[:4]))
	c := ir.OIDCCookies{
		AccessToken: "AccessToken-" + suffix, IDToken: "IdToken-" + suffix, RefreshToken: "RefreshToken-" + suffix,
		HMAC: "OauthHMAC-" + suffix, Expires: "OauthExpires-" + suffix, Nonce: "OauthNonce-" + suffix, CodeVerifier: "CodeVerifier-" + suffix,
	}
	if names != nil && names.AccessToken != nil {
		c.AccessToken = *names.AccessToken
	}
	if names != nil && names.IDToken != nil {
		c.IDToken = *names.IDToken
	}
	return c
}

// validCookieName reports whether n is an RFC 6265 cookie name (a token).
func validCookieName(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

// unimplemented names the set fields of v (a struct) that are not in
// implemented, each prefixed with field, sorted.
func unimplemented(field string, v any, implemented map[string]bool) []string {
	raw, err := json.Marshal(v)
	if err != nil {
		return []string{field}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return []string{field}
	}
	var out []string
	for k, v := range m {
		if !implemented[k] && string(v) != "null" && string(v) != "{}" && string(v) != "[]" {
			out = append(out, field+"."+k)
		}
	}
	sort.Strings(out)
	return out
}
