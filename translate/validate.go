package translate

import (
	"errors"
	"fmt"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
)

// The checks here are those a Kubernetes API server makes through the CRD
// schemas and CEL rules of Gateway API before an object exists. With no API
// server, translate makes them; a failing object is rejected with a message
// that names the field.

// validMethods is the CRD enum of HTTPRouteMatch.method.
var validMethods = map[gwapiv1.HTTPMethod]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true,
	"CONNECT": true, "OPTIONS": true, "TRACE": true, "PATCH": true,
}

// headerName is the CRD pattern of HTTP header names (RFC 7230 tokens).
var headerName = fields.HeaderNameRe

// validateHTTPRoute returns every schema error of a route, each naming its
// field; nil means valid. Envoy would reject a bad regular expression, or
// one whose RE2 program is larger than maxRegex (fields.Regex), for the
// whole RouteConfiguration (a NACK), so regexes are checked here.
func validateHTTPRoute(rt *gwapiv1.HTTPRoute, maxRegex int) error {
	var errs []error
	for i, h := range rt.Spec.Hostnames {
		if !validHostname(string(h), true) {
			errs = append(errs, fmt.Errorf("field spec.hostnames[%d]: %q is not a valid hostname (lowercase RFC 1123, optionally with a leading \"*.\"; not an IP address)", i, h))
		}
	}
	for i, rule := range rt.Spec.Rules {
		for j, m := range rule.Matches {
			errs = append(errs, validateMatch(fmt.Sprintf("spec.rules[%d].matches[%d]", i, j), m, maxRegex)...)
		}
		for j, ref := range rule.BackendRefs {
			if w := ref.Weight; w != nil && (*w < 0 || *w > 1000000) {
				errs = append(errs, fmt.Errorf("field spec.rules[%d].backendRefs[%d].weight: %d is out of range 0-1000000", i, j, *w))
			}
			errs = append(errs, validateBackendRef(fmt.Sprintf("spec.rules[%d].backendRefs[%d]", i, j), ref.BackendObjectReference)...)
		}
		errs = append(errs, validateRuleFilters(i, rule, maxRegex)...)
		errs = append(errs, validateSessionPersistence(fmt.Sprintf("spec.rules[%d].sessionPersistence", i), rule.SessionPersistence)...)
	}
	return errors.Join(errs...)
}

func validateMatch(field string, m gwapiv1.HTTPRouteMatch, maxRegex int) []error {
	var errs []error
	if p := m.Path; p != nil && p.Value != nil {
		typ := gwapiv1.PathMatchPathPrefix
		if p.Type != nil {
			typ = *p.Type
		}
		v := *p.Value
		switch typ {
		case gwapiv1.PathMatchExact, gwapiv1.PathMatchPathPrefix:
			if !strings.HasPrefix(v, "/") {
				errs = append(errs, fmt.Errorf("field %s.path.value: %q must be an absolute path (start with \"/\")", field, v))
			}
			for _, bad := range []string{"//", "/./", "/../", "%2f", "%2F", "#"} {
				if strings.Contains(v, bad) {
					errs = append(errs, fmt.Errorf("field %s.path.value: %q must not contain %q", field, v, bad))
				}
			}
			for _, end := range []string{"/..", "/."} {
				if strings.HasSuffix(v, end) {
					errs = append(errs, fmt.Errorf("field %s.path.value: %q must not end with %q", field, v, end))
				}
			}
		case gwapiv1.PathMatchRegularExpression:
			if err := fields.Regex(v, maxRegex); err != nil {
				errs = append(errs, fmt.Errorf("field %s.path.value: %w", field, err))
			}
		default:
			errs = append(errs, fmt.Errorf("field %s.path.type: %q is not one of Exact, PathPrefix, RegularExpression", field, typ))
		}
	}
	if m.Method != nil && !validMethods[*m.Method] {
		errs = append(errs, fmt.Errorf("field %s.method: %q is not an HTTP method", field, *m.Method))
	}
	for k, h := range m.Headers {
		f := fmt.Sprintf("%s.headers[%d]", field, k)
		if !headerName.MatchString(string(h.Name)) {
			errs = append(errs, fmt.Errorf("field %s.name: %q is not a valid header name", f, h.Name))
		}
		if h.Type != nil && *h.Type == gwapiv1.HeaderMatchRegularExpression {
			if err := fields.Regex(h.Value, maxRegex); err != nil {
				errs = append(errs, fmt.Errorf("field %s.value: %w", f, err))
			}
		}
	}
	for k, q := range m.QueryParams {
		f := fmt.Sprintf("%s.queryParams[%d]", field, k)
		if q.Type != nil && *q.Type == gwapiv1.QueryParamMatchRegularExpression {
			if err := fields.Regex(q.Value, maxRegex); err != nil {
				errs = append(errs, fmt.Errorf("field %s.value: %w", f, err))
			}
		}
	}
	return errs
}
