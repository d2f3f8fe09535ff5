package ir

import (
	"fmt"
	"regexp"
)

// DirectResponse is what a route answers besides its DirectStatus: a body
// and response headers. ContentType, when set, overwrites Content-Type.
type DirectResponse struct {
	Body        string          `json:"body,omitempty" yaml:"body,omitempty"`
	ContentType string          `json:"contentType,omitempty" yaml:"contentType,omitempty"`
	Headers     *HeaderModifier `json:"headers,omitempty" yaml:"headers,omitempty"`
}

// RegexReplace replaces what Pattern (RE2) matches with Substitution,
// which may name capture groups (\1).
type RegexReplace struct {
	Pattern      string `json:"pattern" yaml:"pattern"`
	Substitution string `json:"substitution" yaml:"substitution"`
}

// validateDirect checks a direct response: Envoy accepts statuses
// 200-599 only, and a body needs a status.
func (r *Route) validateDirect() []error {
	var errs []error
	if r.DirectStatus != 0 && (r.DirectStatus < 200 || r.DirectStatus > 599) {
		errs = append(errs, fmt.Errorf("route %q: direct status %d is not within 200-599", r.Name, r.DirectStatus))
	}
	if r.Direct != nil && r.DirectStatus == 0 {
		errs = append(errs, fmt.Errorf("route %q: a direct response body needs a direct status", r.Name))
	}
	return errs
}

// validateExtendedRewrite checks that a rewrite sets the path and the
// host one way each, with regexes that compile.
func (r *Route) validateExtendedRewrite() []error {
	rw := r.Rewrite
	var errs []error
	if rw.Path != nil && rw.PathRegex != nil {
		errs = append(errs, fmt.Errorf("route %q: the path is rewritten twice", r.Name))
	}
	hosts := 0
	for _, set := range []bool{rw.Hostname != "", rw.HostHeader != "", rw.AutoHost, rw.HostPathRegex != nil} {
		if set {
			hosts++
		}
	}
	if hosts > 1 {
		errs = append(errs, fmt.Errorf("route %q: the host is rewritten %d ways", r.Name, hosts))
	}
	for _, rr := range []*RegexReplace{rw.PathRegex, rw.HostPathRegex} {
		if rr == nil {
			continue
		}
		if _, err := regexp.Compile(rr.Pattern); err != nil || rr.Pattern == "" {
			errs = append(errs, fmt.Errorf("route %q: rewrite pattern %q is not a valid RE2 regex", r.Name, rr.Pattern))
		}
	}
	return errs
}
