package status

import "fmt"

// Condition is a Gateway API status condition, without the timestamps and
// generations that only an API server can give.
type Condition struct {
	Type    string `json:"type" yaml:"type"`
	Status  string `json:"status" yaml:"status"`
	Reason  string `json:"reason" yaml:"reason"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
}

// New returns a condition of type typ whose status is "True" when ok,
// else "False".
func New(typ string, ok bool, reason, msg string) Condition {
	s := "False"
	if ok {
		s = "True"
	}
	return Condition{Type: typ, Status: s, Reason: reason, Message: msg}
}

// Location is where an object was read from.
type Location struct {
	File string `json:"file" yaml:"file"`
	Line int    `json:"line" yaml:"line"`
}

func (l Location) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", l.File, l.Line)
	}
	return l.File
}

// Object is the status of one object: its own conditions, and those of
// its listeners (a Gateway), its parents (a route) or its ancestors and
// attachments (a policy).
type Object struct {
	Kind       string      `json:"kind" yaml:"kind"`
	Namespace  string      `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Name       string      `json:"name" yaml:"name"`
	Location   Location    `json:"location" yaml:"location"`
	Conditions []Condition `json:"conditions,omitempty" yaml:"conditions,omitempty"`
	Listeners  []*Listener `json:"listeners,omitempty" yaml:"listeners,omitempty"`
	Parents    []Parent    `json:"parents,omitempty" yaml:"parents,omitempty"`
	// Ancestors is a policy's status per Gateway (or listener) it affects
	// (Gateway API's PolicyAncestorStatus).
	Ancestors []Ancestor `json:"ancestors,omitempty" yaml:"ancestors,omitempty"`
	// Attachments explain, for a policy, where it is in force on each of
	// its targets and where it lost to another policy.
	Attachments []Attachment `json:"attachments,omitempty" yaml:"attachments,omitempty"`

	// AttachedListenerSets counts, for a Gateway that allows ListenerSets,
	// those accepted.
	AttachedListenerSets *int32 `json:"attachedListenerSets,omitempty" yaml:"attachedListenerSets,omitempty"`
}

// Parent is a route's status for one of its parentRefs.
type Parent struct {
	// ParentRef prints the reference as NAMESPACE/NAME[/SECTION][:PORT].
	ParentRef  string      `json:"parentRef" yaml:"parentRef"`
	Conditions []Condition `json:"conditions" yaml:"conditions"`
}

// Listener is a Gateway listener's status.
type Listener struct {
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

// Ancestor is a policy's status for one Gateway (or listener) it
// affects, as Gateway API's PolicyAncestorStatus.
type Ancestor struct {
	// AncestorRef prints the Gateway as NAMESPACE/NAME[/LISTENER].
	AncestorRef string      `json:"ancestorRef" yaml:"ancestorRef"`
	Conditions  []Condition `json:"conditions" yaml:"conditions"`
}

// Attachment is what became of a policy on one target it names.
type Attachment struct {
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

// Rejected reports whether the object, or any of its listeners, parent
// attachments or ancestors, was not accepted or has unresolved
// references.
func (s *Object) Rejected() bool {
	if rejected(s.Conditions) {
		return true
	}
	for _, l := range s.Listeners {
		if rejected(l.Conditions) {
			return true
		}
	}
	for _, p := range s.Parents {
		if rejected(p.Conditions) {
			return true
		}
	}
	for _, a := range s.Ancestors {
		if rejected(a.Conditions) {
			return true
		}
	}
	return false
}

// rejected reports whether a condition list says not accepted,
// unresolved, not programmed or conflicted.
func rejected(cs []Condition) bool {
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
