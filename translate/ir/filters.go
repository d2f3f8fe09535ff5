package ir

import (
	"errors"
	"fmt"
	"time"
)

// HeaderModifier changes the headers of a request or response: Set
// overwrites, Add appends, Remove deletes. Each name appears once across the
// three lists (compared case-insensitively).
type HeaderModifier struct {
	Set    []Header `json:"set,omitempty" yaml:"set,omitempty"`
	Add    []Header `json:"add,omitempty" yaml:"add,omitempty"`
	Remove []string `json:"remove,omitempty" yaml:"remove,omitempty"`
}

// Header is a header name and value.
type Header struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
}

// Path modifier types, as Gateway API names them.
const (
	ReplaceFullPath    = "ReplaceFullPath"
	ReplacePrefixMatch = "ReplacePrefixMatch"
)

// PathModifier replaces a request's whole path, or the part its route's
// PathPrefix matched, with Value.
type PathModifier struct {
	Type  string `json:"type" yaml:"type"`
	Value string `json:"value" yaml:"value"`
}

// Redirect answers with a redirect. Empty fields keep the request's value;
// Port 0 keeps the default port of the scheme.
type Redirect struct {
	Scheme     string        `json:"scheme,omitempty" yaml:"scheme,omitempty"`
	Hostname   string        `json:"hostname,omitempty" yaml:"hostname,omitempty"`
	Path       *PathModifier `json:"path,omitempty" yaml:"path,omitempty"`
	Port       uint32        `json:"port,omitempty" yaml:"port,omitempty"`
	StatusCode uint32        `json:"statusCode" yaml:"statusCode"`
}

// URLRewrite changes the Host header and path before forwarding. Of the
// path fields one may be set, of the host fields one; all but Hostname and
// Path come from Envoy Gateway's HTTPRouteFilter.
type URLRewrite struct {
	Hostname string        `json:"hostname,omitempty" yaml:"hostname,omitempty"`
	Path     *PathModifier `json:"path,omitempty" yaml:"path,omitempty"`
	// PathRegex replaces the parts of the path that match a regex.
	PathRegex *RegexReplace `json:"pathRegex,omitempty" yaml:"pathRegex,omitempty"`
	// HostHeader takes the Host from this request header, if present.
	HostHeader string `json:"hostHeader,omitempty" yaml:"hostHeader,omitempty"`
	// AutoHost takes the Host from the DNS name of the chosen endpoint.
	AutoHost bool `json:"autoHost,omitempty" yaml:"autoHost,omitempty"`
	// HostPathRegex computes the Host from the path.
	HostPathRegex *RegexReplace `json:"hostPathRegex,omitempty" yaml:"hostPathRegex,omitempty"`
	// AppendXForwardedHost keeps the original Host in X-Forwarded-Host.
	AppendXForwardedHost bool `json:"appendXForwardedHost,omitempty" yaml:"appendXForwardedHost,omitempty"`
}

// Mirror sends a copy of a share of the requests to a cluster and ignores
// the answers. A nil Fraction mirrors every request.
type Mirror struct {
	Cluster  string    `json:"cluster" yaml:"cluster"`
	Fraction *Fraction `json:"fraction,omitempty" yaml:"fraction,omitempty"`
}

// Fraction is Numerator/Denominator.
type Fraction struct {
	Numerator   uint32 `json:"numerator" yaml:"numerator"`
	Denominator uint32 `json:"denominator" yaml:"denominator"`
}

// CORS is a cross-origin resource sharing policy. Origins are "*",
// "scheme://host[:port]", or such with a "*." host prefix.
type CORS struct {
	AllowOrigins     []string `json:"allowOrigins,omitempty" yaml:"allowOrigins,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty" yaml:"allowMethods,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty" yaml:"allowHeaders,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty" yaml:"exposeHeaders,omitempty"`
	AllowCredentials bool     `json:"allowCredentials,omitempty" yaml:"allowCredentials,omitempty"`
	// MaxAgeSeconds is how long a browser may cache a preflight answer.
	MaxAgeSeconds uint32 `json:"maxAgeSeconds" yaml:"maxAgeSeconds"`
}

// Retry retries a backend request that failed to connect, was reset, or
// answered one of Codes.
type Retry struct {
	Attempts uint32    `json:"attempts" yaml:"attempts"`
	Codes    []uint32  `json:"codes,omitempty" yaml:"codes,omitempty"`
	Backoff  *Duration `json:"backoff,omitempty" yaml:"backoff,omitempty"`
}

// Duration is a time.Duration that prints as "1m30s".
type Duration time.Duration

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MarshalText prints the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses what MarshalText prints.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// validateFilters checks the invariants of a route's filters.
func (r *Route) validateFilters(clusters map[string]bool) []error {
	var errs []error
	if r.Redirect != nil {
		if len(r.Backends) > 0 || r.DirectStatus != 0 {
			errs = append(errs, fmt.Errorf("route %q: a redirect excludes backends and a direct response", r.Name))
		}
		switch r.Redirect.StatusCode {
		case 301, 302, 303, 307, 308:
		default:
			errs = append(errs, fmt.Errorf("route %q: redirect status %d is not 301, 302, 303, 307 or 308", r.Name, r.Redirect.StatusCode))
		}
		errs = append(errs, r.validatePath(r.Redirect.Path))
	}
	if r.Rewrite != nil {
		errs = append(errs, r.validatePath(r.Rewrite.Path))
		errs = append(errs, r.validateExtendedRewrite()...)
	}
	errs = append(errs, r.validateDirect()...)
	for _, m := range r.Mirrors {
		if !clusters[m.Cluster] {
			errs = append(errs, fmt.Errorf("route %q: mirror cluster %q does not exist", r.Name, m.Cluster))
		}
		if f := m.Fraction; f != nil && (f.Denominator == 0 || f.Numerator > f.Denominator) {
			errs = append(errs, fmt.Errorf("route %q: mirror fraction %d/%d is not within 0-1", r.Name, f.Numerator, f.Denominator))
		}
	}
	return errs
}

func (r *Route) validatePath(p *PathModifier) error {
	switch {
	case p == nil, p.Type == ReplaceFullPath:
		return nil
	case p.Type == ReplacePrefixMatch:
		if r.Path.Prefix == "" {
			return fmt.Errorf("route %q: %s needs a prefix path match", r.Name, ReplacePrefixMatch)
		}
		return nil
	}
	return errors.New("route " + r.Name + ": unknown path modifier type " + p.Type)
}
