package translate

import (
	"errors"
	"fmt"
	"regexp"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// A GRPCRoute is translated to the HTTPRoute that means the same to
// Envoy, and from there on shares the HTTPRoute code: attachment,
// backends, filters, status. A gRPC call is an HTTP/2 POST to
// /<service>/<method>, so a method match becomes a path match:
//
//	service and method  Exact "/svc/method"
//	service only        PathPrefix "/svc/" (whole path elements)
//	method only         RegularExpression "/[^/]+/method"
//
// and RegularExpression matches become one path regex. The differences
// from an HTTPRoute: the clusters speak HTTP/2 (http2Clusters), rules are
// ordered by the GRPCRoute precedence (precedence.go), a rule without a
// valid backend answers 503 (UNAVAILABLE), and an HTTPRoute and a
// GRPCRoute never share a hostname on a listener (attach).

// grpcServiceName and grpcMethodName are the CEL patterns of Exact
// GRPCMethodMatch values.
var (
	grpcServiceName = regexp.MustCompile(`^(?i)\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$`)
	grpcMethodName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z_0-9]*$`)
)

// grpcFilterTypes are the filter types a GRPCRoute takes, each with whether
// it may be repeated: header modifiers are merged as an HTTPRoute's
// (filterTypes says why).
var grpcFilterTypes = map[gwapiv1.GRPCRouteFilterType]bool{
	gwapiv1.GRPCRouteFilterRequestHeaderModifier:  true,
	gwapiv1.GRPCRouteFilterResponseHeaderModifier: true,
	gwapiv1.GRPCRouteFilterRequestMirror:          true,
	gwapiv1.GRPCRouteFilterExtensionRef:           true,
}

// grpcAsHTTPRoute returns the HTTPRoute a GRPCRoute means. Matches that
// fail validateGRPCRoute translate to something; the route is rejected
// before it is used.
func grpcAsHTTPRoute(gr *gwapiv1.GRPCRoute) *gwapiv1.HTTPRoute {
	rt := &gwapiv1.HTTPRoute{ObjectMeta: gr.ObjectMeta}
	rt.Spec.CommonRouteSpec = gr.Spec.CommonRouteSpec
	rt.Spec.Hostnames = gr.Spec.Hostnames
	for _, r := range gr.Spec.Rules {
		hr := gwapiv1.HTTPRouteRule{Name: r.Name, SessionPersistence: r.SessionPersistence}
		for _, m := range r.Matches {
			hr.Matches = append(hr.Matches, grpcMatch(m))
		}
		for _, f := range r.Filters {
			hr.Filters = append(hr.Filters, grpcFilter(f))
		}
		for _, ref := range r.BackendRefs {
			href := gwapiv1.HTTPBackendRef{BackendRef: ref.BackendRef}
			for _, f := range ref.Filters {
				href.Filters = append(href.Filters, grpcFilter(f))
			}
			hr.BackendRefs = append(hr.BackendRefs, href)
		}
		rt.Spec.Rules = append(rt.Spec.Rules, hr)
	}
	return rt
}

func grpcFilter(f gwapiv1.GRPCRouteFilter) gwapiv1.HTTPRouteFilter {
	return gwapiv1.HTTPRouteFilter{
		Type:                   gwapiv1.HTTPRouteFilterType(f.Type),
		RequestHeaderModifier:  f.RequestHeaderModifier,
		ResponseHeaderModifier: f.ResponseHeaderModifier,
		RequestMirror:          f.RequestMirror,
		ExtensionRef:           f.ExtensionRef,
	}
}

// grpcMatch turns a service/method match into a path match and copies
// the header matches.
func grpcMatch(m gwapiv1.GRPCRouteMatch) gwapiv1.HTTPRouteMatch {
	var out gwapiv1.HTTPRouteMatch
	for _, h := range m.Headers {
		typ := gwapiv1.HeaderMatchExact
		if h.Type != nil && *h.Type == gwapiv1.GRPCHeaderMatchRegularExpression {
			typ = gwapiv1.HeaderMatchRegularExpression
		}
		out.Headers = append(out.Headers, gwapiv1.HTTPHeaderMatch{Type: &typ, Name: gwapiv1.HTTPHeaderName(h.Name), Value: h.Value})
	}
	if m.Method == nil {
		return out
	}
	svc, method := deref(m.Method.Service), deref(m.Method.Method)
	typ, value := gwapiv1.PathMatchRegularExpression, ""
	switch {
	case grpcRegex(m.Method):
		value = "/" + orAny(svc) + "/" + orAny(method)
	case svc != "" && method != "":
		typ, value = gwapiv1.PathMatchExact, "/"+svc+"/"+method
	case svc != "":
		typ, value = gwapiv1.PathMatchPathPrefix, "/"+svc+"/"
	case method != "":
		value = "/[^/]+/" + regexp.QuoteMeta(method)
	default:
		typ, value = gwapiv1.PathMatchPathPrefix, "/"
	}
	out.Path = &gwapiv1.HTTPPathMatch{Type: &typ, Value: &value}
	return out
}

func grpcRegex(m *gwapiv1.GRPCMethodMatch) bool {
	return m.Type != nil && *m.Type == gwapiv1.GRPCMethodMatchRegularExpression
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// orAny is a regex for one path element: re, or any element when empty.
func orAny(re string) string {
	if re == "" {
		return "[^/]+"
	}
	return re
}

// validateGRPCRoute checks a GRPCRoute as the CRD schema and CEL rules
// do: its matches and filter types here, the rest on rt, the HTTPRoute it
// translates to, whose field paths are the same.
func validateGRPCRoute(gr *gwapiv1.GRPCRoute, rt *gwapiv1.HTTPRoute, maxRegex int) error {
	var errs []error
	total := 0
	for i, r := range gr.Spec.Rules {
		total += len(r.Matches)
		for j, m := range r.Matches {
			errs = append(errs, validateGRPCMatch(fmt.Sprintf("spec.rules[%d].matches[%d]", i, j), m, maxRegex)...)
		}
		errs = append(errs, validateGRPCFilterTypes(fmt.Sprintf("spec.rules[%d].filters", i), r.Filters)...)
		for j, ref := range r.BackendRefs {
			errs = append(errs, validateGRPCFilterTypes(fmt.Sprintf("spec.rules[%d].backendRefs[%d].filters", i, j), ref.Filters)...)
		}
	}
	if total > 128 {
		errs = append(errs, fmt.Errorf("field spec.rules: While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// The matches are checked above; what they became needs no check.
	plain := *rt
	plain.Spec.Rules = make([]gwapiv1.HTTPRouteRule, len(rt.Spec.Rules))
	for i, r := range rt.Spec.Rules {
		r.Matches = nil
		plain.Spec.Rules[i] = r
	}
	return validateHTTPRoute(&plain, maxRegex)
}

func validateGRPCMatch(field string, m gwapiv1.GRPCRouteMatch, maxRegex int) []error {
	var errs []error
	if mm := m.Method; mm != nil {
		f := field + ".method"
		svc, method := deref(mm.Service), deref(mm.Method)
		switch {
		case mm.Type != nil && *mm.Type != gwapiv1.GRPCMethodMatchExact && *mm.Type != gwapiv1.GRPCMethodMatchRegularExpression:
			errs = append(errs, fmt.Errorf("field %s.type: %q is not one of Exact, RegularExpression", f, *mm.Type))
		case svc == "" && method == "":
			errs = append(errs, fmt.Errorf("field %s: One or both of 'service' or 'method' must be specified", f))
		case grpcRegex(mm):
			bad := false
			for _, p := range [][2]string{{"service", svc}, {"method", method}} {
				if _, err := regexp.Compile(p[1]); p[1] != "" && err != nil {
					errs = append(errs, fmt.Errorf("field %s.%s: %q is not a valid RE2 regular expression: %v", f, p[0], p[1], err))
					bad = true
				}
			}
			// Envoy gets both as one path regex (grpcMatch).
			if path := "/" + orAny(svc) + "/" + orAny(method); !bad {
				if err := fields.Regex(path, maxRegex); err != nil {
					errs = append(errs, fmt.Errorf("field %s: service and method as the path regex Envoy matches: %w", f, err))
				}
			}
		default:
			if svc != "" && !grpcServiceName.MatchString(svc) {
				errs = append(errs, fmt.Errorf("field %s.service: service must only contain valid characters (matching %s)", f, grpcServiceName))
			}
			if method != "" && !grpcMethodName.MatchString(method) {
				errs = append(errs, fmt.Errorf("field %s.method: method must only contain valid characters (matching %s)", f, grpcMethodName))
			}
		}
	}
	for k, h := range m.Headers {
		f := fmt.Sprintf("%s.headers[%d]", field, k)
		if !headerName.MatchString(string(h.Name)) {
			errs = append(errs, fmt.Errorf("field %s.name: %q is not a valid header name", f, h.Name))
		}
		switch {
		case h.Value == "":
			errs = append(errs, fmt.Errorf("field %s.value: must not be empty", f))
		case h.Type != nil && *h.Type == gwapiv1.GRPCHeaderMatchRegularExpression:
			if err := fields.Regex(h.Value, maxRegex); err != nil {
				errs = append(errs, fmt.Errorf("field %s.value: %w", f, err))
			}
		case h.Type != nil && *h.Type != gwapiv1.GRPCHeaderMatchExact:
			errs = append(errs, fmt.Errorf("field %s.type: %q is not one of Exact, RegularExpression", f, *h.Type))
		}
	}
	return errs
}

// validateGRPCFilterTypes checks the filter type enum and the CEL rules
// against repeating a filter; the filters' contents are checked as
// HTTPRoute filters.
func validateGRPCFilterTypes(field string, filters []gwapiv1.GRPCRouteFilter) []error {
	var errs []error
	count := map[gwapiv1.GRPCRouteFilterType]int{}
	for i, f := range filters {
		repeatable, ok := grpcFilterTypes[f.Type]
		if !ok {
			errs = append(errs, fmt.Errorf("field %s[%d].type: %q is not one of RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, ExtensionRef", field, i, f.Type))
			continue
		}
		if count[f.Type]++; count[f.Type] == 2 && !repeatable {
			errs = append(errs, fmt.Errorf("field %s: %s filter cannot be repeated", field, f.Type))
		}
	}
	return errs
}

// http2Clusters gives a GRPCRoute's rules clusters that speak HTTP/2: a
// copy of each, named with the suffix "/h2", so that an HTTPRoute and a
// GRPCRoute may share a backend and each get the protocol it needs.
func http2Clusters(rules []ruleBackends) {
	h2 := map[string]*ir.Cluster{}
	rename := func(name string) string {
		if name == "" {
			return ""
		}
		return h2[name].Name
	}
	for i := range rules {
		rb := &rules[i]
		for j, c := range rb.clusters {
			if h2[c.Name] == nil {
				cp := *c
				cp.Name += "/h2"
				cp.HTTP2 = true
				h2[c.Name] = &cp
			}
			rb.clusters[j] = h2[c.Name]
		}
		for j := range rb.backends {
			rb.backends[j].Cluster = rename(rb.backends[j].Cluster)
		}
		mirrors := make([]ir.Mirror, len(rb.filters.mirrors))
		for j, m := range rb.filters.mirrors {
			m.Cluster = rename(m.Cluster)
			mirrors[j] = m
		}
		rb.filters.mirrors = mirrors
	}
}

// grpcMatchKey returns what GRPCRoute precedence looks at in one match:
// the characters of its service and of its method.
func grpcMatchKey(gr *gwapiv1.GRPCRoute, rule, match int) (service, method int) {
	if rule >= len(gr.Spec.Rules) || match >= len(gr.Spec.Rules[rule].Matches) {
		return 0, 0
	}
	m := gr.Spec.Rules[rule].Matches[match].Method
	if m == nil {
		return 0, 0
	}
	return len(deref(m.Service)), len(deref(m.Method))
}
