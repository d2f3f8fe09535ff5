package translate

import (
	"fmt"
	"hash/fnv"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
)

// Session persistence (HTTPRoute and GRPCRoute rule sessionPersistence)
// through Envoy's stateful session filter: the endpoint that served a
// client's first request is written into a cookie or header, and later
// requests that carry it go to that endpoint while it exists, whatever the
// load balancer would pick. The filter sits in every HTTP filter chain that
// has such a route, disabled; each route turns it on with its own cookie or
// header (typed_per_filter_config).
//
// The cookie is scoped to the path the route matches: its prefix or exact
// path, "/" for a regular expression (as Envoy Gateway does). Its lifetime:
// lifetimeType Permanent sets Max-Age to absoluteTimeout; Session (the
// default) gives a session cookie, and then absoluteTimeout cannot be
// enforced by Envoy and is ignored, which the route's Accepted message says.
// Without sessionName the name is "sluice-session-" and a hash of the
// route and rule, so that two rules never share a session by accident.

// validateSessionPersistence checks the CRD schema and CEL rules.
func validateSessionPersistence(field string, sp *gwapiv1.SessionPersistence) []error {
	if sp == nil {
		return nil
	}
	var errs []error
	typ := sessionType(sp)
	if typ != gwapiv1.CookieBasedSessionPersistence && typ != gwapiv1.HeaderBasedSessionPersistence {
		errs = append(errs, fmt.Errorf("field %s.type: %q is not one of Cookie, Header", field, typ))
	}
	if n := sp.SessionName; n != nil {
		if len(*n) > 128 {
			errs = append(errs, fmt.Errorf("field %s.sessionName: %d characters are more than the 128 allowed", field, len(*n)))
		} else if !headerName.MatchString(*n) {
			errs = append(errs, fmt.Errorf("field %s.sessionName: %q is not a valid cookie or header name", field, *n))
		}
	}
	if sp.AbsoluteTimeout != nil {
		if _, err := fields.GatewayDuration(field+".absoluteTimeout", string(*sp.AbsoluteTimeout)); err != nil {
			errs = append(errs, err)
		}
	}
	if c := sp.CookieConfig; c != nil {
		if typ != gwapiv1.CookieBasedSessionPersistence {
			errs = append(errs, fmt.Errorf("field %s: cookieConfig can only be set with type Cookie", field))
		}
		lt := lifetimeType(sp)
		switch {
		case lt != gwapiv1.PermanentCookieLifetimeType && lt != gwapiv1.SessionCookieLifetimeType:
			errs = append(errs, fmt.Errorf("field %s.cookieConfig.lifetimeType: %q is not one of Permanent, Session", field, lt))
		case lt == gwapiv1.PermanentCookieLifetimeType && sp.AbsoluteTimeout == nil:
			errs = append(errs, fmt.Errorf("field %s: AbsoluteTimeout must be specified when cookie lifetimeType is Permanent", field))
		}
	}
	return errs
}

// sessionType applies the CRD default, Cookie.
func sessionType(sp *gwapiv1.SessionPersistence) gwapiv1.SessionPersistenceType {
	if sp.Type == nil || *sp.Type == "" {
		return gwapiv1.CookieBasedSessionPersistence
	}
	return *sp.Type
}

// lifetimeType applies the CRD default, Session.
func lifetimeType(sp *gwapiv1.SessionPersistence) gwapiv1.CookieLifetimeType {
	if sp.CookieConfig == nil || sp.CookieConfig.LifetimeType == nil {
		return gwapiv1.SessionCookieLifetimeType
	}
	return *sp.CookieConfig.LifetimeType
}

// sessionNotes names what of a valid route's session persistence Envoy
// cannot do, for its Accepted message; "" when nothing.
func sessionNotes(rt *gwapiv1.HTTPRoute) string {
	var notes []string
	for i, rule := range rt.Spec.Rules {
		sp := rule.SessionPersistence
		if sp != nil && sp.AbsoluteTimeout != nil && sessionType(sp) == gwapiv1.CookieBasedSessionPersistence && lifetimeType(sp) == gwapiv1.SessionCookieLifetimeType {
			notes = append(notes, fmt.Sprintf("field spec.rules[%d].sessionPersistence.absoluteTimeout is ignored: a Session cookie has no lifetime Envoy can enforce", i))
		}
		if sp != nil && sp.AbsoluteTimeout != nil && sessionType(sp) == gwapiv1.HeaderBasedSessionPersistence {
			notes = append(notes, fmt.Sprintf("field spec.rules[%d].sessionPersistence.absoluteTimeout is ignored: Envoy cannot expire a Header session", i))
		}
	}
	return strings.Join(notes, "; ")
}

// routeSession is the session persistence of one IR route of rule i of
// rt, whose path match is p; nil without sessionPersistence.
func routeSession(rt *gwapiv1.HTTPRoute, i int, sp *gwapiv1.SessionPersistence, p ir.PathMatch) *ir.SessionPersistence {
	if sp == nil {
		return nil
	}
	s := &ir.SessionPersistence{Type: ir.SessionCookie, Name: deref(sp.SessionName)}
	if s.Name == "" {
		h := fnv.New32a()
		fmt.Fprintf(h, "%s/%s/%d", rt.Namespace, rt.Name, i)
		s.Name = fmt.Sprintf("sluice-session-%08x", h.Sum32())
	}
	if sessionType(sp) == gwapiv1.HeaderBasedSessionPersistence {
		s.Type = ir.SessionHeader
		return s
	}
	switch {
	case p.Exact != "":
		s.CookiePath = p.Exact
	case p.Prefix != "":
		s.CookiePath = p.Prefix
	default:
		s.CookiePath = "/"
	}
	if lifetimeType(sp) == gwapiv1.PermanentCookieLifetimeType {
		s.CookieTTL = irDuration(sp.AbsoluteTimeout)
	}
	return s
}
