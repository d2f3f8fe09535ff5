package translate

import (
	"fmt"
	"hash/fnv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	statefulsessionv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/stateful_session/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	cookiev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/stateful_session/cookie/v3"
	headerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/stateful_session/header/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/type/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/feature"
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

const statefulSessionName = "envoy.filters.http.stateful_session"

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

// sessionFeature is the stateful_session filter of route rules'
// sessionPersistence (a feature.Feature).
type sessionFeature struct{ feature.Base }

// HTTPFilters is the listener's stateful_session filter, if one of its
// routes keeps sessions: disabled, with no session state of its own;
// routes enable it (Route).
func (sessionFeature) HTTPFilters(l *ir.Listener) []*hcmv3.HttpFilter {
	for _, vh := range l.VirtualHosts {
		for _, r := range vh.Routes {
			if r.Session != nil {
				return []*hcmv3.HttpFilter{{
					Name:       statefulSessionName,
					Disabled:   true,
					ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&statefulsessionv3.StatefulSession{})},
				}}
			}
		}
	}
	return nil
}

// Route enables the filter on a route that keeps sessions, with its
// cookie or header.
func (sessionFeature) Route(out *routev3.Route, r *ir.Route) {
	if r.Session != nil {
		feature.SetFilterConfig(out, statefulSessionName, sessionPerRoute(r.Session))
	}
}

// sessionPerRoute enables the filter on one route with its cookie or
// header.
func sessionPerRoute(s *ir.SessionPersistence) *anypb.Any {
	var state *corev3.TypedExtensionConfig
	if s.Type == ir.SessionHeader {
		state = &corev3.TypedExtensionConfig{
			Name:        "envoy.http.stateful_session.header",
			TypedConfig: mustAny(&headerv3.HeaderBasedSessionState{Name: s.Name}),
		}
	} else {
		c := &httpv3.Cookie{Name: s.Name, Path: s.CookiePath}
		if s.CookieTTL != nil {
			c.Ttl = durationpb.New(s.CookieTTL.Std())
		}
		state = &corev3.TypedExtensionConfig{
			Name:        "envoy.http.stateful_session.cookie",
			TypedConfig: mustAny(&cookiev3.CookieBasedSessionState{Cookie: c}),
		}
	}
	return mustAny(&statefulsessionv3.StatefulSessionPerRoute{
		Override: &statefulsessionv3.StatefulSessionPerRoute_StatefulSession{
			StatefulSession: &statefulsessionv3.StatefulSession{SessionState: state},
		},
	})
}
