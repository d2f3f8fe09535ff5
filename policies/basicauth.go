package policies

import (
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	basicauthv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/basic_auth/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy basicAuth, through Envoy's basic_auth filter, as Envoy
// Gateway does: one disabled filter per policy in force on the listener's
// routes, named envoy.filters.http.basic_auth/POLICY, holding the
// policy's users and forwardUsernameHeader (a setting of the filter, not
// of a route, hence a filter per policy); each route under the policy
// enables its filter. A request without valid Basic credentials gets 401.
//
// The users are the htpasswd list under the key .htpasswd of the Secret
// spec.basicAuth.users names (credentialSecret, basicauth_secret.go),
// checked and normalized as Envoy reads it (basicauth_htpasswd.go): only
// {SHA} hashes. A missing Secret or key, or a list Envoy would refuse,
// makes the policy invalid; its routes fail closed.
//
// The list is a credential: it goes to Envoy inline in the listener, and
// every printed form of the xDS has it redacted (basicauth_redact.go).

const basicAuthFilterName = "envoy.filters.http.basic_auth"

// spAuthnFields are the SecurityPolicy spec fields basicauth.go and
// apikeyauth.go implement.
var spAuthnFields = map[string]bool{"basicAuth": true, "apiKeyAuth": true}

// basicAuthSpec checks spec.basicAuth and writes it into f.
func basicAuthSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []error {
	b := p.Spec.BasicAuth
	if b == nil {
		return nil
	}
	const field = "spec.basicAuth"
	var errs fields.List
	out := &ir.BasicAuth{Source: secretRefName(p.Namespace, b.Users)}
	if h := deref(b.ForwardUsernameHeader); h != "" {
		if !httpToken(h) {
			errs.Add(field+".forwardUsernameHeader", "%q is not a valid header name", h)
		}
		out.ForwardUsernameHeader = h
	}
	data, err := credentialSecret(field+".users", p.Namespace, b.Users, in)
	switch {
	case err != nil:
		errs = append(errs, err)
	case len(data[htpasswdKey]) == 0:
		errs.Add(field+".users.name", "Secret %s: data[%q] is missing or empty", out.Source, htpasswdKey)
	default:
		users, problems := htpasswd(data[htpasswdKey])
		for _, pr := range problems {
			errs.Add(field+".users.name", "Secret %s: data[%q]: %s", out.Source, htpasswdKey, pr)
		}
		out.Users = users
	}
	f.security.BasicAuth = out
	return errs
}

// basicAuthFilterNameOf is the name of the basic_auth filter of a policy.
func basicAuthFilterNameOf(s *ir.Security) string { return basicAuthFilterName + "/" + s.Policy }

// BasicAuth is the basic_auth filters of SecurityPolicy basicAuth (a
// feature.Feature).
type BasicAuth struct{ feature.Base }

// HTTPFilters are the listener's basic_auth filters: one per policy with
// basicAuth in force on its routes, disabled, sorted by name.
func (BasicAuth) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	return disabledFilters(l.VirtualHosts, func(r *ir.Route, add func(string, *ir.BasicAuth)) {
		if r.Security != nil && r.Security.BasicAuth != nil {
			add(basicAuthFilterNameOf(r.Security), r.Security.BasicAuth)
		}
	}, func(b *ir.BasicAuth) proto.Message {
		return &basicauthv3.BasicAuth{
			Users:                 &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b.Users}},
			ForwardUsernameHeader: b.ForwardUsernameHeader,
		}
	})
}

// Route enables the basic_auth filter of r's policy on r.
func (BasicAuth) Route(out *routev3.Route, r *ir.Route) {
	if r.Security != nil && r.Security.BasicAuth != nil {
		feature.SetFilterConfig(out, basicAuthFilterNameOf(r.Security), mustAny(&routev3.FilterConfig{Config: &anypb.Any{}}))
	}
}

// httpToken reports whether s is an HTTP token (RFC 9110), which a
// header name is.
func httpToken(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
