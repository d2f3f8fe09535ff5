package policies

import (
	"errors"
	"fmt"
	"unicode/utf8"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	apikeyauthv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/api_key_auth/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy apiKeyAuth, through Envoy's api_key_auth filter, as
// Envoy Gateway does: one disabled filter per listener and, on each route
// under a policy, an ApiKeyAuthPerRoute with the policy's keys, where to
// find the key in a request (extractFrom: headers, query parameters,
// cookies, tried in order) and what to forward (forwardClientIDHeader,
// sanitize). A request without a known key gets 401. The listener's
// filter holds no keys: they are only on the routes.
//
// The keys come from the Secrets of credentialRefs (credentialSecret,
// basicauth_secret.go): each key of a Secret's data is a client ID, its
// value that client's API key. A client listed in two Secrets keeps the
// key of the first (Secrets in order, clients sorted); two clients with
// the same key make the policy invalid, as in Envoy Gateway (Envoy would
// refuse the configuration). A Secret that cannot be followed or an empty
// key make the policy invalid too: its routes fail closed.
//
// The keys are credentials: every printed form of the xDS has them
// redacted (basicauth_redact.go), and no problem quotes one.

const apiKeyAuthFilterName = "envoy.filters.http.api_key_auth"

// maxKeySourceName is Envoy's limit on a key source's name.
const maxKeySourceName = 1024

// apiKeyAuthSpec checks spec.apiKeyAuth and writes it into f.
func apiKeyAuthSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []error {
	a := p.Spec.APIKeyAuth
	if a == nil {
		return nil
	}
	const field = "spec.apiKeyAuth"
	var errs fields.List
	out := &ir.APIKeyAuth{Sanitize: a.Sanitize != nil && *a.Sanitize}
	if h := deref(a.ForwardClientIDHeader); h != "" {
		if !httpToken(h) {
			errs.Add(field+".forwardClientIDHeader", "%q is not a valid header name", h)
		}
		out.ForwardClientIDHeader = h
	}
	credentials, problems := apiKeyCredentials(field+".credentialRefs", p.Namespace, a, in)
	out.Credentials = credentials
	errs = append(errs, problems...)
	if len(a.ExtractFrom) == 0 {
		errs.Add(field+".extractFrom", "must have at least one entry")
	}
	for i, e := range a.ExtractFrom {
		ef := fmt.Sprintf("%s.extractFrom[%d]", field, i)
		if e == nil {
			errs.Add(ef, "exactly one of headers, params, or cookies must be specified")
			continue
		}
		sources, problems := keySources(ef, e)
		out.KeySources = append(out.KeySources, sources...)
		errs = append(errs, problems...)
	}
	f.security.APIKeyAuth = out
	return errs
}

// apiKeyCredentials reads the keys of the credentialRefs. A problem
// names a client, never a key.
func apiKeyCredentials(field, ns string, a *egv1a1.APIKeyAuth, in SecurityInput) ([]ir.APIKeyCredential, []error) {
	var out []ir.APIKeyCredential
	var errs fields.List
	clients := map[string]bool{}
	keys := map[string]string{} // key → client
	for i, ref := range a.CredentialRefs {
		rf := fmt.Sprintf("%s[%d]", field, i)
		data, err := credentialSecret(rf, ns, ref, in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		src := secretRefName(ns, ref)
		for _, client := range secretKeys(data) {
			if clients[client] {
				continue // the first Secret's key wins
			}
			key := data[client]
			if len(key) == 0 {
				errs.Add(rf+".name", "Secret %s: the key of client %q is empty", src, client)
				continue
			}
			if !utf8.Valid(key) {
				errs.Add(rf+".name", "Secret %s: the key of client %q is not UTF-8 text", src, client)
				continue
			}
			if other, ok := keys[string(key)]; ok {
				errs.Add(rf+".name", "Secret %s: client %q has the same key as client %q", src, client, other)
				continue
			}
			clients[client], keys[string(key)] = true, client
			out = append(out, ir.APIKeyCredential{Client: client, Key: key})
		}
	}
	return out, errs
}

// keySources checks one extractFrom entry (exactly one of headers,
// params and cookies) and returns its sources in order.
func keySources(field string, e *egv1a1.ExtractFrom) ([]ir.APIKeySource, []error) {
	var out []ir.APIKeySource
	var errs fields.List
	set := 0
	for _, l := range [][]string{e.Headers, e.Params, e.Cookies} {
		if len(l) > 0 {
			set++
		}
	}
	if set != 1 {
		return nil, []error{fields.Invalid(field, "exactly one of headers, params, or cookies must be specified")}
	}
	for k, h := range e.Headers {
		if !httpToken(h) {
			errs.Add(fmt.Sprintf("%s.headers[%d]", field, k), "%q is not a valid header name", h)
		}
		out = append(out, ir.APIKeySource{Header: h})
	}
	for k, q := range e.Params {
		if err := keySourceName(q); err != nil {
			errs = append(errs, fields.Wrap(fmt.Sprintf("%s.params[%d]", field, k), err))
		}
		out = append(out, ir.APIKeySource{Query: q})
	}
	for k, c := range e.Cookies {
		if err := keySourceName(c); err != nil {
			errs = append(errs, fields.Wrap(fmt.Sprintf("%s.cookies[%d]", field, k), err))
		}
		out = append(out, ir.APIKeySource{Cookie: c})
	}
	return out, errs
}

// keySourceName returns why a query parameter or cookie name cannot be
// used, or nil.
func keySourceName(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty")
	case len(s) > maxKeySourceName:
		return fmt.Errorf("is longer than %d characters", maxKeySourceName)
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%q contains a control character", s)
		}
	}
	return nil
}

// APIKeyAuth is the api_key_auth filter of SecurityPolicy apiKeyAuth (a
// feature.Feature).
type APIKeyAuth struct{ feature.Base }

// HTTPFilters is the listener's api_key_auth filter, if one of its
// routes has apiKeyAuth. It is disabled and holds no keys: the routes
// under a policy enable it with theirs.
func (APIKeyAuth) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			if r.Security != nil && r.Security.APIKeyAuth != nil {
				return []*hcmv3.HttpFilter{{Name: apiKeyAuthFilterName, Disabled: true,
					ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&apikeyauthv3.ApiKeyAuth{})}}}
			}
		}
	}
	return nil
}

// Route enables the filter on a route under a policy, with its keys.
func (APIKeyAuth) Route(out *routev3.Route, r *ir.Route) {
	if r.Security == nil || r.Security.APIKeyAuth == nil {
		return
	}
	a := r.Security.APIKeyAuth
	cfg := &apikeyauthv3.ApiKeyAuthPerRoute{}
	for _, c := range a.Credentials {
		cfg.Credentials = append(cfg.Credentials, &apikeyauthv3.Credential{Key: string(c.Key), Client: c.Client})
	}
	for _, s := range a.KeySources {
		cfg.KeySources = append(cfg.KeySources, &apikeyauthv3.KeySource{Header: s.Header, Query: s.Query, Cookie: s.Cookie})
	}
	if a.ForwardClientIDHeader != "" || a.Sanitize {
		cfg.Forwarding = &apikeyauthv3.Forwarding{Header: a.ForwardClientIDHeader, HideCredentials: a.Sanitize}
	}
	feature.SetFilterConfig(out, apiKeyAuthFilterName, mustAny(cfg))
}
