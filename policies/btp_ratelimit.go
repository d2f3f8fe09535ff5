package policies

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy rateLimit, type Local only, through Envoy's
// local_ratelimit filter as Envoy Gateway sets it. Each route under a
// policy gets token buckets of its own on each Envoy (not shared between
// routes nor between Envoys): one per rule with clientSelectors, and a
// default one from the rule without clientSelectors (at most one; none:
// unlimited) for the requests that match no other rule. A rule's
// selectors all have to match (headers, path, source CIDR, query
// parameters; any one of its methods); a Distinct header, query
// parameter or source CIDR gives each value its own bucket. The rules
// become the rate_limits of the route's filter configuration, each with
// a descriptor of the rule's bucket. A refused request is answered 429,
// with X-RateLimit headers (draft 03) unless the rule turns them Off.
//
// Global rate limits need a rate limit service, which sluice does not
// run: spec.rateLimit.global is named as unsupported and ignored, once
// its rules are checked as Envoy Gateway checks them. Rule
// cost (request) and shared are ignored the same way, as Envoy Gateway
// ignores them for local limits.
//
// Unlike Envoy Gateway, an Exact path selector also matches the path
// with a query string, and the per-route filter keeps as many distinct
// buckets as the listener's (10000, not Envoy's default of 20).

// LocalRateLimitFilterName is the name of Envoy's local rate limit filter.
const LocalRateLimitFilterName = "envoy.filters.http.local_ratelimit"

const (
	localRateLimitStatPrefix = "http_local_rate_limiter"
	maxDynamicDescriptors    = 10000
	// distinctRemoteAddress is the client address, which gives each
	// address of a Distinct source CIDR its own bucket.
	distinctRemoteAddress = "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"
)

// rateLimitUnits are the CRD's units and their lengths.
var rateLimitUnits = map[egv1a1.RateLimitUnit]time.Duration{
	"Second": time.Second, "Minute": time.Minute, "Hour": time.Hour, "Day": 24 * time.Hour,
	"Week": 7 * 24 * time.Hour, "Month": 30 * 24 * time.Hour, "Year": 365 * 24 * time.Hour,
}

// httpMethodNames are the methods Gateway API's HTTPMethod allows.
var httpMethodNames = map[gwapiv1.HTTPMethod]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true,
	"CONNECT": true, "OPTIONS": true, "TRACE": true, "PATCH": true,
}

func (v *specValidator) rateLimit(field string, rl *egv1a1.RateLimitSpec) *ir.LocalRateLimit {
	if rl == nil {
		return nil
	}
	local := rl.Local != nil
	if rl.Type != nil {
		switch *rl.Type {
		case egv1a1.GlobalRateLimitType:
			if rl.Global == nil {
				v.errs.Add(field+".global", "must be set for type Global")
			}
			local = false // the type picks global alone
		case egv1a1.LocalRateLimitType:
			if rl.Local == nil {
				v.errs.Add(field+".local", "must be set for type Local")
			}
		default:
			v.errs.Add(field+".type", "%q is not one of Global, Local", *rl.Type)
		}
	}
	if rl.Global != nil {
		v.ignored = append(v.ignored, field+".global")
		v.globalRateLimit(field+".global", rl.Global)
	}
	if !local {
		return nil
	}
	return v.localRateLimit(field+".local", rl.Local)
}

func (v *specValidator) localRateLimit(field string, l *egv1a1.LocalRateLimit) *ir.LocalRateLimit {
	if len(l.Rules) > 16 {
		v.errs.Add(field+".rules", "%d rules are more than the 16 allowed", len(l.Rules))
		return nil
	}
	out := &ir.LocalRateLimit{Default: ir.TokenBucket{Requests: math.MaxUint32, Interval: ir.Duration(time.Second)}}
	defaultAt := -1
	for i, rule := range l.Rules {
		f := fmt.Sprintf("%s.rules[%d]", field, i)
		limit := v.tokenBucket(f+".limit", rule.Limit)
		if rule.Limit.FromMetadata != nil {
			v.errs.Add(f+".limit.fromMetadata", "is not supported for local rate limits")
		}
		if c := rule.Cost; c != nil {
			if c.Response != nil {
				v.errs.Add(f+".cost.response", "is not supported for local rate limits")
			}
			if c.Request != nil {
				v.ignored = append(v.ignored, f+".cost")
			}
		}
		if rule.Shared != nil && *rule.Shared {
			v.ignored = append(v.ignored, f+".shared")
		}
		headers := ""
		if h := rule.XRateLimitHeaders; h != nil {
			if *h != egv1a1.XRateLimitHeadersOptionDisabled && *h != egv1a1.XRateLimitHeadersOptionDraftVersion03 {
				v.errs.Add(f+".xRateLimitHeaders", "%q is not one of Off, DraftVersion03", *h)
			}
			headers = string(*h)
		}
		if len(rule.ClientSelectors) == 0 {
			if defaultAt >= 0 {
				v.errs.Add(f+".clientSelectors", "only one rule may have no clientSelectors (rules[%d] has none)", defaultAt)
				continue
			}
			if rule.ShadowMode != nil && *rule.ShadowMode {
				v.ignored = append(v.ignored, f+".shadowMode")
			}
			defaultAt = i
			out.Default, out.DefaultHeadersOff = limit, headers == string(egv1a1.XRateLimitHeadersOptionDisabled)
			continue
		}
		r := v.rateLimitRule(f, i, rule.ClientSelectors)
		r.Limit, r.XRateLimitHeaders = limit, headers
		r.ShadowMode = rule.ShadowMode != nil && *rule.ShadowMode
		out.Rules = append(out.Rules, r)
	}
	// Envoy needs every bucket's interval to be a multiple of the
	// default bucket's.
	for _, r := range out.Rules {
		if out.Default.Interval > 0 && r.Limit.Interval%out.Default.Interval != 0 {
			v.errs.Add(fmt.Sprintf("%s.rules[%d].limit.unit", field, r.Index), "must be a multiple of the unit of the rule without clientSelectors (rules[%d])", defaultAt)
		}
	}
	return out
}

func (v *specValidator) tokenBucket(field string, l egv1a1.RateLimitValue) ir.TokenBucket {
	d, ok := rateLimitUnits[l.Unit]
	if !ok {
		v.errs.Add(field+".unit", "%q is not one of Second, Minute, Hour, Day, Week, Month, Year", l.Unit)
		d = time.Second
	}
	if l.Requests == 0 {
		// Envoy's token buckets hold at least one token.
		v.errs.Add(field+".requests", "must be at least 1 for a local rate limit")
	}
	return ir.TokenBucket{Requests: l.Requests, Interval: ir.Duration(d)}
}

func (v *specValidator) rateLimitRule(field string, index int, selectors []egv1a1.RateLimitSelectCondition) ir.RateLimitRule {
	r := ir.RateLimitRule{Index: index}
	if len(selectors) > 8 {
		v.errs.Add(field+".clientSelectors", "%d selectors are more than the 8 allowed", len(selectors))
	}
	for i, s := range selectors {
		v.rateLimitSelector(fmt.Sprintf("%s.clientSelectors[%d]", field, i), s, &r)
	}
	return r
}

// rateLimitSelector checks one clientSelector; what it matches goes in r.
func (v *specValidator) rateLimitSelector(f string, s egv1a1.RateLimitSelectCondition, r *ir.RateLimitRule) {
	if len(s.Headers) == 0 && len(s.Methods) == 0 && s.Path == nil && s.SourceCIDR == nil && len(s.QueryParams) == 0 {
		v.errs.Add(f, "at least one of headers, methods, path, sourceCIDR or queryParams must be specified")
	}
	if len(s.Headers) > 128 {
		v.errs.Add(f+".headers", "%d headers are more than the 128 allowed", len(s.Headers))
	}
	for j, h := range s.Headers {
		r.Headers = append(r.Headers, v.valueMatch(fmt.Sprintf("%s.headers[%d]", f, j), h.Name, (*string)(h.Type), h.Value, h.Invert))
	}
	if len(s.QueryParams) > 16 {
		v.errs.Add(f+".queryParams", "%d query parameters are more than the 16 allowed", len(s.QueryParams))
	}
	for j, q := range s.QueryParams {
		r.QueryParams = append(r.QueryParams, v.valueMatch(fmt.Sprintf("%s.queryParams[%d]", f, j), q.Name, (*string)(q.Type), q.Value, q.Invert))
	}
	for j, m := range s.Methods {
		if !httpMethodNames[m.Value] {
			v.errs.Add(fmt.Sprintf("%s.methods[%d].value", f, j), "%q is not an HTTP method", m.Value)
		}
		r.Methods = append(r.Methods, ir.RateLimitMatch{Exact: string(m.Value), Invert: m.Invert != nil && *m.Invert})
	}
	if p := s.Path; p != nil {
		if r.Path != nil {
			v.errs.Add(f+".path", "only one path per rule is supported by sluice")
		}
		r.Path = v.pathMatch(f+".path", p)
	}
	if c := s.SourceCIDR; c != nil {
		if r.SourceCIDR != nil {
			v.errs.Add(f+".sourceCIDR", "only one sourceCIDR per rule is supported by sluice")
		}
		r.SourceCIDR = v.cidrMatch(f+".sourceCIDR", c)
	}
}

// globalRateLimit checks the rules of a global rate limit (which sluice
// ignores) as Envoy Gateway does: an invalid one makes the policy invalid.
// Each selector is checked on its own, so that what sluice could not do
// (two paths in a rule) does not refuse what it ignores.
func (v *specValidator) globalRateLimit(field string, g *egv1a1.GlobalRateLimit) {
	for i, rule := range g.Rules {
		f := fmt.Sprintf("%s.rules[%d]", field, i)
		if _, ok := rateLimitUnits[rule.Limit.Unit]; !ok {
			v.errs.Add(f+".limit.unit", "%q is not one of Second, Minute, Hour, Day, Week, Month, Year", rule.Limit.Unit)
		}
		if len(rule.ClientSelectors) > 8 {
			v.errs.Add(f+".clientSelectors", "%d selectors are more than the 8 allowed", len(rule.ClientSelectors))
		}
		for j, s := range rule.ClientSelectors {
			v.rateLimitSelector(fmt.Sprintf("%s.clientSelectors[%d]", f, j), s, &ir.RateLimitRule{})
		}
	}
}

// valueMatch checks a header or query parameter selector.
func (v *specValidator) valueMatch(field, name string, typ, value *string, invert *bool) ir.RateLimitMatch {
	m := ir.RateLimitMatch{Name: name, Invert: invert != nil && *invert}
	if name == "" || len(name) > 256 || strings.ContainsAny(name, "\x00\r\n") {
		v.errs.Add(field+".name", "must be 1 to 256 characters, without NUL, CR or LF")
	}
	if value != nil && len(*value) > 1024 {
		v.errs.Add(field+".value", "must be at most 1024 characters")
	}
	t := "Exact" // the CRD default
	if typ != nil {
		t = *typ
	}
	switch t {
	case "Exact", "RegularExpression":
		if value == nil {
			v.errs.Add(field+".value", "must be set for type %s", t)
			break
		}
		if t == "Exact" {
			m.Exact = *value
			break
		}
		if err := fields.Regex(*value, v.maxRegex); err != nil {
			v.errs.Check(fields.Wrap(field+".value", err))
		}
		m.Regex = *value
	case "Distinct":
		if value != nil {
			v.errs.Add(field+".value", "must not be set for type Distinct")
		}
		if m.Invert {
			v.errs.Add(field+".invert", "cannot be set for type Distinct")
		}
		m.Distinct = true
	default:
		v.errs.Add(field+".type", "%q is not one of Exact, RegularExpression, Distinct", t)
	}
	return m
}

func (v *specValidator) pathMatch(field string, p *egv1a1.PathMatch) *ir.RateLimitMatch {
	m := &ir.RateLimitMatch{Invert: p.Invert != nil && *p.Invert}
	value := p.Value
	if value == "" {
		value = "/" // the CRD default
	}
	if len(value) > 1024 {
		v.errs.Add(field+".value", "must be at most 1024 characters")
	}
	t := gwapiv1.PathMatchPathPrefix
	if p.Type != nil {
		t = *p.Type
	}
	switch t {
	case gwapiv1.PathMatchPathPrefix:
		if value == "/" {
			m.Prefix = "/"
			break
		}
		// The :path header carries the query: match whole path
		// elements, then anything.
		// (A class rather than four alternatives keeps the RE2
		// program a third of the size: fields.Regex.)
		m.Regex = "^" + regexp.QuoteMeta(trimSlash(value)) + `(?:[/?#;].*)?$`
	case gwapiv1.PathMatchExact:
		m.Regex = "^" + regexp.QuoteMeta(value) + `(?:\?.*)?$`
	case gwapiv1.PathMatchRegularExpression:
		m.Regex = value
	default:
		v.errs.Add(field+".type", "%q is not one of Exact, PathPrefix, RegularExpression", t)
	}
	// Prefix and Exact become regexes too: a long value makes one
	// larger than Envoy takes.
	if m.Regex != "" {
		if err := fields.Regex(m.Regex, v.maxRegex); err != nil {
			v.errs.Check(fields.Wrap(field+".value", err))
		}
	}
	return m
}

func trimSlash(s string) string {
	for len(s) > 1 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func (v *specValidator) cidrMatch(field string, c *egv1a1.SourceMatch) *ir.RateLimitCIDR {
	out := &ir.RateLimitCIDR{Invert: c.Invert != nil && *c.Invert}
	if c.Type != nil {
		switch *c.Type {
		case egv1a1.SourceMatchExact:
		case egv1a1.SourceMatchDistinct:
			out.Distinct = true
		default:
			v.errs.Add(field+".type", "%q is not one of Exact, Distinct", *c.Type)
		}
	}
	p, err := netip.ParsePrefix(c.Value)
	if err != nil {
		v.errs.Add(field+".value", "%q is not a CIDR such as 192.168.0.0/24 or 2001:db8::/64", c.Value)
		return out
	}
	out.CIDR = p.Masked().String()
	return out
}

// LocalRateLimit is the local_ratelimit filter of BackendTrafficPolicy
// rateLimit (type Local) (a feature.Feature).
type LocalRateLimit struct{ feature.Base }

// HTTPFilters is the listener's local_ratelimit filter, if one of its
// routes is rate limited. It limits nothing itself; the routes carry
// their buckets.
func (LocalRateLimit) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	if !anyRoute(l.VirtualHosts, func(t *ir.RouteTraffic) bool { return t.RateLimit != nil }) {
		return nil
	}
	cfg := &localratelimitv3.LocalRateLimit{StatPrefix: localRateLimitStatPrefix, MaxDynamicDescriptors: wrapperspb.UInt32(maxDynamicDescriptors)}
	return []*hcmv3.HttpFilter{{Name: LocalRateLimitFilterName, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(cfg)}}}
}

// Route gives a rate limited route its buckets.
func (LocalRateLimit) Route(out *routev3.Route, r *ir.Route) {
	if r.Traffic != nil && r.Traffic.RateLimit != nil {
		feature.SetFilterConfig(out, LocalRateLimitFilterName, mustAny(localRateLimitRoute(r.Traffic.RateLimit)))
	}
}

// localRateLimitRoute is a route's local_ratelimit configuration.
func localRateLimitRoute(l *ir.LocalRateLimit) *localratelimitv3.LocalRateLimit {
	all := &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED}}
	out := &localratelimitv3.LocalRateLimit{
		StatPrefix:     localRateLimitStatPrefix,
		TokenBucket:    bucket(l.Default),
		FilterEnabled:  all,
		FilterEnforced: all,
		// A request matching a rule takes no token from the default.
		AlwaysConsumeDefaultTokenBucket: wrapperspb.Bool(false),
		EnableXRatelimitHeaders:         ratelimitv3.XRateLimitHeadersRFCVersion_DRAFT_VERSION_03,
		MaxDynamicDescriptors:           wrapperspb.UInt32(maxDynamicDescriptors),
	}
	if l.DefaultHeadersOff {
		out.EnableXRatelimitHeaders = ratelimitv3.XRateLimitHeadersRFCVersion_OFF
	}
	for _, r := range l.Rules {
		methods := r.Methods
		if len(methods) == 0 {
			methods = []ir.RateLimitMatch{{}}
		}
		// One rate limit per method (any one may match), all with the
		// same descriptor, hence the same bucket.
		var entries []*ratelimitv3.RateLimitDescriptor_Entry
		for _, m := range methods {
			var actions []*routev3.RateLimit_Action
			actions, entries = ruleActions(r, m)
			rl := &routev3.RateLimit{Actions: actions}
			switch r.XRateLimitHeaders {
			case string(egv1a1.XRateLimitHeadersOptionDisabled):
				rl.XRatelimitOption = routev3.RateLimit_OFF
			case string(egv1a1.XRateLimitHeadersOptionDraftVersion03):
				rl.XRatelimitOption = routev3.RateLimit_DRAFT_VERSION_03
			}
			out.RateLimits = append(out.RateLimits, rl)
		}
		out.Descriptors = append(out.Descriptors, &ratelimitv3.LocalRateLimitDescriptor{
			Entries: entries, TokenBucket: bucket(r.Limit), ShadowMode: r.ShadowMode,
		})
	}
	return out
}

func bucket(b ir.TokenBucket) *typev3.TokenBucket {
	return &typev3.TokenBucket{MaxTokens: b.Requests, TokensPerFill: wrapperspb.UInt32(b.Requests), FillInterval: durationpb.New(b.Interval.Std())}
}
