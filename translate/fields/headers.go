package fields

import (
	"fmt"
	"regexp"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// HeaderNameRe is Gateway API's pattern for HTTP header names.
var HeaderNameRe = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]+$")

// HeaderFilter checks an HTTPHeaderFilter as its CRD schema does (names
// of 1 to 256 characters of the header name pattern, at most 16 entries
// per list). Envoy refuses to modify the Host header (and
// pseudo-headers, which the pattern excludes), so that is refused too
// rather than NACKed. A header named twice is not an error: as in Envoy
// Gateway, the first action on a name counts.
func HeaderFilter(field string, f *gwapiv1.HTTPHeaderFilter) []error {
	var errs []error
	check := func(f, name string) {
		if !HeaderNameRe.MatchString(name) || len(name) > 256 {
			errs = append(errs, fmt.Errorf("field %s: %q is not a valid header name", f, name))
		} else if strings.EqualFold(name, "host") {
			errs = append(errs, fmt.Errorf("field %s: the Host header cannot be modified here; use a URLRewrite filter's hostname", f))
		}
	}
	for _, list := range []struct {
		name    string
		headers []gwapiv1.HTTPHeader
	}{{"set", f.Set}, {"add", f.Add}} {
		if len(list.headers) > 16 {
			errs = append(errs, fmt.Errorf("field %s.%s: %d entries are more than the 16 allowed", field, list.name, len(list.headers)))
		}
		for i, h := range list.headers {
			hf := fmt.Sprintf("%s.%s[%d]", field, list.name, i)
			check(hf+".name", string(h.Name))
			if err := HeaderValue(h.Value); err != "" {
				errs = append(errs, fmt.Errorf("field %s.value: %s", hf, err))
			}
		}
	}
	if len(f.Remove) > 16 {
		errs = append(errs, fmt.Errorf("field %s.remove: %d entries are more than the 16 allowed", field, len(f.Remove)))
	}
	for i, name := range f.Remove {
		check(fmt.Sprintf("%s.remove[%d]", field, i), name)
	}
	return errs
}

// HeaderValue returns why v cannot be a header value, or "". An empty
// value is allowed, as Envoy Gateway allows it (Envoy then leaves the
// header out).
func HeaderValue(v string) string {
	if len(v) > 4096 {
		return "is longer than 4096 characters"
	}
	for _, c := range v {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return fmt.Sprintf("%q contains a control character", v)
		}
	}
	return ""
}
