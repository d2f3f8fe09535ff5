package translate

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// attachedRoute is an HTTPRoute or GRPCRoute attached to one listener,
// with the hostnames it serves there.
type attachedRoute struct {
	kind      string             // HTTPRoute or GRPCRoute
	route     *gwapiv1.HTTPRoute // a GRPCRoute as translated (grpcroute.go)
	grpc      *gwapiv1.GRPCRoute // the GRPCRoute itself, or nil
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

// httpLikeRoutes returns the HTTPRoutes and GRPCRoutes of the revision,
// oldest first, then by namespace/name, each GRPCRoute with the HTTPRoute
// it translates to and its schema errors. The order matters to the
// GRPCRoute spec's rule for an HTTPRoute and a GRPCRoute that share a
// hostname on a listener: the older is accepted (see attach).
func (t *translator) httpLikeRoutes() []*attachedRoute {
	all := make([]attachedRoute, 0, len(t.res.HTTPRoutes)+len(t.res.GRPCRoutes)) // one allocation
	for _, rt := range t.res.HTTPRoutes {
		all = append(all, attachedRoute{kind: "HTTPRoute", route: rt})
	}
	for _, gr := range t.res.GRPCRoutes {
		all = append(all, attachedRoute{kind: "GRPCRoute", route: grpcAsHTTPRoute(gr), grpc: gr})
	}
	out := make([]*attachedRoute, len(all))
	for i := range all {
		out[i] = &all[i]
	}
	if len(t.res.GRPCRoutes) == 0 {
		return out // the order only matters between the two kinds
	}
	created := make(map[*attachedRoute]time.Time, len(out))
	for _, ar := range out {
		created[ar] = ar.route.CreationTimestamp.Time
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ca, cb := created[a], created[b]; !ca.Equal(cb) {
			return ca.Before(cb)
		}
		if a.route.Namespace != b.route.Namespace {
			return a.route.Namespace < b.route.Namespace
		}
		if a.route.Name != b.route.Name {
			return a.route.Name < b.route.Name
		}
		return a.kind < b.kind
	})
	return out
}

// processHTTPRoutes resolves each HTTPRoute's and GRPCRoute's backends
// once, then attaches the route to the listeners its parentRefs select.
func (t *translator) processHTTPRoutes() {
	for _, src := range t.httpLikeRoutes() {
		rt := src.route
		s := t.statusOf(src.kind, rt.Namespace, rt.Name)
		var err error
		if src.grpc != nil {
			err = validateGRPCRoute(src.grpc, rt, t.opts.RegexProgramSize)
		} else {
			err = t.memo.validateHTTPRoute(rt, t.opts.RegexProgramSize)
		}
		if err != nil {
			msg := strings.ReplaceAll(err.Error(), "\n", "; ")
			resolved := t.rejectedRefs(src.kind, rt)
			for _, pr := range rt.Spec.ParentRefs {
				s.Parents = append(s.Parents, status.Parent{
					ParentRef:  parentRefString(rt.Namespace, pr),
					Conditions: []status.Condition{status.New(status.CondAccepted, false, status.ReasonUnsupportedValue, msg), resolved},
				})
			}
			continue
		}
		var rules []ruleBackends
		var resolved status.Condition
		if src.grpc != nil {
			rules, resolved = t.resolveRules(src.kind, rt)
			http2Clusters(rules)
		} else {
			rules, resolved = t.resolveHTTPRules(rt)
		}
		src.rules = rules
		// The parents the last translation gave the same route, while
		// each is as it was: the references print the same.
		last := t.memo.lastParents(src)
		same := len(last) > 0 && len(last) == len(rt.Spec.ParentRefs) && len(s.Parents) == 0
		for i, pr := range rt.Spec.ParentRefs {
			accepted := t.attach(src, i, pr)
			if note := sessionNotes(rt); note != "" && accepted.Status == "True" {
				accepted.Message += "; " + note
			}
			if same {
				if c := last[i].Conditions; len(c) == 2 && c[0] == accepted && c[1] == resolved {
					continue
				}
				same = false
				s.Parents = append(s.Parents, last[:i]...)
			}
			ps := status.Parent{ParentRef: parentRefString(rt.Namespace, pr)}
			ps.Conditions = append(ps.Conditions, accepted, resolved)
			s.Parents = append(s.Parents, ps)
		}
		if same {
			s.Parents = last
		}
		t.memo.keepParents(src, s.Parents)
		if len(rt.Spec.ParentRefs) == 0 {
			loc := t.res.Where(src.kind, rt.Namespace, rt.Name)
			t.warnings = append(t.warnings, fmt.Sprintf("%s: %s %s/%s: field spec.parentRefs is empty; the route is attached to nothing", loc, src.kind, rt.Namespace, rt.Name))
		}
	}
}

// rejectedRefs is the ResolvedRefs condition of a route that its schema
// rejects: whether its backendRefs resolve (Gateway API wants both
// conditions on every parent; Envoy Gateway reports them so).
func (t *translator) rejectedRefs(kind string, rt *gwapiv1.HTTPRoute) status.Condition {
	var probs refProblems
	for i, rule := range rt.Spec.Rules {
		for j, ref := range rule.BackendRefs {
			field := "spec.rules[" + strconv.Itoa(i) + "].backendRefs[" + strconv.Itoa(j) + "]"
			if _, why, msg := t.resolveBackendFrom(kind, rt.Namespace, ref.BackendObjectReference, field); why != "" {
				probs.add(why, msg)
			}
		}
	}
	return probs.condition()
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
// the parent's Accepted condition. Routes come oldest first: on a listener
// where an HTTPRoute and a GRPCRoute have a hostname in common, the one
// attached first wins and the other is not accepted there, as the
// GRPCRoute spec asks.
func (t *translator) attach(src *attachedRoute, i int, pr gwapiv1.ParentReference) status.Condition {
	rt := src.route
	g, listeners, parent, fail := t.parentListeners(rt.Namespace, i, pr) // listenerset.go
	if g == nil {
		return fail
	}
	var matched, ready, allowed, attached int
	var conflicts []string
	for _, l := range listeners {
		if pr.SectionName != nil && *pr.SectionName != l.sectionName() {
			continue
		}
		if pr.Port != nil && *pr.Port != l.spec.Port {
			continue
		}
		matched++
		if !l.allowsKind(src.kind) || !t.routeAllowed(l.namespace(g), l.spec, rt) {
			continue
		}
		allowed++
		if !l.valid {
			continue
		}
		ready++
		hosts := intersectHostnames(hostnameOf(l.spec.Hostname), rt.Spec.Hostnames)
		if len(hosts) == 0 {
			continue
		}
		if other := l.otherKindRoute(src, hosts); other != nil {
			conflicts = append(conflicts, fmt.Sprintf("listener %s serves %s %s/%s", l.sectionName(), other.kind, other.route.Namespace, other.route.Name))
			continue
		}
		attached++
		if !l.hasRoute(rt) { // two parentRefs may select one listener
			l.status.AttachedRoutes++
			ar := *src
			ar.hostnames = hosts
			l.routes = append(l.routes, &ar)
			if l.byKind == nil {
				l.byKind = map[string]int{}
			}
			l.byKind[ar.kind]++
		}
	}
	switch {
	case matched == 0:
		return status.New(status.CondAccepted, false, status.ReasonNoMatchingParent, fmt.Sprintf("field %s: %s has no listener that matches sectionName and port", parentRefField(i), parent))
	case allowed == 0:
		return status.New(status.CondAccepted, false, status.ReasonNotAllowedByListeners, fmt.Sprintf("field %s: no listener of %s allows this route (allowedRoutes)", parentRefField(i), parent))
	case ready == 0:
		return noReadyListeners(parentRefField(i), parent)
	case attached == 0 && len(conflicts) > 0:
		return status.New(status.CondAccepted, false, status.ReasonHostnameConflict, fmt.Sprintf("field spec.hostnames: %s, older, for a hostname in common; an HTTPRoute and a GRPCRoute cannot share a hostname on a listener", strings.Join(conflicts, "; ")))
	case attached == 0:
		return status.New(status.CondAccepted, false, status.ReasonNoMatchingListenerHost, fmt.Sprintf("field spec.hostnames: no hostname intersects the listeners of %s", parent))
	}
	return status.New(status.CondAccepted, true, status.ReasonAccepted, "Route is accepted")
}

// noReadyListeners is the Accepted condition of a parentRef whose
// listeners (those its sectionName and port select) allow the route but
// are all invalid, with Envoy Gateway's reason. As in Envoy Gateway,
// allowedRoutes is checked first: NotAllowedByListeners wins.
func noReadyListeners(field, parent string) status.Condition {
	return status.New(status.CondAccepted, false, status.ReasonNoReadyListeners, fmt.Sprintf("field %s: no listener of %s that it selects is valid (see the %s's listener conditions)", field, parent, strings.Fields(parent)[0]))
}

// otherKindRoute returns a route of the other kind (HTTPRoute or
// GRPCRoute) attached to the listener with a hostname in common with
// hosts, or nil.
func (l *listenerState) otherKindRoute(src *attachedRoute, hosts []string) *attachedRoute {
	if l.byKind[src.kind] == len(l.routes) {
		return nil // no route of another kind
	}
	for _, ar := range l.routes {
		if ar.kind != src.kind && hostsOverlap(ar.hostnames, hosts) {
			return ar
		}
	}
	return nil
}

// hostsOverlap reports whether some request host matches a hostname of
// both lists ("*" matches any; "*.x" any name under x).
func hostsOverlap(a, b []string) bool {
	covers := func(w, h string) bool { return strings.HasPrefix(w, "*.") && wildcardMatches(w, h) }
	for _, x := range a {
		for _, y := range b {
			if x == y || x == "*" || y == "*" || covers(x, y) || covers(y, x) {
				return true
			}
		}
	}
	return false
}

// routeAllowed applies a listener's allowedRoutes to a route: namespaces
// (Same by default: listenerNS, that of the listener's Gateway or
// ListenerSet; All; or Selector over the labels of the route's namespace,
// see namespaces.go) and kinds.
func (t *translator) routeAllowed(listenerNS string, l gwapiv1.Listener, rt *gwapiv1.HTTPRoute) bool {
	from := gwapiv1.NamespacesFromSame
	if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil && l.AllowedRoutes.Namespaces.From != nil {
		from = *l.AllowedRoutes.Namespaces.From
	}
	switch from {
	case gwapiv1.NamespacesFromAll:
		return true
	case gwapiv1.NamespacesFromSame:
		return rt.Namespace == listenerNS
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
		if got != "" && !slices.Contains(out, got) { // routes have few hostnames
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

// hasRoute reports whether rt is attached to l already. Routes attach one
// after the other, so only the last one can be rt (a scan of every route
// made attaching quadratic).
func (l *listenerState) hasRoute(rt *gwapiv1.HTTPRoute) bool {
	n := len(l.routes)
	return n > 0 && l.routes[n-1].route == rt
}
