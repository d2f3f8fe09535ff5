package policies

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	cncfv3 "github.com/cncf/xds/go/xds/core/v3"
	xdsmatcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	customresponsev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/custom_response/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	localresponsev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/custom_response/local_response_policy/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// BackendTrafficPolicy responseOverride, through Envoy's custom_response
// filter, as Envoy Gateway does: each policy gets one filter in the
// listener's chain, disabled, named after the policy; the routes the
// policy is in force on enable it. The filter matches the response status
// (rules in order, the first match wins) and answers with a local
// response: the body (inline, or a ConfigMap's "response.body" key, else
// its first key by name), Content-Type and, optionally, a new status.
//
// Unlike Envoy Gateway, a status code range is matched by a regular
// expression on the status code, not by a CEL expression: the same
// matches, and one input type for both.
//
// Bodies are literal: Envoy's command operators (%...%) are not expanded.

// CustomResponseFilterName is the name of Envoy's custom response filter.
const CustomResponseFilterName = "envoy.filters.http.custom_response"

// configMapBodyKey is the ConfigMap key that holds a response body.
const configMapBodyKey = "response.body"

// responseOverride checks spec.responseOverride (schema, CEL rules and
// what sluice supports) and returns its IR, or the problems, each naming
// its field. nil without responseOverride.
func responseOverride(p *egv1a1.BackendTrafficPolicy, configMap func(namespace, name string) *corev1.ConfigMap) (*ir.ResponseOverride, []error) {
	if len(p.Spec.ResponseOverride) == 0 {
		return nil, nil
	}
	ro := &ir.ResponseOverride{Name: "backendtrafficpolicy/" + p.Namespace + "/" + p.Name}
	var errs fields.List
	for i, o := range p.Spec.ResponseOverride {
		field := fmt.Sprintf("spec.responseOverride[%d]", i)
		if o == nil {
			errs.Add(field, "must not be null")
			continue
		}
		rule, problems := overrideRule(field, p.Namespace, o, configMap)
		errs = append(errs, problems...)
		ro.Rules = append(ro.Rules, rule)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return ro, nil
}

func overrideRule(field, namespace string, o *egv1a1.ResponseOverride, configMap func(string, string) *corev1.ConfigMap) (ir.ResponseOverrideRule, []error) {
	var rule ir.ResponseOverrideRule
	var errs fields.List
	switch {
	case o.Redirect != nil:
		errs.Add(field+".redirect", "is not supported by sluice; use response")
	case o.Response == nil:
		errs.Add(field, "exactly one of response or redirect must be specified")
	}
	if o.Source != nil && *o.Source != egv1a1.ResponseOverrideSourceAll {
		errs.Add(field+".source", "%q is not supported by sluice; only All", *o.Source)
	}
	if len(o.Match.ResponseHeaders) > 0 {
		errs.Add(field+".match.responseHeaders", "is not supported by sluice")
	}
	switch n := len(o.Match.StatusCodes); {
	case n == 0:
		errs.Add(field+".match.statusCodes", "at least one status code must be given")
	case n > 50:
		errs.Add(field+".match.statusCodes", "%d entries are more than the 50 allowed", n)
	}
	for j, sc := range o.Match.StatusCodes {
		f := fmt.Sprintf("%s.match.statusCodes[%d]", field, j)
		typ := egv1a1.StatusCodeValueTypeValue // the CRD default
		if sc.Type != nil && *sc.Type != "" {
			typ = *sc.Type
		}
		switch {
		case typ == egv1a1.StatusCodeValueTypeValue && sc.Value == nil:
			errs.Add(f+".value", "value must be set for type Value")
		case typ == egv1a1.StatusCodeValueTypeValue && !httpStatus(*sc.Value):
			errs.Add(f+".value", "%d is not an HTTP status code (100-599)", *sc.Value)
		case typ == egv1a1.StatusCodeValueTypeValue:
			rule.StatusCodes = append(rule.StatusCodes, ir.StatusCodeMatch{Value: uint32(*sc.Value)})
		case typ != egv1a1.StatusCodeValueTypeRange:
			errs.Add(f+".type", "%q is not one of Value, Range", typ)
		case sc.Range == nil:
			errs.Add(f+".range", "range must be set for type Range")
		case sc.Range.End <= sc.Range.Start:
			errs.Add(f+".range", "end must be greater than start")
		case !httpStatus(sc.Range.Start) || !httpStatus(sc.Range.End):
			errs.Add(f+".range", "%d-%d is not within the HTTP status codes (100-599)", sc.Range.Start, sc.Range.End)
		default:
			rule.StatusCodes = append(rule.StatusCodes, ir.StatusCodeMatch{Start: uint32(sc.Range.Start), End: uint32(sc.Range.End)})
		}
	}
	if r := o.Response; r != nil {
		rule.ContentType = deref(r.ContentType)
		if r.StatusCode != nil {
			if !httpStatus(*r.StatusCode) {
				errs.Add(field+".response.statusCode", "%d is not an HTTP status code (100-599)", *r.StatusCode)
			}
			rule.Status = uint32(*r.StatusCode)
		}
		if r.Header != nil {
			errs.Add(field+".response.header", "is not supported by sluice")
		}
		if r.Body != nil {
			body, err := overrideBody(field+".response.body", namespace, r.Body, configMap)
			errs.Check(err)
			rule.Body = &body
		}
	}
	return rule, errs
}

// overrideBody returns the body of a response, inline or from a
// ConfigMap of the policy's namespace, or a problem naming the field.
func overrideBody(field, namespace string, b *egv1a1.CustomResponseBody, configMap func(string, string) *corev1.ConfigMap) (string, error) {
	typ := egv1a1.ResponseValueTypeInline // the CRD default
	if b.Type != nil && *b.Type != "" {
		typ = *b.Type
	}
	switch typ {
	case egv1a1.ResponseValueTypeInline:
		if b.Inline == nil {
			return "", fields.Invalid(field+".inline", "inline must be set for type Inline")
		}
		return *b.Inline, nil
	case egv1a1.ResponseValueTypeValueRef:
	default:
		return "", fields.Invalid(field+".type", "%q is not one of Inline, ValueRef", typ)
	}
	ref := b.ValueRef
	switch {
	case ref == nil:
		return "", fields.Invalid(field+".valueRef", "valueRef must be set for type ValueRef")
	case ref.Kind != "ConfigMap" || ref.Group != "":
		return "", fields.Invalid(field+".valueRef", "only ConfigMap is supported for ValueRef, not %q", string(ref.Kind))
	}
	cm := configMap(namespace, string(ref.Name))
	if cm == nil {
		return "", fields.Invalid(field+".valueRef", "ConfigMap %s/%s does not exist", namespace, ref.Name)
	}
	if v, ok := cm.Data[configMapBodyKey]; ok {
		return v, nil
	}
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "", fields.Invalid(field+".valueRef", "ConfigMap %s/%s has no data", namespace, ref.Name)
	}
	sort.Strings(keys)
	return cm.Data[keys[0]], nil
}

func httpStatus(code int) bool { return code >= 100 && code <= 599 }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CustomResponse is the custom_response filters of BackendTrafficPolicy
// responseOverride (a feature.Feature).
type CustomResponse struct{ feature.Base }

// HTTPFilters are the listener's custom_response filters: one per
// response override in force on any of its routes, disabled, sorted by
// name.
func (CustomResponse) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	return disabledFilters(l.VirtualHosts, func(r *ir.Route, add func(string, *ir.ResponseOverride)) {
		if o := r.ResponseOverride; o != nil {
			add(customResponseFilter(o), o)
		}
	}, func(o *ir.ResponseOverride) proto.Message { return customResponse(o) })
}

// Route enables the custom_response filter of r's response override on
// r.
func (CustomResponse) Route(out *routev3.Route, r *ir.Route) {
	if r.ResponseOverride != nil {
		feature.SetFilterConfig(out, customResponseFilter(r.ResponseOverride), mustAny(&routev3.FilterConfig{Config: &anypb.Any{}}))
	}
}

func customResponseFilter(o *ir.ResponseOverride) string {
	return CustomResponseFilterName + "/" + o.Name
}

// customResponse is the filter's configuration: a matcher list, one
// matcher per rule.
func customResponse(o *ir.ResponseOverride) *customresponsev3.CustomResponse {
	list := &xdsmatcherv3.Matcher_MatcherList{}
	for i, rule := range o.Rules {
		var preds []*xdsmatcherv3.Matcher_MatcherList_Predicate
		for _, m := range rule.StatusCodes {
			preds = append(preds, statusPredicate(m))
		}
		pred := preds[0]
		if len(preds) > 1 {
			pred = &xdsmatcherv3.Matcher_MatcherList_Predicate{MatchType: &xdsmatcherv3.Matcher_MatcherList_Predicate_OrMatcher{
				OrMatcher: &xdsmatcherv3.Matcher_MatcherList_Predicate_PredicateList{Predicate: preds},
			}}
		}
		list.Matchers = append(list.Matchers, &xdsmatcherv3.Matcher_MatcherList_FieldMatcher{
			Predicate: pred,
			OnMatch: &xdsmatcherv3.Matcher_OnMatch{OnMatch: &xdsmatcherv3.Matcher_OnMatch_Action{Action: &cncfv3.TypedExtensionConfig{
				Name:        fmt.Sprintf("%s/rule/%d", o.Name, i),
				TypedConfig: mustAny(localResponse(rule)),
			}}},
		})
	}
	return &customresponsev3.CustomResponse{CustomResponseMatcher: &xdsmatcherv3.Matcher{
		MatcherType: &xdsmatcherv3.Matcher_MatcherList_{MatcherList: list},
	}}
}

// statusPredicate matches the response status code: exactly, or a range
// by regular expression.
func statusPredicate(m ir.StatusCodeMatch) *xdsmatcherv3.Matcher_MatcherList_Predicate {
	sm := &xdsmatcherv3.StringMatcher{MatchPattern: &xdsmatcherv3.StringMatcher_Exact{Exact: strconv.Itoa(int(m.Value))}}
	if m.Value == 0 {
		sm.MatchPattern = &xdsmatcherv3.StringMatcher_SafeRegex{SafeRegex: &xdsmatcherv3.RegexMatcher{
			EngineType: &xdsmatcherv3.RegexMatcher_GoogleRe2{GoogleRe2: &xdsmatcherv3.RegexMatcher_GoogleRE2{}},
			Regex:      StatusRangeRegex(int(m.Start), int(m.End)),
		}}
	}
	return &xdsmatcherv3.Matcher_MatcherList_Predicate{MatchType: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_{
		SinglePredicate: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate{
			Input: &cncfv3.TypedExtensionConfig{
				Name:        "http-response-status-code-match-input",
				TypedConfig: mustAny(&matcherv3.HttpResponseStatusCodeMatchInput{}),
			},
			Matcher: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_ValueMatch{ValueMatch: sm},
		},
	}}
}

// StatusRangeRegex is a regular expression that matches the three-digit
// numbers from start to end, inclusive, with digit classes for runs of
// hundreds, tens and units (500-599: "5[0-9][0-9]", 501-511:
// "50[1-9]|51[0-1]").
func StatusRangeRegex(start, end int) string {
	var alts []string
	for v := start; v <= end; {
		switch {
		case v%100 == 0 && v+99 <= end:
			n := (end + 1 - v) / 100 // whole hundreds
			alts = append(alts, digits(v/100, v/100+n-1)+"[0-9][0-9]")
			v += n * 100
		case v%10 == 0 && v+9 <= end:
			n := (min(end+1, v-v%100+100) - v) / 10 // whole tens in this hundred
			alts = append(alts, fmt.Sprintf("%d%s[0-9]", v/100, digits(v/10%10, v/10%10+n-1)))
			v += n * 10
		default:
			last := min(end, v-v%10+9) // units in this ten
			alts = append(alts, fmt.Sprintf("%d%s", v/10, digits(v%10, last%10)))
			v = last + 1
		}
	}
	return "^(?:" + strings.Join(alts, "|") + ")$"
}

// digits is a digit or a class of digits from a to b.
func digits(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return fmt.Sprintf("[%d-%d]", a, b)
}

// localResponse answers with the rule's body, Content-Type and status.
func localResponse(rule ir.ResponseOverrideRule) *localresponsev3.LocalResponsePolicy {
	lr := &localresponsev3.LocalResponsePolicy{}
	if rule.Body != nil {
		lr.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: *rule.Body}}
	}
	if rule.ContentType != "" {
		lr.ResponseHeadersToAdd = append(lr.ResponseHeadersToAdd, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: "content-type", Value: rule.ContentType},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	if rule.Status != 0 {
		lr.StatusCode = wrapperspb.UInt32(rule.Status)
	}
	return lr
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err) // only for messages of linked-in types
	}
	return a
}
