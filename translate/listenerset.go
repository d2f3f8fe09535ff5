package translate

import (
	"fmt"
	"slices"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/load"
	"github.com/sluice-gitops/sluice/translate/status"
)

// ListenerSet (Gateway API GEP-1713; XListenerSet of the experimental
// group is read as the same): listeners that a team's namespace adds to a
// Gateway that allows it (spec.allowedListeners.namespaces.from: Same,
// All, Selector over the namespace's labels; None, the default, allows
// none).
//
// The Gateway serves the merged list: its own listeners, then those of
// its ListenerSets, oldest first, then by namespace/name. A ListenerSet
// listener is checked like a Gateway's, its certificates and allowedRoutes
// namespace Same taken from the ListenerSet's namespace (a Secret of
// another namespace needs a ReferenceGrant trusting ListenerSets, not the
// Gateway's); conflicts within one ListenerSet mark both listeners, and a
// listener that conflicts with one earlier in the merged list (the
// Gateway's, an older ListenerSet's) is Conflicted and not served, the
// earlier one keeps serving. Listener names need only be unique within
// their resource: a ListenerSet listener's xDS names carry
// listenerset/NAMESPACE/NAME/LISTENER.
//
// Routes attach to a ListenerSet by a parentRef of kind ListenerSet (or
// XListenerSet, group gateway.networking.x-k8s.io), sectionName naming one
// of its listeners; a parentRef to the Gateway attaches to the Gateway's
// own listeners only.
//
// Status: the ListenerSet has Accepted (NotAllowed, ParentNotAccepted,
// ListenersNotValid) and Programmed, and a status per listener; the
// Gateway, when it allows ListenerSets, counts those accepted in
// attachedListenerSets. Policies reach a ListenerSet's routes through its
// Gateway; a ListenerSet is not a policy target.

// Kinds of ListenerSets.
const (
	kindListenerSet  = "ListenerSet"
	kindXListenerSet = "XListenerSet"
	groupGatewayX    = "gateway.networking.x-k8s.io"
)

// listenerSetState is one ListenerSet during translation.
type listenerSetState struct {
	obj      *gwapiv1.ListenerSet
	status   *status.Object
	gateway  *gatewayState // nil when no managed Gateway took it
	accepted bool
	// listeners are its listeners as the Gateway serves them.
	listeners []*listenerState
}

func (s *listenerSetState) String() string {
	return s.obj.Kind + " " + s.obj.Namespace + "/" + s.obj.Name
}

// attachListenerSets checks the ListenerSets whose parentRef names g and
// appends the listeners of those g allows to g.listeners, in precedence
// order.
func (t *translator) attachListenerSets(g *gatewayState) {
	var sets []*gwapiv1.ListenerSet
	for _, ls := range t.res.ListenerSets {
		if ns, name, ok := listenerSetParent(ls); ok && ns == g.obj.Namespace && name == g.obj.Name {
			sets = append(sets, ls)
		}
	}
	al := g.obj.Spec.AllowedListeners
	from := gwapiv1.FromNamespaces("None")
	if al != nil && al.Namespaces != nil && al.Namespaces.From != nil {
		from = *al.Namespaces.From
	}
	if len(sets) == 0 && from == "None" {
		return
	}
	slices.SortStableFunc(sets, func(a, b *gwapiv1.ListenerSet) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	gatewayOK := conditionTrue(g.status.Conditions, status.CondAccepted)
	var attached int32
	for _, ls := range sets {
		s := &listenerSetState{obj: ls, status: t.statusOf(ls.Kind, ls.Namespace, ls.Name), gateway: g}
		t.listenerSets = append(t.listenerSets, s)
		switch {
		case !t.listenerSetAllowed(g, from, ls.Namespace):
			t.refuseListenerSet(s, status.ReasonNotAllowed, fmt.Sprintf("Gateway %s/%s does not allow ListenerSets of namespace %q (spec.allowedListeners.namespaces.from: %s)", g.obj.Namespace, g.obj.Name, ls.Namespace, from))
		case !gatewayOK:
			t.refuseListenerSet(s, status.ReasonParentNotAccepted, fmt.Sprintf("Gateway %s/%s is not accepted", g.obj.Namespace, g.obj.Name))
		default:
			t.addListenerSet(g, s)
			if s.accepted {
				attached++
			}
		}
	}
	g.status.AttachedListenerSets = &attached
}

// listenerSetParent is the Gateway a ListenerSet's parentRef names, or
// false when it names another kind.
func listenerSetParent(ls *gwapiv1.ListenerSet) (string, string, bool) {
	pr := ls.Spec.ParentRef
	if pr.Group != nil && *pr.Group != groupGateway || pr.Kind != nil && *pr.Kind != "Gateway" {
		return "", "", false
	}
	ns := ls.Namespace
	if pr.Namespace != nil && *pr.Namespace != "" {
		ns = string(*pr.Namespace)
	}
	return ns, string(pr.Name), true
}

// listenerSetAllowed applies g's allowedListeners (from) to a ListenerSet
// in namespace ns.
func (t *translator) listenerSetAllowed(g *gatewayState, from gwapiv1.FromNamespaces, ns string) bool {
	switch from {
	case gwapiv1.NamespacesFromAll:
		return true
	case gwapiv1.NamespacesFromSame:
		return ns == g.obj.Namespace
	case gwapiv1.NamespacesFromSelector:
		return t.res.namespaceSelected(g.obj.Spec.AllowedListeners.Namespaces.Selector, ns)
	}
	return false // None, and what the CRD's enum does not allow
}

// refuseListenerSet gives a ListenerSet that serves nothing its status.
func (t *translator) refuseListenerSet(s *listenerSetState, reason, msg string) {
	s.status.Conditions = append(s.status.Conditions,
		status.New(status.CondAccepted, false, reason, msg),
		status.New(status.CondProgrammed, false, reason, msg))
}

// addListenerSet checks the listeners of a ListenerSet g allows and
// appends the valid ones to g's.
func (t *translator) addListenerSet(g *gatewayState, s *listenerSetState) {
	earlier := len(g.listeners)
	for i, e := range s.obj.Spec.Listeners {
		spec := gwapiv1.Listener{Name: e.Name, Hostname: e.Hostname, Port: e.Port, Protocol: e.Protocol, TLS: e.TLS, AllowedRoutes: e.AllowedRoutes}
		l := t.checkListenerSpec(g, spec, fmt.Sprintf("spec.listeners[%d]", i), s)
		s.listeners = append(s.listeners, l)
		s.status.Listeners = append(s.status.Listeners, l.status)
	}
	markConflicts(s.listeners)
	var invalid []string
	for _, l := range s.listeners {
		if l.valid {
			markEarlierConflict(l, g.listeners[:earlier])
		}
		l.entry = l.spec.Name
		l.spec.Name = gwapiv1.SectionName("listenerset/" + s.obj.Namespace + "/" + s.obj.Name + "/" + string(l.entry))
		if !l.valid {
			invalid = append(invalid, string(l.entry))
		}
		l.status.Conditions = append(l.status.Conditions, status.New(status.CondProgrammed, l.valid, programmedReason(l.valid), ""))
	}
	switch {
	case len(invalid) == len(s.listeners):
		t.refuseListenerSet(s, status.ReasonListenersNotValid, "no listener of the ListenerSet is valid")
		return
	case len(invalid) > 0:
		msg := fmt.Sprintf("listeners %s are invalid or conflicted and not served; the others are", strings.Join(invalid, ", "))
		s.status.Conditions = append(s.status.Conditions, status.New(status.CondAccepted, true, status.ReasonListenersNotValid, msg))
	default:
		s.status.Conditions = append(s.status.Conditions, status.New(status.CondAccepted, true, status.ReasonAccepted, "ListenerSet is accepted"))
	}
	s.status.Conditions = append(s.status.Conditions, status.New(status.CondProgrammed, true, status.ReasonProgrammed, "ListenerSet is programmed"))
	s.accepted = true
	g.listeners = append(g.listeners, s.listeners...)
}

// markEarlierConflict makes l Conflicted when it conflicts with a valid
// listener of those before it in the merged list, which keeps serving.
// The message names no other user's listener.
func markEarlierConflict(l *listenerState, before []*listenerState) {
	for _, o := range before {
		if !o.valid || o.spec.Port != l.spec.Port {
			continue
		}
		reason := conflictReason(l.spec, o.spec)
		if reason == "" {
			continue
		}
		owner := "the Gateway"
		if o.set != nil {
			owner = "an older ListenerSet attached to the Gateway"
		}
		l.valid = false
		for i, c := range l.status.Conditions {
			if c.Type == status.CondConflicted {
				l.status.Conditions[i] = status.New(status.CondConflicted, true, reason,
					fmt.Sprintf("a listener of %s on port %d comes first and takes this %s listener's traffic", owner, l.spec.Port, l.spec.Protocol))
			}
		}
		return
	}
}

// orphanListenerSets gives a status to the ListenerSets no managed
// Gateway took: those whose parent does not exist, is not a Gateway, or
// is a Gateway of ours refused as a whole. Those of another controller's
// Gateway get none.
func (t *translator) orphanListenerSets() {
	taken := map[*gwapiv1.ListenerSet]bool{}
	for _, s := range t.listenerSets {
		taken[s.obj] = true
	}
	for _, ls := range t.res.ListenerSets {
		if taken[ls] {
			continue
		}
		s := &listenerSetState{obj: ls}
		ns, name, ok := listenerSetParent(ls)
		switch {
		case !ok:
			s.status = t.statusOf(ls.Kind, ls.Namespace, ls.Name)
			t.refuseListenerSet(s, status.ReasonInvalid, "field spec.parentRef: a ListenerSet's parent must be a gateway.networking.k8s.io Gateway")
		case !t.gatewayExists(ns, name):
			s.status = t.statusOf(ls.Kind, ls.Namespace, ls.Name)
			t.refuseListenerSet(s, status.ReasonParentNotAccepted, fmt.Sprintf("field spec.parentRef: Gateway %s/%s does not exist", ns, name))
		case t.status[load.Key{Kind: "Gateway", Namespace: ns, Name: name}] != nil:
			// A Gateway of ours that was refused before its listeners.
			s.status = t.statusOf(ls.Kind, ls.Namespace, ls.Name)
			t.refuseListenerSet(s, status.ReasonParentNotAccepted, fmt.Sprintf("Gateway %s/%s is not accepted", ns, name))
		}
	}
}

// gatewayExists reports whether the revision has the Gateway, managed or
// not.
func (t *translator) gatewayExists(ns, name string) bool {
	for _, gw := range t.res.Gateways {
		if gw.Namespace == ns && gw.Name == name {
			return true
		}
	}
	return false
}

// conditionTrue reports whether conds has a condition of type typ that
// is True.
func conditionTrue(conds []status.Condition, typ string) bool {
	for _, c := range conds {
		if c.Type == typ {
			return c.Status == "True"
		}
	}
	return false
}

// parentListeners resolves a route's parentRef to the listeners it may
// attach to: a Gateway's own, or those of a ListenerSet its Gateway
// accepted; with them, the Gateway, and what to call the parent in
// messages. On failure it returns the parent's Accepted condition.
func (t *translator) parentListeners(routeNS string, i int, pr gwapiv1.ParentReference) (*gatewayState, []*listenerState, string, status.Condition) {
	group, kind := groupGateway, "Gateway"
	if pr.Group != nil {
		group = string(*pr.Group)
	}
	if pr.Kind != nil {
		kind = string(*pr.Kind)
	}
	ns := routeNS
	if pr.Namespace != nil {
		ns = string(*pr.Namespace)
	}
	if group == groupGateway && kind == kindListenerSet || group == groupGatewayX && kind == kindXListenerSet {
		for _, s := range t.listenerSets {
			if s.obj.Kind != kind || s.obj.Namespace != ns || s.obj.Name != string(pr.Name) {
				continue
			}
			if !s.accepted {
				return nil, nil, "", status.New(status.CondAccepted, false, status.ReasonNoMatchingParent, fmt.Sprintf("field %s: %s is not accepted by its Gateway", parentRefField(i), s))
			}
			return s.gateway, s.listeners, s.String(), status.Condition{}
		}
		return nil, nil, "", status.New(status.CondAccepted, false, status.ReasonNoMatchingParent, fmt.Sprintf("field %s: %s %s/%s does not exist or has no Gateway managed by %s", parentRefField(i), kind, ns, pr.Name, t.opts.ControllerName))
	}
	g, fail := t.parentGateway(routeNS, i, pr)
	if g == nil {
		return nil, nil, "", fail
	}
	own := g.listeners // a ListenerSet's listeners come after the Gateway's
	for len(own) > 0 && own[len(own)-1].set != nil {
		own = own[:len(own)-1]
	}
	return g, own, "Gateway " + g.obj.Namespace + "/" + g.obj.Name, status.Condition{}
}

// sectionName is the name a route's parentRef sectionName selects l by.
func (l *listenerState) sectionName() gwapiv1.SectionName {
	if l.set != nil {
		return l.entry
	}
	return l.spec.Name
}

// namespace is the namespace allowedRoutes' Same means for l: its
// ListenerSet's or its Gateway's.
func (l *listenerState) namespace(g *gatewayState) string {
	if l.set != nil {
		return l.set.obj.Namespace
	}
	return g.obj.Namespace
}
