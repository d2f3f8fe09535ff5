package policies

import (
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	oauth2v3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/oauth2/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// OIDC's Envoy configuration, as Envoy Gateway's: one oauth2 filter per
// SecurityPolicy with oidc in force on a listener's routes, named
// OAuth2FilterName/POLICY, disabled; the routes under the policy enable it
// (SecurityRouteConfig). Its credentials (client secret, HMAC secret) come
// over SDS (ADS) under the names of the Gateway's generic secrets.
//
// The filter answers the redirect path itself (the code exchange) and
// the logout path, but only on a route it is enabled on: the policy must
// be in force on a route matching them, as with Envoy Gateway.

// OAuth2FilterName is the name of Envoy's OAuth2 filter.
const OAuth2FilterName = "envoy.filters.http.oauth2"

// tokenTimeout bounds a request to the token endpoint.
const tokenTimeout = 10 * time.Second

func oauth2FilterName(s *ir.Security) string { return OAuth2FilterName + "/" + s.Policy }

// OAuth2 is the oauth2 filters of SecurityPolicy oidc (a
// feature.Feature).
type OAuth2 struct{ feature.Base }

// HTTPFilters are the listener's oauth2 filters, one per policy with oidc
// in force on its routes, disabled, sorted by name.
func (OAuth2) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	return disabledFilters(l.VirtualHosts, func(r *ir.Route, add func(string, *ir.OIDC)) {
		if r.Security != nil && r.Security.OIDC != nil {
			add(oauth2FilterName(r.Security), r.Security.OIDC)
		}
	}, func(o *ir.OIDC) proto.Message { return &oauth2v3.OAuth2{Config: oauth2Config(o)} })
}

// Route enables the oauth2 filter of r's policy on r.
func (OAuth2) Route(out *routev3.Route, r *ir.Route) {
	if r.Security != nil && r.Security.OIDC != nil {
		feature.SetFilterConfig(out, oauth2FilterName(r.Security), mustAny(&routev3.FilterConfig{Config: &anypb.Any{}}))
	}
}

func oauth2Config(o *ir.OIDC) *oauth2v3.OAuth2Config {
	ads := func(name string) *tlsv3.SdsSecretConfig {
		return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: &corev3.ConfigSource{
			ResourceApiVersion:    corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		}}
	}
	exact := func(p string) *matcherv3.PathMatcher {
		return &matcherv3.PathMatcher{Rule: &matcherv3.PathMatcher_Path{Path: &matcherv3.StringMatcher{
			MatchPattern: &matcherv3.StringMatcher_Exact{Exact: p}}}}
	}
	c := o.Cookies
	return &oauth2v3.OAuth2Config{
		TokenEndpoint: &corev3.HttpUri{
			Uri:              o.TokenEndpoint,
			HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: o.TokenCluster},
			Timeout:          durationpb.New(tokenTimeout),
		},
		AuthorizationEndpoint: o.AuthorizationEndpoint,
		Credentials: &oauth2v3.OAuth2Credentials{
			ClientId:       o.ClientID,
			TokenSecret:    ads(o.ClientSecret),
			TokenFormation: &oauth2v3.OAuth2Credentials_HmacSecret{HmacSecret: ads(o.HMACSecret)},
			CookieNames: &oauth2v3.OAuth2Credentials_CookieNames{
				BearerToken: c.AccessToken, IdToken: c.IDToken, RefreshToken: c.RefreshToken,
				OauthHmac: c.HMAC, OauthExpires: c.Expires, OauthNonce: c.Nonce, CodeVerifier: c.CodeVerifier,
			},
			CookieDomain: o.CookieDomain,
		},
		RedirectUri:         o.RedirectURL,
		RedirectPathMatcher: exact(o.RedirectPath),
		SignoutPath:         exact(o.LogoutPath),
		ForwardBearerToken:  o.ForwardAccessToken,
		AuthScopes:          o.Scopes,
		Resources:           o.Resources,
		UseRefreshToken:     wrapperspb.Bool(o.RefreshToken),
	}
}

// OAuth2SecretNames returns the SDS secrets an HTTP filter uses when it is
// an oauth2 filter (its client and HMAC secrets), else nothing.
func OAuth2SecretNames(f *hcmv3.HttpFilter) ([]string, error) {
	a := f.GetTypedConfig()
	if a == nil || !a.MessageIs(&oauth2v3.OAuth2{}) {
		return nil, nil
	}
	var cfg oauth2v3.OAuth2
	if err := anypb.UnmarshalTo(a, &cfg, proto.UnmarshalOptions{}); err != nil {
		return nil, err
	}
	var out []string
	cr := cfg.GetConfig().GetCredentials()
	for _, s := range []*tlsv3.SdsSecretConfig{cr.GetTokenSecret(), cr.GetHmacSecret()} {
		if s.GetName() != "" {
			out = append(out, s.GetName())
		}
	}
	return out, nil
}
