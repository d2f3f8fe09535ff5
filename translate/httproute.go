package translate

import (
	"fmt"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// attachedRoute is an HTTPRoute attached to one listener, with the
// hostnames it serves there.
type attachedRoute struct {
	route     *gwapiv1.HTTPRoute
	hostnames []string
	rules     []ruleBackends
}

// ruleBackends are the resolved backends of one rule.
type ruleBackends struct {
	backends []ir.WeightedBackend
	clusters []*ir.Cluster // of the backends and the mirrors
	filters  ruleFilters
}

// httpRouteRules returns a route's rules with the CRD default applied: a
// route without rules has one rule that matches PathPrefix "/" and, having
// no backendRefs, answers 500.
func httpRouteRules(rt *gwapiv1.HTTPRoute) []gwapiv1.HTTPRouteRule {
	if len(rt.Spec.Rules) == 0 {
		return []gwapiv1.HTTPRouteRule{{}}
	}
	return rt.Spec.Rules
}

// processHTTPRoutes resolves each route's backends once, then attaches the
// route to the listeners its parentRefs select.
func (t *translator) processHTTPRoutes() {
	for _, rt := range t.res.HTTPRoutes {
		s := t.statusOf("HTTPRoute", rt.Namespace, rt.Name)
		if err := validateHTTPRoute(rt); err != nil {
			msg := strings.ReplaceAll(err.Error(), "\n", "; ")
			for _, pr := range rt.Spec.ParentRefs {
				s.Parents = append(s.Parents, ParentStatus{
					ParentRef:  parentRefString(rt.Namespace, pr),
					Conditions: []Condition{cond(CondAccepted, false, ReasonUnsupportedValue, msg)},
				})
			}
			continue
		}
		rules, resolved := t.resolveRules(rt)
		for i, pr := range rt.Spec.ParentRefs {
			ps := ParentStatus{ParentRef: parentRefString(rt.Namespace, pr)}
			ps.Conditions = append(ps.Conditions, t.attach(rt, i, pr, rules), resolved)
			s.Parents = append(s.Parents, ps)
		}
		if len(rt.Spec.ParentRefs) == 0 {
			loc := t.res.Where("HTTPRoute", rt.Namespace, rt.Name)
			t.warnings = append(t.warnings, fmt.Sprintf("%s: HTTPRoute %s/%s: field spec.parentRefs is empty; the route is attached to nothing", loc, rt.Namespace, rt.Name))
		}
	}
}

func parentRefString(routeNS string, pr gwapiv1.ParentReference) string {
	ns := routeNS
	if pr.Namespace != nil {
		ns = string(*pr.Namespace)
	}
	s := ns + "/" + string(pr.Name)
	if pr.SectionName != nil {
		s += "/" + string(*pr.SectionName)
	}
	if pr.Port != nil {
		s += fmt.Sprintf(":%d", *pr.Port)
	}
	return s
}

// attach binds a route to the listeners one parentRef selects and returns
// the parent's Accepted condition.
func (t *translator) attach(rt *gwapiv1.HTTPRoute, i int, pr gwapiv1.ParentReference, rules []ruleBackends) Condition {
	field := fmt.Sprintf("spec.parentRefs[%d]", i)
	group, kind := groupGateway, "Gateway"
	if pr.Group != nil {
		group = string(*pr.Group)
	}
	if pr.Kind != nil {
		kind = string(*pr.Kind)
	}
	if group != groupGateway || kind != "Gateway" {
		return cond(CondAccepted, false, ReasonNoMatchingParent, fmt.Sprintf("field %s: parent kind %s/%s is not supported; use Gateway", field, group, kind))
	}
	ns := rt.Namespace
	if pr.Namespace != nil {
		ns = string(*pr.Namespace)
	}
	var g *gatewayState
	for _, cand := range t.gateways {
		if cand.obj.Namespace == ns && cand.obj.Name == string(pr.Name) {
			g = cand
		}
	}
	if g == nil {
		return cond(CondAccepted, false, ReasonNoMatchingParent, fmt.Sprintf("field %s: Gateway %s/%s does not exist or is not managed by %s", field, ns, pr.Name, t.opts.ControllerName))
	}
	var matched, allowed, attached int
	for _, l := range g.listeners {
		if pr.SectionName != nil && *pr.SectionName != l.spec.Name {
			continue
		}
		if pr.Port != nil && *pr.Port != l.spec.Port {
			continue
		}
		matched++
		if !l.valid || !l.allowsKind("HTTPRoute") || !t.routeAllowed(g.obj, l.spec, rt) {
			continue
		}
		allowed++
		hosts := intersectHostnames(hostnameOf(l.spec.Hostname), rt.Spec.Hostnames)
		if len(hosts) == 0 {
			continue
		}
		attached++
		if !l.hasRoute(rt) { // two parentRefs may select one listener
			l.status.AttachedRoutes++
			l.routes = append(l.routes, &attachedRoute{route: rt, hostnames: hosts, rules: rules})
		}
	}
	switch {
	case matched == 0:
		return cond(CondAccepted, false, ReasonNoMatchingParent, fmt.Sprintf("field %s: Gateway %s/%s has no listener that matches sectionName and port", field, ns, pr.Name))
	case allowed == 0:
		return cond(CondAccepted, false, ReasonNotAllowedByListeners, fmt.Sprintf("field %s: no valid listener of Gateway %s/%s allows this route (allowedRoutes)", field, ns, pr.Name))
	case attached == 0:
		return cond(CondAccepted, false, ReasonNoMatchingListenerHost, fmt.Sprintf("field spec.hostnames: no hostname intersects the listeners of Gateway %s/%s", ns, pr.Name))
	}
	return cond(CondAccepted, true, ReasonAccepted, "Route is accepted")
}

// routeAllowed applies a listener's allowedRoutes to a route: namespaces
// (Same by default, All, or Selector over the labels of the route's
// namespace, see namespaces.go) and kinds.
func (t *translator) routeAllowed(gw *gwapiv1.Gateway, l gwapiv1.Listener, rt *gwapiv1.HTTPRoute) bool {
	from := gwapiv1.NamespacesFromSame
	if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil && l.AllowedRoutes.Namespaces.From != nil {
		from = *l.AllowedRoutes.Namespaces.From
	}
	switch from {
	case gwapiv1.NamespacesFromAll:
		return true
	case gwapiv1.NamespacesFromSame:
		return rt.Namespace == gw.Namespace
	case gwapiv1.NamespacesFromSelector:
		return t.res.namespaceSelected(l.AllowedRoutes.Namespaces.Selector, rt.Namespace)
	default:
		return false // the CRD enum allows nothing else
	}
}

// intersectHostnames returns the hostnames a route serves on a listener, as
// Gateway API defines the intersection. An empty result means none.
func intersectHostnames(listener string, route []gwapiv1.Hostname) []string {
	if len(route) == 0 {
		if listener == "" {
			return []string{"*"}
		}
		return []string{listener}
	}
	var out []string
	seen := map[string]bool{}
	for _, rh := range route {
		h := string(rh)
		var got string
		switch {
		case listener == "":
			got = h
		case h == listener:
			got = h
		case strings.HasPrefix(listener, "*.") && wildcardMatches(listener, h):
			got = h
		case strings.HasPrefix(h, "*.") && wildcardMatches(h, listener):
			got = listener
		}
		if got != "" && !seen[got] {
			seen[got] = true
			out = append(out, got)
		}
	}
	return out
}

// wildcardMatches reports whether "*.suffix" covers host (one or more labels
// in place of the star). host may itself be a narrower wildcard.
func wildcardMatches(wildcard, host string) bool {
	suffix := wildcard[1:] // ".example.com"
	h := strings.TrimPrefix(host, "*")
	return strings.HasSuffix(h, suffix) && len(h) > len(suffix)
}

func (l *listenerState) hasRoute(rt *gwapiv1.HTTPRoute) bool {
	for _, ar := range l.routes {
		if ar.route == rt {
			return true
		}
	}
	return false
}
