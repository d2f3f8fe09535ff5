package policies

import (
	"fmt"
	"net/netip"
	"strings"

	cncfv3 "github.com/cncf/xds/go/xds/core/v3"
	xdsmatcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	networkinputv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/matching/common_inputs/network/v3"
	ipmatcherv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/matching/input_matchers/ip/v3"
	metadatamatcherv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/matching/input_matchers/metadata/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// SecurityPolicy authorization, through Envoy's RBAC filter, as Envoy
// Gateway does: one filter per listener with no rules of its own (it lets
// everything through), and on each route the policy is in force on an
// RBACPerRoute whose matcher tries the rules in order: the first that
// matches decides, else defaultAction (Deny when unset).
//
// A rule matches when all its principals do:
//   - clientCIDRs: the client address (Envoy's source address, after
//     X-Forwarded-For processing) is in one of them;
//   - jwt: the token validated by that provider (jwt.go puts its payload
//     in the jwt_authn filter's metadata under the provider name) has every
//     scope (the "scope" claim, split on spaces into a list by jwt_authn)
//     and, for every claim, one of its values; a claim name's dots are a
//     path into the payload (user.name is payload.user.name), and a
//     StringArray claim matches when one of its elements is a value;
//   - headers: the value of every header is exactly (case-sensitive) one
//     of its values; a header sent several times is matched as its values
//     joined with commas. A client can send any header: a header principal
//     identifies a user only when a filter before RBAC sets that header
//     (basicAuth forwardUsernameHeader, apiKeyAuth forwardClientIDHeader).
//
// A request without a token matches no jwt principal. Rules with
// operation, cel or clientIPGeoLocations are not implemented and make the
// policy invalid (fail closed, securitypolicy.go).

// RBACFilterName is the name of Envoy's RBAC filter.
const RBACFilterName = "envoy.filters.http.rbac"

// authzSpec checks spec.authorization and returns its IR, or the
// problems, each naming its field. j is the policy's jwt, or nil.
func authzSpec(field string, a *egv1a1.Authorization, j *ir.JWT) (*ir.Authorization, []error) {
	out := &ir.Authorization{}
	var errs fields.List
	switch d := a.DefaultAction; {
	case d == nil || *d == egv1a1.AuthorizationActionDeny:
	case *d == egv1a1.AuthorizationActionAllow:
		out.DefaultAllow = true
	default:
		errs.Add(field+".defaultAction", "%q is neither Allow nor Deny", *d)
	}
	providers := map[string]bool{}
	if j != nil {
		for _, p := range j.Providers {
			providers[p.Name] = true
		}
	}
	for i, r := range a.Rules {
		rf := fmt.Sprintf("%s.rules[%d]", field, i)
		rule := ir.AuthzRule{Name: fmt.Sprintf("rule/%d", i)}
		if r.Name != nil && *r.Name != "" {
			rule.Name = *r.Name
		}
		switch r.Action {
		case egv1a1.AuthorizationActionAllow:
			rule.Allow = true
		case egv1a1.AuthorizationActionDeny:
		default:
			errs.Add(rf+".action", "%q is neither Allow nor Deny", r.Action)
		}
		if r.Operation != nil {
			errs.Add(rf+".operation", "is not supported by sluice")
		}
		if r.CEL != nil {
			errs.Add(rf+".cel", "is not supported by sluice")
		}
		p := r.Principal
		if p == nil || (len(p.ClientCIDRs) == 0 && p.JWT == nil && len(p.Headers) == 0 && len(p.ClientIPGeoLocations) == 0) {
			errs.Add(rf+".principal", "must set at least one of clientCIDRs, jwt, headers or clientIPGeoLocations")
			continue
		}
		headers, problems := headerPrincipals(rf+".principal.headers", p.Headers)
		rule.Headers = headers
		errs = append(errs, problems...)
		if len(p.ClientIPGeoLocations) > 0 {
			errs.Add(rf+".principal.clientIPGeoLocations", "is not supported by sluice")
		}
		for k, c := range p.ClientCIDRs {
			pfx, err := netip.ParsePrefix(string(c))
			if err != nil {
				errs.Add(fmt.Sprintf("%s.principal.clientCIDRs[%d]", rf, k), "%q is not a CIDR", c)
				continue
			}
			rule.ClientCIDRs = append(rule.ClientCIDRs, pfx.Masked().String())
		}
		if p.JWT != nil {
			jp, problems := jwtPrincipal(rf+".principal.jwt", p.JWT, providers)
			rule.JWT = jp
			errs = append(errs, problems...)
		}
		out.Rules = append(out.Rules, rule)
	}
	return out, errs
}

func jwtPrincipal(field string, p *egv1a1.JWTPrincipal, providers map[string]bool) (*ir.JWTPrincipal, []error) {
	out := &ir.JWTPrincipal{Provider: p.Provider}
	var errs fields.List
	if !providers[p.Provider] {
		errs.Add(field+".provider", "%q is not a provider of spec.jwt.providers", p.Provider)
	}
	if len(p.Scopes) == 0 && len(p.Claims) == 0 {
		errs.Add(field, "must set scopes or claims")
	}
	for k, s := range p.Scopes {
		if s == "" || strings.ContainsAny(string(s), " \t") {
			errs.Add(fmt.Sprintf("%s.scopes[%d]", field, k), "%q is not one scope", s)
		}
		out.Scopes = append(out.Scopes, string(s))
	}
	for k, c := range p.Claims {
		cf := fmt.Sprintf("%s.claims[%d]", field, k)
		path := strings.Split(c.Name, ".")
		for _, seg := range path {
			if seg == "" {
				errs.Add(cf+".name", "%q is not a claim name", c.Name)
				break
			}
		}
		claim := ir.JWTClaim{Path: path, Values: c.Values}
		switch {
		case c.ValueType == nil || *c.ValueType == egv1a1.JWTClaimValueTypeString:
		case *c.ValueType == egv1a1.JWTClaimValueTypeStringArray:
			claim.StringArray = true
		default:
			errs.Add(cf+".valueType", "%q is neither String nor StringArray", *c.ValueType)
		}
		if len(c.Values) == 0 {
			errs.Add(cf+".values", "must have at least one value")
		}
		out.Claims = append(out.Claims, claim)
	}
	return out, errs
}

// maxHeaderPrincipals bounds the headers of a principal and the values
// of a header (the CRD's maxItems).
const maxHeaderPrincipals = 256

// headerPrincipals checks principal.headers and returns their IR, or the
// problems, each naming its field.
func headerPrincipals(field string, hs []egv1a1.AuthorizationHeaderMatch) ([]ir.AuthzHeader, []error) {
	var out []ir.AuthzHeader
	var errs fields.List
	if len(hs) > maxHeaderPrincipals {
		errs.Add(field, "%d entries are more than the %d allowed", len(hs), maxHeaderPrincipals)
	}
	for k, h := range hs {
		hf := fmt.Sprintf("%s[%d]", field, k)
		if !httpToken(strings.TrimPrefix(h.Name, ":")) {
			errs.Add(hf+".name", "%q is not a valid header name", h.Name)
		}
		switch n := len(h.Values); {
		case n == 0:
			errs.Add(hf+".values", "must have at least one value")
		case n > maxHeaderPrincipals:
			errs.Add(hf+".values", "%d entries are more than the %d allowed", n, maxHeaderPrincipals)
		}
		out = append(out, ir.AuthzHeader{Name: h.Name, Values: h.Values})
	}
	return out, errs
}

// RBAC is the rbac filter of SecurityPolicy authorization (a
// feature.Feature).
type RBAC struct{ feature.Base }

// HTTPFilters is the listener's rbac filter, if one of its routes has an
// authorization policy. Its own config is empty: it lets requests
// through on routes without an RBACPerRoute.
func (RBAC) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			if r.Security != nil && r.Security.Authorization != nil {
				return []*hcmv3.HttpFilter{{Name: RBACFilterName, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&rbacv3.RBAC{})}}}
			}
		}
	}
	return nil
}

// Route gives a route under a policy its rules (RBACPerRoute).
func (RBAC) Route(out *routev3.Route, r *ir.Route) {
	if r.Security == nil || r.Security.Authorization == nil {
		return
	}
	feature.SetFilterConfig(out, RBACFilterName, rbacRouteConfig(r.Security.Authorization))
}

// rbacRouteConfig is the RBACPerRoute of a policy's authorization.
func rbacRouteConfig(a *ir.Authorization) *anypb.Any {
	m := &xdsmatcherv3.Matcher{OnNoMatch: rbacAction("default", a.DefaultAllow)}
	if len(a.Rules) > 0 {
		list := &xdsmatcherv3.Matcher_MatcherList{}
		for _, rule := range a.Rules {
			list.Matchers = append(list.Matchers, &xdsmatcherv3.Matcher_MatcherList_FieldMatcher{
				Predicate: rulePredicate(rule),
				OnMatch:   rbacAction(rule.Name, rule.Allow),
			})
		}
		m.MatcherType = &xdsmatcherv3.Matcher_MatcherList_{MatcherList: list}
	}
	return mustAny(&rbacv3.RBACPerRoute{Rbac: &rbacv3.RBAC{Matcher: m}})
}

func rbacAction(name string, allow bool) *xdsmatcherv3.Matcher_OnMatch {
	action := rbacconfigv3.RBAC_DENY
	if allow {
		action = rbacconfigv3.RBAC_ALLOW
	}
	return &xdsmatcherv3.Matcher_OnMatch{OnMatch: &xdsmatcherv3.Matcher_OnMatch_Action{Action: &cncfv3.TypedExtensionConfig{
		Name:        "envoy.filters.rbac.action",
		TypedConfig: mustAny(&rbacconfigv3.Action{Name: name, Action: action}),
	}}}
}

type predicate = xdsmatcherv3.Matcher_MatcherList_Predicate

// rulePredicate matches when all of a rule's principals do.
func rulePredicate(rule ir.AuthzRule) *predicate {
	var all []*predicate
	if len(rule.ClientCIDRs) > 0 {
		ip := &ipmatcherv3.Ip{StatPrefix: "client_cidrs"}
		for _, c := range rule.ClientCIDRs {
			pfx := netip.MustParsePrefix(c)
			ip.CidrRanges = append(ip.CidrRanges, &corev3.CidrRange{AddressPrefix: pfx.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(pfx.Bits()))})
		}
		all = append(all, single("envoy.matching.inputs.source_ip", &networkinputv3.SourceIPInput{}, "envoy.matching.matchers.ip", ip))
	}
	if p := rule.JWT; p != nil {
		for _, s := range p.Scopes {
			all = append(all, jwtPayload(p.Provider, []string{"scope"}, listHas(s)))
		}
		for _, c := range p.Claims {
			var oneOf []*predicate
			for _, v := range c.Values {
				vm := &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: exact(v)}}
				if c.StringArray {
					vm = listHas(v)
				}
				oneOf = append(oneOf, jwtPayload(p.Provider, c.Path, vm))
			}
			all = append(all, combine(oneOf, false))
		}
	}
	for _, h := range rule.Headers {
		var oneOf []*predicate
		for _, v := range h.Values {
			oneOf = append(oneOf, requestHeader(h.Name, v))
		}
		all = append(all, combine(oneOf, false))
	}
	return combine(all, true)
}

// combine ands (or ors) predicates; a list needs two or more.
func combine(ps []*predicate, and bool) *predicate {
	if len(ps) == 1 {
		return ps[0]
	}
	list := &xdsmatcherv3.Matcher_MatcherList_Predicate_PredicateList{Predicate: ps}
	if and {
		return &predicate{MatchType: &xdsmatcherv3.Matcher_MatcherList_Predicate_AndMatcher{AndMatcher: list}}
	}
	return &predicate{MatchType: &xdsmatcherv3.Matcher_MatcherList_Predicate_OrMatcher{OrMatcher: list}}
}

func single(inputName string, input proto.Message, matcherName string, m proto.Message) *predicate {
	return &predicate{MatchType: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_{
		SinglePredicate: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate{
			Input: &cncfv3.TypedExtensionConfig{Name: inputName, TypedConfig: mustAny(input)},
			Matcher: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_CustomMatch{
				CustomMatch: &cncfv3.TypedExtensionConfig{Name: matcherName, TypedConfig: mustAny(m)},
			},
		},
	}}
}

// jwtPayload matches the value at path in the payload jwt_authn stored
// under provider.
func jwtPayload(provider string, path []string, vm *matcherv3.ValueMatcher) *predicate {
	in := &networkinputv3.DynamicMetadataInput{Filter: JWTFilterName}
	for _, k := range append([]string{provider}, path...) {
		in.Path = append(in.Path, &networkinputv3.DynamicMetadataInput_PathSegment{
			Segment: &networkinputv3.DynamicMetadataInput_PathSegment_Key{Key: k}})
	}
	return single("envoy.matching.inputs.dynamic_metadata", in,
		"envoy.matching.matchers.metadata_matcher", &metadatamatcherv3.Metadata{Value: vm})
}

// requestHeader matches a request whose header name has exactly the
// value value.
func requestHeader(name, value string) *predicate {
	return &predicate{MatchType: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_{
		SinglePredicate: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate{
			Input: &cncfv3.TypedExtensionConfig{
				Name:        "envoy.matching.inputs.request_headers",
				TypedConfig: mustAny(&matcherv3.HttpRequestHeaderMatchInput{HeaderName: name}),
			},
			Matcher: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_ValueMatch{
				ValueMatch: &xdsmatcherv3.StringMatcher{MatchPattern: &xdsmatcherv3.StringMatcher_Exact{Exact: value}},
			},
		},
	}}
}

// listHas matches a list that has the string s.
func listHas(s string) *matcherv3.ValueMatcher {
	return &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_ListMatch{ListMatch: &matcherv3.ListMatcher{
		MatchPattern: &matcherv3.ListMatcher_OneOf{OneOf: &matcherv3.ValueMatcher{
			MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: exact(s)}}}}}}
}

func exact(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
}
