package translate

import (
	"maps"
	"slices"
	"strings"
)

// Condition is a Gateway API status condition, without the timestamps and
// generations that only an API server can give.
type Condition struct {
	Type    string `json:"type" yaml:"type"`
	Status  string `json:"status" yaml:"status"`
	Reason  string `json:"reason" yaml:"reason"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
}

// ParentStatus is a route's status for one of its parentRefs.
type ParentStatus struct {
	// ParentRef prints the reference as NAMESPACE/NAME[/SECTION][:PORT].
	ParentRef  string      `json:"parentRef" yaml:"parentRef"`
	Conditions []Condition `json:"conditions" yaml:"conditions"`
}

// ListenerStatus is a Gateway listener's status.
type ListenerStatus struct {
	Name string `json:"name" yaml:"name"`
	// SupportedKinds are the route kinds the listener takes: those of its
	// protocol that allowedRoutes.kinds names, or all of them.
	SupportedKinds []RouteGroupKind `json:"supportedKinds" yaml:"supportedKinds"`
	AttachedRoutes int32            `json:"attachedRoutes" yaml:"attachedRoutes"`
	Conditions     []Condition      `json:"conditions" yaml:"conditions"`
}

// RouteGroupKind names a route kind.
type RouteGroupKind struct {
	Group string `json:"group" yaml:"group"`
	Kind  string `json:"kind" yaml:"kind"`
}

// ObjectStatus is the status translate gives one object.
type ObjectStatus struct {
	Kind       string            `json:"kind" yaml:"kind"`
	Namespace  string            `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Name       string            `json:"name" yaml:"name"`
	Location   Location          `json:"location" yaml:"location"`
	Conditions []Condition       `json:"conditions,omitempty" yaml:"conditions,omitempty"`
	Listeners  []*ListenerStatus `json:"listeners,omitempty" yaml:"listeners,omitempty"`
	Parents    []ParentStatus    `json:"parents,omitempty" yaml:"parents,omitempty"`
	// Ancestors is a policy's status per Gateway (or listener) it affects
	// (Gateway API's PolicyAncestorStatus).
	Ancestors []AncestorStatus `json:"ancestors,omitempty" yaml:"ancestors,omitempty"`
	// Attachments explain, for a policy, where it is in force on each of
	// its targets and where it lost to another policy.
	Attachments []PolicyAttachment `json:"attachments,omitempty" yaml:"attachments,omitempty"`
}

// PolicyAttachment is what became of a policy on one target it names.
type PolicyAttachment struct {
	Target string `json:"target" yaml:"target"`
	// InForce are the routes (or, for a ClientTrafficPolicy, listeners)
	// the policy is in force on through the target.
	InForce []string `json:"inForce,omitempty" yaml:"inForce,omitempty"`
	// Overridden are those where a more specific policy is in force,
	// each naming it.
	Overridden []string `json:"overridden,omitempty" yaml:"overridden,omitempty"`
	// LostTo names the policy that holds the whole target instead.
	LostTo string `json:"lostTo,omitempty" yaml:"lostTo,omitempty"`
}

// AncestorStatus is a policy's status for one ancestor.
type AncestorStatus struct {
	// AncestorRef prints the Gateway as NAMESPACE/NAME[/LISTENER].
	AncestorRef string      `json:"ancestorRef" yaml:"ancestorRef"`
	Conditions  []Condition `json:"conditions" yaml:"conditions"`
}

// Rejected reports whether the object, or any of its listeners or parent
// attachments, was not accepted or has unresolved references.
func (s *ObjectStatus) Rejected() bool {
	bad := func(cs []Condition) bool {
		for _, c := range cs {
			switch c.Type {
			case CondAccepted, CondResolvedRefs, CondProgrammed:
				if c.Status != "True" {
					return true
				}
			case CondConflicted:
				if c.Status == "True" {
					return true
				}
			}
		}
		return false
	}
	if bad(s.Conditions) {
		return true
	}
	for _, l := range s.Listeners {
		if bad(l.Conditions) {
			return true
		}
	}
	for _, p := range s.Parents {
		if bad(p.Conditions) {
			return true
		}
	}
	for _, a := range s.Ancestors {
		if bad(a.Conditions) {
			return true
		}
	}
	return false
}

// Condition types and reasons of Gateway API.
const (
	CondAccepted     = "Accepted"
	CondResolvedRefs = "ResolvedRefs"
	CondProgrammed   = "Programmed"
	CondConflicted   = "Conflicted"

	ReasonAccepted                = "Accepted"
	ReasonProgrammed              = "Programmed"
	ReasonResolvedRefs            = "ResolvedRefs"
	ReasonInvalid                 = "Invalid"
	ReasonInvalidParameters       = "InvalidParameters"
	ReasonNoConflicts             = "NoConflicts"
	ReasonProtocolConflict        = "ProtocolConflict"
	ReasonHostnameConflict        = "HostnameConflict"
	ReasonUnsupportedProtocol     = "UnsupportedProtocol"
	ReasonInvalidRouteKinds       = "InvalidRouteKinds"
	ReasonListenersNotValid       = "ListenersNotValid"
	ReasonNoMatchingParent        = "NoMatchingParent"
	ReasonNotAllowedByListeners   = "NotAllowedByListeners"
	ReasonNoMatchingListenerHost  = "NoMatchingListenerHostname"
	ReasonUnsupportedValue        = "UnsupportedValue"
	ReasonBackendNotFound         = "BackendNotFound"
	ReasonInvalidKind             = "InvalidKind"
	ReasonRefNotPermitted         = "RefNotPermitted"
	ReasonUnsupportedGatewayClass = "InvalidGatewayClass"
)

func cond(typ string, ok bool, reason, msg string) Condition {
	s := "False"
	if ok {
		s = "True"
	}
	return Condition{Type: typ, Status: s, Reason: reason, Message: msg}
}

// sortStatus returns statuses ordered by kind, namespace, name. They are
// distinct by kind, namespace and name (translator.status is keyed by
// objKey), so an unstable sort gives the one order. They are sorted
// kind by kind: objects of one kind come mostly in order already (routes
// are processed in order, their Backends as they refer to them), which
// the sort is quick to see, and comparisons skip the kind.
func sortStatus(list []*ObjectStatus) []*ObjectStatus {
	if len(list) == 0 {
		return nil
	}
	byKind := map[string][]*ObjectStatus{}
	for _, s := range list {
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	out := make([]*ObjectStatus, 0, len(list))
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		l := byKind[kind]
		slices.SortFunc(l, func(a, b *ObjectStatus) int {
			if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		out = append(out, l...)
	}
	return out
}
