package translate

import (
	"fmt"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// This file holds what all HTTPRoute filters share: the CRD rules about
// which filters a list may hold, and the translation of a rule's filters
// into the IR. Each filter type has its own file (filter_*.go).

// ruleFilters are the filters, timeouts and retry of one rule, translated
// once per route and copied into each of the rule's IR routes.
type ruleFilters struct {
	requestHeaders  *ir.HeaderModifier
	responseHeaders *ir.HeaderModifier
	redirect        *ir.Redirect
	rewrite         *ir.URLRewrite
	mirrors         []ir.Mirror
	cors            *ir.CORS
	timeout         *ir.Duration
	backendTimeout  *ir.Duration
	retry           *ir.Retry
	// unresolved is set when an ExtensionRef filter cannot be resolved:
	// the spec forbids skipping it, so the rule answers 500.
	unresolved bool

	// The parts of Envoy Gateway's HTTPRouteFilters (httproutefilter.go):
	// a direct response, and a URL rewrite merged into rewrite once all
	// filters are read. The fields name filters in messages.
	directStatus   uint32
	direct         *ir.DirectResponse
	directFrom     string
	extRewrite     *ir.URLRewrite
	extRewriteFrom string
	rewriteField   string // of the URLRewrite filter
}

// refProblems gathers the failing references of a route for its
// ResolvedRefs condition: the reason of the first, the messages of all.
type refProblems struct {
	reason string
	msgs   []string
}

func (p *refProblems) add(reason, msg string) {
	if p.reason == "" {
		p.reason = reason
	}
	p.msgs = append(p.msgs, msg)
}

// condition is the ResolvedRefs condition the problems give.
func (p *refProblems) condition() status.Condition {
	if p.reason != "" {
		return status.New(status.CondResolvedRefs, false, p.reason, strings.Join(p.msgs, "; "))
	}
	return status.New(status.CondResolvedRefs, true, status.ReasonResolvedRefs, "all references are resolved")
}

// filterTypes are the filter types of the standard channel, each with
// whether it may appear more than once in one list. The CRD's CEL rules
// forbid repeating a header modifier, but Envoy Gateway merges repeated
// ones (mergeHeaders), and so does sluice, so that the same YAML means
// the same thing.
var filterTypes = map[gwapiv1.HTTPRouteFilterType]bool{
	gwapiv1.HTTPRouteFilterRequestHeaderModifier:  true,
	gwapiv1.HTTPRouteFilterResponseHeaderModifier: true,
	gwapiv1.HTTPRouteFilterRequestRedirect:        false,
	gwapiv1.HTTPRouteFilterURLRewrite:             false,
	gwapiv1.HTTPRouteFilterCORS:                   false,
	gwapiv1.HTTPRouteFilterRequestMirror:          true,
	gwapiv1.HTTPRouteFilterExtensionRef:           true,
}

// filterOrder lists filterTypes in a fixed order, for messages.
var filterOrder = []gwapiv1.HTTPRouteFilterType{
	gwapiv1.HTTPRouteFilterRequestHeaderModifier, gwapiv1.HTTPRouteFilterResponseHeaderModifier,
	gwapiv1.HTTPRouteFilterRequestRedirect, gwapiv1.HTTPRouteFilterURLRewrite,
	gwapiv1.HTTPRouteFilterCORS, gwapiv1.HTTPRouteFilterRequestMirror, gwapiv1.HTTPRouteFilterExtensionRef,
}

// validateFilters checks a filter list (field names it, e.g.
// "spec.rules[0].filters") as the CRD schema and CEL rules do.
func validateFilters(field string, filters []gwapiv1.HTTPRouteFilter, maxRegex int) []error {
	if len(filters) == 0 {
		return nil
	}
	var errs []error
	if len(filters) > 16 {
		errs = append(errs, fmt.Errorf("field %s: %d filters are more than the 16 allowed", field, len(filters)))
	}
	count := map[gwapiv1.HTTPRouteFilterType]int{}
	for i, f := range filters {
		count[f.Type]++
		errs = append(errs, validateFilter(fmt.Sprintf("%s[%d]", field, i), f, maxRegex)...)
	}
	for _, typ := range filterOrder {
		if !filterTypes[typ] && count[typ] > 1 {
			errs = append(errs, fmt.Errorf("field %s: %s filter cannot be repeated", field, typ))
		}
	}
	if count[gwapiv1.HTTPRouteFilterRequestRedirect] > 0 && count[gwapiv1.HTTPRouteFilterURLRewrite] > 0 {
		errs = append(errs, fmt.Errorf("field %s: may specify either a RequestRedirect or a URLRewrite filter, but not both", field))
	}
	return errs
}

// validateFilter checks that a filter's type and its one configuration
// field agree, then the configuration itself.
func validateFilter(field string, f gwapiv1.HTTPRouteFilter, maxRegex int) []error {
	set := map[gwapiv1.HTTPRouteFilterType]bool{
		gwapiv1.HTTPRouteFilterRequestHeaderModifier:  f.RequestHeaderModifier != nil,
		gwapiv1.HTTPRouteFilterResponseHeaderModifier: f.ResponseHeaderModifier != nil,
		gwapiv1.HTTPRouteFilterRequestRedirect:        f.RequestRedirect != nil,
		gwapiv1.HTTPRouteFilterURLRewrite:             f.URLRewrite != nil,
		gwapiv1.HTTPRouteFilterCORS:                   f.CORS != nil,
		gwapiv1.HTTPRouteFilterRequestMirror:          f.RequestMirror != nil,
		gwapiv1.HTTPRouteFilterExtensionRef:           f.ExtensionRef != nil,
	}
	if _, ok := filterTypes[f.Type]; !ok {
		return []error{fmt.Errorf("field %s.type: %q is not one of RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS, ExtensionRef", field, f.Type)}
	}
	var errs []error
	for _, typ := range filterOrder {
		name := filterField(typ)
		switch {
		case typ == f.Type && !set[typ]:
			errs = append(errs, fmt.Errorf("field %s.%s: must be specified for filter type %s", field, name, typ))
		case typ != f.Type && set[typ]:
			errs = append(errs, fmt.Errorf("field %s.%s: must be nil if the filter type is not %s", field, name, typ))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	switch f.Type {
	case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
		return validateHeaderFilter(field+".requestHeaderModifier", f.RequestHeaderModifier)
	case gwapiv1.HTTPRouteFilterResponseHeaderModifier:
		return validateHeaderFilter(field+".responseHeaderModifier", f.ResponseHeaderModifier)
	case gwapiv1.HTTPRouteFilterRequestRedirect:
		return validateRedirect(field+".requestRedirect", f.RequestRedirect)
	case gwapiv1.HTTPRouteFilterURLRewrite:
		return validateRewrite(field+".urlRewrite", f.URLRewrite)
	case gwapiv1.HTTPRouteFilterCORS:
		return validateCORS(field+".cors", f.CORS, maxRegex)
	case gwapiv1.HTTPRouteFilterRequestMirror:
		return validateMirror(field+".requestMirror", f.RequestMirror)
	}
	return nil
}

// filterField is the JSON name of a filter type's configuration field.
func filterField(typ gwapiv1.HTTPRouteFilterType) string {
	if typ == gwapiv1.HTTPRouteFilterURLRewrite {
		return "urlRewrite"
	}
	if typ == gwapiv1.HTTPRouteFilterCORS {
		return "cors"
	}
	s := string(typ)
	return string(s[0]+'a'-'A') + s[1:]
}

// validateRuleFilters checks the CEL rules of an HTTPRouteRule that relate
// its filters to its matches and backendRefs.
func validateRuleFilters(ruleIndex int, rule gwapiv1.HTTPRouteRule, maxRegex int) []error {
	if len(rule.Filters) == 0 && rule.Timeouts == nil && rule.Retry == nil && !anyBackendFilters(rule.BackendRefs) {
		return nil // the common case costs nothing
	}
	field := fmt.Sprintf("spec.rules[%d]", ruleIndex)
	errs := validateFilters(field+".filters", rule.Filters, maxRegex)
	for i, f := range rule.Filters {
		var path *gwapiv1.HTTPPathModifier
		switch {
		case f.RequestRedirect != nil:
			if len(rule.BackendRefs) > 0 {
				errs = append(errs, fmt.Errorf("field %s.filters[%d]: a RequestRedirect filter must not be used together with backendRefs", field, i))
			}
			path = f.RequestRedirect.Path
		case f.URLRewrite != nil:
			path = f.URLRewrite.Path
		}
		if path != nil && path.ReplacePrefixMatch != nil && path.Type == gwapiv1.PrefixMatchHTTPPathModifier && !onePrefixMatch(rule.Matches) {
			errs = append(errs, fmt.Errorf("field %s.filters[%d]: when using %s with path.replacePrefixMatch, exactly one PathPrefix match must be specified", field, i, f.Type))
		}
	}
	for j, ref := range rule.BackendRefs {
		if len(ref.Filters) > 0 {
			errs = append(errs, validateBackendFilters(fmt.Sprintf("%s.backendRefs[%d].filters", field, j), ref.Filters, maxRegex)...)
		}
	}
	errs = append(errs, validateTimeouts(field+".timeouts", rule.Timeouts)...)
	errs = append(errs, validateRetry(field+".retry", rule.Retry)...)
	return errs
}

func anyBackendFilters(refs []gwapiv1.HTTPBackendRef) bool {
	for _, ref := range refs {
		if len(ref.Filters) > 0 {
			return true
		}
	}
	return false
}

// onePrefixMatch reports whether matches, with the CRD defaults applied
// (one match, path PathPrefix "/"), are exactly one PathPrefix match.
func onePrefixMatch(matches []gwapiv1.HTTPRouteMatch) bool {
	switch {
	case len(matches) == 0:
		return true
	case len(matches) > 1:
		return false
	}
	p := matches[0].Path
	return p == nil || p.Type == nil || *p.Type == gwapiv1.PathMatchPathPrefix
}

// ruleFilters translates the filters, timeouts and retry of a valid rule.
// Mirror backends are resolved like backendRefs: their clusters go to cs,
// their failures to probs.
func (t *translator) ruleFilters(routeKind, routeNS string, ruleIndex int, rule gwapiv1.HTTPRouteRule, cs *[]*ir.Cluster, probs *refProblems) ruleFilters {
	var rf ruleFilters
	for i, f := range rule.Filters {
		ff := fmt.Sprintf("spec.rules[%d].filters[%d]", ruleIndex, i)
		switch f.Type {
		case gwapiv1.HTTPRouteFilterRequestHeaderModifier:
			rf.requestHeaders = mergeHeaders(rf.requestHeaders, f.RequestHeaderModifier)
		case gwapiv1.HTTPRouteFilterResponseHeaderModifier:
			rf.responseHeaders = mergeHeaders(rf.responseHeaders, f.ResponseHeaderModifier)
		case gwapiv1.HTTPRouteFilterRequestRedirect:
			rf.redirect = redirect(f.RequestRedirect)
		case gwapiv1.HTTPRouteFilterURLRewrite:
			rf.rewrite, rf.rewriteField = urlRewrite(f.URLRewrite), ff+".urlRewrite"
		case gwapiv1.HTTPRouteFilterCORS:
			rf.cors = corsPolicy(f.CORS)
		case gwapiv1.HTTPRouteFilterRequestMirror:
			if m, c := t.mirror(routeKind, routeNS, ff+".requestMirror", f.RequestMirror, probs); c != nil {
				*cs = append(*cs, c)
				rf.mirrors = append(rf.mirrors, m)
			}
		case gwapiv1.HTTPRouteFilterExtensionRef:
			t.extensionFilter(routeKind, routeNS, ff+".extensionRef", f.ExtensionRef, &rf, probs)
		}
	}
	rf.finishExtensions(probs)
	rf.timeout, rf.backendTimeout = routeTimeouts(rule.Timeouts)
	rf.retry = routeRetry(rule.Retry)
	return rf
}

// extensionRefProblem explains why an ExtensionRef cannot be resolved:
// a rule's filters may name Envoy Gateway's HTTPRouteFilter only
// (httproutefilter.go); a backendRef's, none yet. effect says what happens
// instead.
func extensionRefProblem(field string, ref *gwapiv1.LocalObjectReference, effect string) (string, string) {
	if string(ref.Group) == groupEG && ref.Kind == "HTTPRouteFilter" {
		return status.ReasonInvalidKind, fmt.Sprintf("field %s: HTTPRouteFilter %s is not supported yet; %s", field, ref.Name, effect)
	}
	return status.ReasonInvalidKind, fmt.Sprintf("field %s: %s/%s is not a supported filter kind; %s", field, ref.Group, ref.Kind, effect)
}

// apply copies the filters into one IR route whose action (backends,
// redirect or direct response) is already set.
func (rf *ruleFilters) apply(r *ir.Route) {
	r.RequestHeaders = rf.requestHeaders
	r.ResponseHeaders = rf.responseHeaders
	r.CORS = rf.cors
	if len(r.Backends) == 0 {
		return // nothing is forwarded: rewrites, mirrors and timeouts do not apply
	}
	r.Rewrite = rf.rewrite
	r.Mirrors = rf.mirrors
	r.Timeout = rf.timeout
	r.BackendTimeout = rf.backendTimeout
	r.Retry = rf.retry
}
