package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	statefulsessionv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/stateful_session/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	cookiev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/stateful_session/cookie/v3"
	headerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/stateful_session/header/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/type/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sluice-gitops/sluice/translate/feature"
	"github.com/sluice-gitops/sluice/translate/ir"
)

const statefulSessionName = "envoy.filters.http.stateful_session"

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
