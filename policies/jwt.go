package policies

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtauthnv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy jwt, through Envoy's jwt_authn filter, as Envoy Gateway
// does: one filter per listener holding the providers of every policy in
// force on its routes (named POLICY/PROVIDER) and a requirement per route
// (requirement_map, by route name); each route names its requirement in
// its typed_per_filter_config. Routes without one are not checked.
//
// A token must be valid for one of the policy's providers (requires_any;
// with optional, a request without a token passes too). The payload of a
// valid token goes into the filter's dynamic metadata under the provider
// name, its "scope" claim split into a list on spaces, for authz.go.
//
// The JWKS are fetched from remoteJWKS.uri, which must be
// https://HOST[:PORT]/PATH, through a cluster sluice adds to the Gateway:
// STRICT_DNS to HOST:PORT (443 by default), TLS with SNI HOST, the
// certificate checked against the system CAs and HOST.

// JWTFilterName is the name of Envoy's JWT authentication filter.
const JWTFilterName = "envoy.filters.http.jwt_authn"

// jwksTimeout bounds a JWKS fetch; jwksCache is how long keys are kept
// (Envoy Gateway's values).
const (
	jwksTimeout = 10 * time.Second
	jwksCache   = 300 * time.Second
)

// jwtSpec checks spec.jwt and returns its IR and the clusters its JWKS
// are fetched from, or the problems, each naming its field.
func jwtSpec(field string, j *egv1a1.JWT) (*ir.JWT, []*ir.Cluster, []error) {
	out := &ir.JWT{Optional: j.Optional != nil && *j.Optional}
	var clusters []*ir.Cluster
	var errs fields.List
	if j.FailOpen != nil && *j.FailOpen {
		errs.Add(field+".failOpen", "is not supported by sluice")
	}
	if len(j.Providers) == 0 {
		errs.Add(field+".providers", "must have at least one provider")
	}
	seen := map[string]bool{}
	for i, p := range j.Providers {
		pf := fmt.Sprintf("%s.providers[%d]", field, i)
		switch {
		case p.Name == "":
			errs.Add(pf+".name", "must not be empty")
		case seen[p.Name]:
			errs.Add(pf+".name", "provider %q is defined twice", p.Name)
		}
		seen[p.Name] = true
		prov := ir.JWTProvider{Name: p.Name, Issuer: p.Issuer, Audiences: p.Audiences}
		switch {
		case p.LocalJWKS != nil:
			errs.Add(pf+".localJWKS", "is not supported by sluice; use remoteJWKS")
		case p.RemoteJWKS == nil:
			errs.Add(pf+".remoteJWKS", "is required")
		default:
			c, err := jwksCluster(pf+".remoteJWKS", p.RemoteJWKS)
			if err != nil {
				errs = append(errs, err)
				break
			}
			prov.JWKSURI, prov.JWKSCluster = p.RemoteJWKS.URI, c.Name
			clusters = append(clusters, c)
		}
		if p.RecomputeRoute != nil {
			errs.Add(pf+".recomputeRoute", "is not supported by sluice")
		}
		for k, c := range p.ClaimToHeaders {
			if c.Header == "" || c.Claim == "" {
				errs.Add(fmt.Sprintf("%s.claimToHeaders[%d]", pf, k), "header and claim must not be empty")
			}
			prov.ClaimToHeaders = append(prov.ClaimToHeaders, ir.ClaimToHeader{Header: c.Header, Claim: c.Claim})
		}
		if e := p.ExtractFrom; e != nil {
			for k, h := range e.Headers {
				if h.Name == "" {
					errs.Add(fmt.Sprintf("%s.extractFrom.headers[%d].name", pf, k), "must not be empty")
				}
				prov.FromHeaders = append(prov.FromHeaders, ir.JWTHeader{Name: h.Name, ValuePrefix: deref(h.ValuePrefix)})
			}
			prov.FromCookies, prov.FromParams = e.Cookies, e.Params
		}
		out.Providers = append(out.Providers, prov)
	}
	return out, clusters, errs
}

// jwksCluster checks the remoteJWKS at field and returns the cluster its
// URI is fetched through, or the problem, naming its field.
func jwksCluster(field string, r *egv1a1.RemoteJWKS) (*ir.Cluster, error) {
	if r.BackendRef != nil || len(r.BackendRefs) > 0 || r.BackendSettings != nil {
		return nil, fields.Invalid(field+".backendRefs", "is not supported by sluice")
	}
	if r.CacheDuration != nil || r.FailedRefetchDuration != nil {
		return nil, fields.Invalid(field+".cacheDuration", "is not supported by sluice")
	}
	c, err := httpsCluster("jwks", r.URI)
	if err != nil {
		return nil, fields.Wrap(field+".uri", err)
	}
	return c, nil
}

// httpsCluster returns the cluster an https://HOST[:PORT]/PATH URI is
// fetched through, named KIND/HOST:PORT: STRICT_DNS to HOST:PORT (443 by
// default), TLS with SNI HOST, the certificate checked against the system
// CAs and HOST. The problem, if any, quotes the URI and names no field.
func httpsCluster(kind, uri string) (*ir.Cluster, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Opaque != "" || u.Hostname() == "" || !strings.HasPrefix(u.Path, "/") {
		return nil, fmt.Errorf("%q is not https://HOST[:PORT]/PATH", uri)
	}
	port := uint32(443)
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%q has an invalid port", uri)
		}
		port = uint32(n)
	}
	host := u.Hostname()
	return &ir.Cluster{
		Name:      kind + "/" + net.JoinHostPort(host, strconv.Itoa(int(port))),
		DNS:       true,
		Endpoints: []*ir.Endpoint{{Host: host, Port: port}},
		TLS:       &ir.UpstreamTLS{SNI: host, SystemCAs: true, SubjectAltNames: []ir.SubjectAltName{{DNS: host}}, Policy: kind},
	}, nil
}

// jwtProviderName is a provider's name in the listener's filter.
func jwtProviderName(s *ir.Security, p ir.JWTProvider) string { return s.Policy + "/" + p.Name }

// JWTAuthn is the jwt_authn filter of SecurityPolicy jwt (a
// feature.Feature).
type JWTAuthn struct{ feature.Base }

// HTTPFilters is the listener's jwt_authn filter, if one of its routes
// has a JWT policy: every provider, and each route's requirement under
// the route's name.
func (JWTAuthn) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	cfg := &jwtauthnv3.JwtAuthentication{
		Providers:      map[string]*jwtauthnv3.JwtProvider{},
		RequirementMap: map[string]*jwtauthnv3.JwtRequirement{},
	}
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			if r.Security == nil || r.Security.JWT == nil {
				continue
			}
			var names []string
			for _, p := range r.Security.JWT.Providers {
				name := jwtProviderName(r.Security, p)
				cfg.Providers[name] = jwtProvider(p)
				names = append(names, name)
			}
			cfg.RequirementMap[r.Name] = jwtRequirement(names, r.Security.JWT.Optional)
		}
	}
	if len(cfg.RequirementMap) == 0 {
		return nil
	}
	return []*hcmv3.HttpFilter{{Name: JWTFilterName, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(cfg)}}}
}

// jwtRequirement asks for a token valid for one of the providers.
func jwtRequirement(names []string, optional bool) *jwtauthnv3.JwtRequirement {
	sort.Strings(names)
	var reqs []*jwtauthnv3.JwtRequirement
	for _, n := range names {
		reqs = append(reqs, &jwtauthnv3.JwtRequirement{RequiresType: &jwtauthnv3.JwtRequirement_ProviderName{ProviderName: n}})
	}
	if optional {
		reqs = append(reqs, &jwtauthnv3.JwtRequirement{RequiresType: &jwtauthnv3.JwtRequirement_AllowMissing{}})
	}
	if len(reqs) == 1 {
		return reqs[0]
	}
	return &jwtauthnv3.JwtRequirement{RequiresType: &jwtauthnv3.JwtRequirement_RequiresAny{
		RequiresAny: &jwtauthnv3.JwtRequirementOrList{Requirements: reqs}}}
}

func jwtProvider(p ir.JWTProvider) *jwtauthnv3.JwtProvider {
	out := &jwtauthnv3.JwtProvider{
		Issuer:    p.Issuer,
		Audiences: p.Audiences,
		JwksSourceSpecifier: &jwtauthnv3.JwtProvider_RemoteJwks{RemoteJwks: &jwtauthnv3.RemoteJwks{
			HttpUri: &corev3.HttpUri{
				Uri:              p.JWKSURI,
				HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: p.JWKSCluster},
				Timeout:          durationpb.New(jwksTimeout),
			},
			CacheDuration: durationpb.New(jwksCache),
		}},
		// authz.go matches the payload; scopes are a list there.
		PayloadInMetadata:          p.Name,
		NormalizePayloadInMetadata: &jwtauthnv3.JwtProvider_NormalizePayload{SpaceDelimitedClaims: []string{"scope"}},
		FromCookies:                p.FromCookies,
		FromParams:                 p.FromParams,
	}
	for _, h := range p.FromHeaders {
		out.FromHeaders = append(out.FromHeaders, &jwtauthnv3.JwtHeader{Name: h.Name, ValuePrefix: h.ValuePrefix})
	}
	for _, c := range p.ClaimToHeaders {
		out.ClaimToHeaders = append(out.ClaimToHeaders, &jwtauthnv3.JwtClaimToHeader{HeaderName: c.Header, ClaimName: c.Claim})
	}
	return out
}

// Route names r's requirement in its typed_per_filter_config.
func (JWTAuthn) Route(out *routev3.Route, r *ir.Route) {
	if r.Security == nil || r.Security.JWT == nil {
		return
	}
	feature.SetFilterConfig(out, JWTFilterName, mustAny(&jwtauthnv3.PerRouteConfig{
		RequirementSpecifier: &jwtauthnv3.PerRouteConfig_RequirementName{RequirementName: r.Name}}))
}
