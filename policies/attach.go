package policies

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/status"
)

// Policy attachment, the same for every policy kind (Gateway API's
// policy attachment as Envoy Gateway implements it):
//
//   - targetRef, targetRefs and targetSelectors name Gateways, Gateway
//     listeners (sectionName) and routes of the policy's own namespace:
//     HTTPRoutes and GRPCRoutes, or the route kinds the policy names
//     (Policy.RouteKinds; BackendTrafficPolicy adds TCPRoute, TLSRoute
//     and UDPRoute); a targetRef to a missing object is TargetNotFound,
//     to a missing listener of a Gateway Invalid, naming the field. Selectors match labels and may select nothing.
//   - Two policies of one kind on the same target: the older one
//     (creationTimestamp, then namespace/name) wins, the other is
//     Accepted=False, reason Conflicted, for that target.
//   - For a route reached through a Gateway listener, a policy on the
//     route beats one on the listener, which beats one on the Gateway: the
//     less specific policy is Overridden for that route.

// Target kinds.
const (
	KindGateway   = "Gateway"
	KindHTTPRoute = "HTTPRoute"
	KindGRPCRoute = "GRPCRoute"
	KindTCPRoute  = "TCPRoute"
	KindTLSRoute  = "TLSRoute"
	KindUDPRoute  = "UDPRoute"
)

// HTTPRouteKinds are the route kinds a policy targets unless it says
// otherwise; L4RouteKinds adds the TCP, TLS and UDP routes.
var (
	HTTPRouteKinds = []string{KindHTTPRoute, KindGRPCRoute}
	L4RouteKinds   = []string{KindHTTPRoute, KindGRPCRoute, KindTCPRoute, KindUDPRoute, KindTLSRoute}
)

// Ref names a target: a Gateway (with SectionName, one of its listeners)
// or a route.
type Ref struct {
	Kind, Namespace, Name, SectionName string
}

func (r Ref) String() string {
	s := r.Kind + " " + r.Namespace + "/" + r.Name
	if r.SectionName != "" {
		s += " listener " + r.SectionName
	}
	return s
}

// Gateway is a Gateway policies can target.
type Gateway struct {
	Namespace, Name string
	Labels          map[string]string
	Listeners       []string
	// Ports are the listeners' ports: Ports[i] is Listeners[i]'s.
	Ports []uint32
}

// Parent is a Gateway listener a route is attached through.
type Parent struct {
	Namespace, Name, Listener string
}

// Route is a route policies can target: an HTTPRoute, GRPCRoute,
// TCPRoute, TLSRoute or UDPRoute.
type Route struct {
	Kind, Namespace, Name string
	Labels                map[string]string
	// Parents are the Gateway listeners the route is attached through.
	Parents []Parent
}

// Targets are the objects policies can attach to.
type Targets struct {
	Gateways []Gateway
	Routes   []Route
}

// Policy is one policy object, as attachment sees it.
type Policy struct {
	Kind, Namespace, Name string
	Created               time.Time
	Targets               egv1a1.PolicyTargetReferences
	// RouteKinds are the route kinds the policy may target, in the order
	// messages list them; nil means HTTPRouteKinds.
	RouteKinds []string
}

func (p Policy) key() string { return p.Namespace + "/" + p.Name }

// routeKinds are the route kinds p may target.
func (p Policy) routeKinds() []string {
	if p.RouteKinds == nil {
		return HTTPRouteKinds
	}
	return p.RouteKinds
}

// older orders policies: the older wins a conflict.
func older(a, b Policy) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.Before(b.Created)
	}
	return a.key() < b.key()
}

// Attachments is the outcome of attaching policies of one kind.
type Attachments struct {
	policies []Policy
	targets  Targets
	// refs are the targets of each policy that exist, in spec order.
	refs [][]Ref
	// problems are each policy's targetRefs that name no target.
	problems [][]status.Condition
	// winner is the policy in force on each target.
	winner map[Ref]int
	// overriddenBy lists, per policy and target, the routes where a more
	// specific policy won, naming it; inForce the routes where the policy
	// is the one in force through that target.
	overriddenBy []map[Ref][]string
	inForce      []map[Ref][]string
}

// Attach resolves the targets of policies of one kind.
func Attach(policies []Policy, targets Targets) *Attachments {
	a := &Attachments{
		policies:     policies,
		targets:      targets,
		refs:         make([][]Ref, len(policies)),
		problems:     make([][]status.Condition, len(policies)),
		winner:       map[Ref]int{},
		overriddenBy: make([]map[Ref][]string, len(policies)),
		inForce:      make([]map[Ref][]string, len(policies)),
	}
	for i, p := range policies {
		a.refs[i], a.problems[i] = a.resolve(p)
		for _, r := range a.refs[i] {
			if w, ok := a.winner[r]; !ok || older(p, policies[w]) {
				a.winner[r] = i
			}
		}
	}
	for _, rt := range targets.Routes {
		for _, pa := range rt.Parents {
			chain := a.candidates(rt, pa)
			if chain[0].policy < 0 {
				continue
			}
			// Made for every route on every translation: concatenation is
			// cheaper than fmt.
			route := rt.Kind + " " + rt.Namespace + "/" + rt.Name + " on listener " + pa.Listener
			win := chain[0]
			addNote(a.inForce, win.policy, win.ref, route)
			for _, c := range chain[1:] {
				if c.policy != win.policy {
					addNote(a.overriddenBy, c.policy, c.ref, fmt.Sprintf("%s (by %s %s on %s)",
						route, policies[win.policy].Kind, policies[win.policy].key(), win.ref))
				}
			}
		}
	}
	return a
}

// addNote appends note to notes[policy][ref].
func addNote(notes []map[Ref][]string, policy int, ref Ref, note string) {
	if notes[policy] == nil {
		notes[policy] = map[Ref][]string{}
	}
	notes[policy][ref] = append(notes[policy][ref], note)
}

type candidate struct {
	ref    Ref
	policy int
}

// candidates are the policies on a route, its listener and its Gateway,
// most specific first.
func (a *Attachments) candidates(rt Route, pa Parent) []candidate {
	var out []candidate
	for _, r := range []Ref{
		{Kind: rt.Kind, Namespace: rt.Namespace, Name: rt.Name},
		{Kind: KindGateway, Namespace: pa.Namespace, Name: pa.Name, SectionName: pa.Listener},
		{Kind: KindGateway, Namespace: pa.Namespace, Name: pa.Name},
	} {
		if w, ok := a.winner[r]; ok {
			out = append(out, candidate{r, w})
		}
	}
	if len(out) == 0 {
		return []candidate{{policy: -1}}
	}
	return out
}

// Effective returns the index (in the slice given to Attach) of the
// policy in force on route kind/namespace/name reached through listener
// pa, or -1.
func (a *Attachments) Effective(kind, namespace, name string, pa Parent) int {
	// candidates(...)[0], without building the list: translate asks for
	// every route.
	for _, r := range [...]Ref{
		{Kind: kind, Namespace: namespace, Name: name},
		{Kind: KindGateway, Namespace: pa.Namespace, Name: pa.Name, SectionName: pa.Listener},
		{Kind: KindGateway, Namespace: pa.Namespace, Name: pa.Name},
	} {
		if w, ok := a.winner[r]; ok {
			return w
		}
	}
	return -1
}

// resolve returns the existing targets of a policy and a condition for
// each reference that names none.
func (a *Attachments) resolve(p Policy) ([]Ref, []status.Condition) {
	var refs []Ref
	var problems []status.Condition
	pt := p.Targets
	if (pt.TargetRef == nil) == (len(pt.TargetRefs) == 0) && len(pt.TargetSelectors) == 0 {
		// The CRD's rule: exactly one of targetRef and targetRefs, or
		// selectors.
		return nil, []status.Condition{{Type: status.CondAccepted, Status: "False", Reason: status.ReasonInvalid,
			Message: "field spec.targetRefs: either targetRef or targetRefs must be used"}}
	}
	seen := map[Ref]bool{}
	add := func(r Ref) {
		if !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	check := func(field string, tr gwapiv1.LocalPolicyTargetReferenceWithSectionName) {
		r := Ref{Kind: string(tr.Kind), Namespace: p.Namespace, Name: string(tr.Name)}
		if tr.SectionName != nil {
			r.SectionName = string(*tr.SectionName)
		}
		if reason, msg := a.missing(field, string(tr.Group), r, p.routeKinds()); msg != "" {
			problems = append(problems, status.Condition{Type: status.CondAccepted, Status: "False", Reason: reason, Message: msg})
			return
		}
		add(r)
	}
	if p.Targets.TargetRef != nil {
		check("spec.targetRef", *p.Targets.TargetRef)
	}
	for i, tr := range p.Targets.TargetRefs {
		check(fmt.Sprintf("spec.targetRefs[%d]", i), tr)
	}
	for i, s := range p.Targets.TargetSelectors {
		sel, err := selector(s, p.routeKinds())
		if err != nil {
			problems = append(problems, status.Condition{Type: status.CondAccepted, Status: "False", Reason: status.ReasonInvalid,
				Message: fmt.Sprintf("field spec.targetSelectors[%d]: %v", i, err)})
			continue
		}
		for _, r := range a.selected(string(s.Kind), p.Namespace, sel) {
			add(r)
		}
	}
	return refs, problems
}

// missing says why a targetRef names no target, with the reason, or
// "" when it does; kinds are the route kinds the policy may target.
func (a *Attachments) missing(field, group string, r Ref, kinds []string) (string, string) {
	if group != gwapiv1.GroupName {
		return status.ReasonInvalid, fmt.Sprintf("field %s.group: %q is not %s", field, group, gwapiv1.GroupName)
	}
	switch {
	case r.Kind == KindGateway:
		for _, g := range a.targets.Gateways {
			if g.Namespace != r.Namespace || g.Name != r.Name {
				continue
			}
			if r.SectionName == "" || slices.Contains(g.Listeners, r.SectionName) {
				return "", ""
			}
			// The Gateway exists: the reference is invalid (Envoy
			// Gateway's reason too).
			return status.ReasonInvalid, fmt.Sprintf("field %s.sectionName: Gateway %s/%s has no listener %q", field, r.Namespace, r.Name, r.SectionName)
		}
		return status.ReasonTargetNotFound, fmt.Sprintf("field %s: Gateway %s/%s does not exist or is not served by sluice", field, r.Namespace, r.Name)
	case slices.Contains(kinds, r.Kind):
		if r.SectionName != "" {
			return status.ReasonInvalid, fmt.Sprintf("field %s.sectionName: targeting a rule of a %s is not supported by sluice", field, r.Kind)
		}
		for _, rt := range a.targets.Routes {
			if rt.Kind == r.Kind && rt.Namespace == r.Namespace && rt.Name == r.Name {
				return "", ""
			}
		}
		return status.ReasonTargetNotFound, fmt.Sprintf("field %s: %s %s/%s does not exist", field, r.Kind, r.Namespace, r.Name)
	}
	return status.ReasonInvalid, fmt.Sprintf("field %s.kind: %q is not supported by sluice; supported: Gateway, %s", field, r.Kind, strings.Join(kinds, ", "))
}

// selector checks a targetSelector, which may select Gateways or routes
// of kinds, and returns its label selector.
func selector(s egv1a1.TargetSelector, kinds []string) (labels.Selector, error) {
	if s.Group != nil && string(*s.Group) != gwapiv1.GroupName {
		return nil, fmt.Errorf("group %q is not %s", *s.Group, gwapiv1.GroupName)
	}
	if k := string(s.Kind); k != KindGateway && !slices.Contains(kinds, k) {
		return nil, fmt.Errorf("kind %q is not one of Gateway, %s", s.Kind, strings.Join(kinds, ", "))
	}
	if s.Namespaces != nil && s.Namespaces.From != "" && s.Namespaces.From != egv1a1.TargetNamespaceFromSame {
		return nil, fmt.Errorf("namespaces.from %q is not supported; only Same", s.Namespaces.From)
	}
	return metav1.LabelSelectorAsSelector(&metav1.LabelSelector{MatchLabels: s.MatchLabels, MatchExpressions: s.MatchExpressions})
}

// selected returns the targets of a kind in a namespace whose labels
// match, in name order.
func (a *Attachments) selected(kind, namespace string, sel labels.Selector) []Ref {
	var out []Ref
	if kind == KindGateway {
		for _, g := range a.targets.Gateways {
			if g.Namespace == namespace && sel.Matches(labels.Set(g.Labels)) {
				out = append(out, Ref{Kind: kind, Namespace: namespace, Name: g.Name})
			}
		}
	}
	for _, rt := range a.targets.Routes {
		if rt.Kind == kind && rt.Namespace == namespace && sel.Matches(labels.Set(rt.Labels)) {
			out = append(out, Ref{Kind: kind, Namespace: namespace, Name: rt.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// invalidSpec is the status of a policy whose spec has the problems
// errs: Accepted=False with their reason, naming every problem. It
// attaches nowhere.
func invalidSpec(kind, namespace, name string, errs []error) *status.Object {
	return &status.Object{Kind: kind, Namespace: namespace, Name: name,
		Conditions: []status.Condition{status.New(status.CondAccepted, false, fields.Reason(errs), fields.Message(errs))}}
}

// Status returns the status of policy i: its targetRef problems and one
// entry per ancestor (Gateway) of its targets.
func (a *Attachments) Status(i int) *status.Object {
	p := a.policies[i]
	st := &status.Object{Kind: p.Kind, Namespace: p.Namespace, Name: p.Name}
	if probs := a.problems[i]; len(probs) > 0 {
		// One condition per type: the first reason, every message.
		c := probs[0]
		for _, o := range probs[1:] {
			c.Message += "; " + o.Message
		}
		st.Conditions = []status.Condition{c}
	}
	byAncestor := map[string]*ancestorNotes{}
	var order []string
	note := func(anc string) *ancestorNotes {
		n, ok := byAncestor[anc]
		if !ok {
			n = &ancestorNotes{}
			byAncestor[anc] = n
			order = append(order, anc)
		}
		return n
	}
	for _, r := range a.refs[i] {
		st.Attachments = append(st.Attachments, a.attachment(i, r))
		for _, anc := range a.ancestors(r) {
			n := note(anc)
			if w := a.winner[r]; w != i {
				n.conflicts = append(n.conflicts, fmt.Sprintf("%s is targeted by the older %s %s", r, p.Kind, a.policies[w].key()))
				continue
			}
			n.overridden = append(n.overridden, a.overriddenBy[i][r]...)
		}
	}
	sort.Strings(order)
	for _, anc := range order {
		st.Ancestors = append(st.Ancestors, byAncestor[anc].status(anc))
	}
	return st
}

// ancestors are the Gateways (NAMESPACE/NAME[/LISTENER]) a target is
// reached through: the Gateway itself, or a route's parent Gateways.
func (a *Attachments) ancestors(r Ref) []string {
	if r.Kind == KindGateway {
		if r.SectionName != "" {
			return []string{r.Namespace + "/" + r.Name + "/" + r.SectionName}
		}
		return []string{r.Namespace + "/" + r.Name}
	}
	var out []string
	seen := map[string]bool{}
	for _, rt := range a.targets.Routes {
		if rt.Kind != r.Kind || rt.Namespace != r.Namespace || rt.Name != r.Name {
			continue
		}
		for _, pa := range rt.Parents {
			if k := pa.Namespace + "/" + pa.Name; !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

type ancestorNotes struct {
	conflicts  []string
	overridden []string
}

func (n *ancestorNotes) status(anc string) status.Ancestor {
	s := status.Ancestor{AncestorRef: anc}
	if len(n.conflicts) > 0 {
		s.Conditions = append(s.Conditions, status.Condition{Type: status.CondAccepted, Status: "False", Reason: status.ReasonConflicted,
			Message: strings.Join(n.conflicts, "; ")})
		return s
	}
	s.Conditions = append(s.Conditions, status.Condition{Type: status.CondAccepted, Status: "True", Reason: status.ReasonAccepted, Message: "Policy has been accepted."})
	if len(n.overridden) > 0 {
		sort.Strings(n.overridden)
		s.Conditions = append(s.Conditions, status.Condition{Type: status.CondOverridden, Status: "True", Reason: status.ReasonOverridden,
			Message: "a more specific policy is in force for " + strings.Join(dedupe(n.overridden), ", ")})
	}
	return s
}

func dedupe(sorted []string) []string {
	var out []string
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// maxNotes bounds the routes an Attachment lists of each sort.
const maxNotes = 10

// attachment explains what became of policy i on its target r.
func (a *Attachments) attachment(i int, r Ref) status.Attachment {
	at := status.Attachment{Target: r.String()}
	if w := a.winner[r]; w != i {
		at.LostTo = fmt.Sprintf("the older %s %s", a.policies[w].Kind, a.policies[w].key())
		return at
	}
	at.InForce = capNotes(a.inForce[i][r])
	at.Overridden = capNotes(a.overriddenBy[i][r])
	return at
}

// capNotes sorts and dedupes notes and keeps maxNotes of them, saying
// how many more there are.
func capNotes(notes []string) []string {
	if len(notes) == 0 {
		return nil
	}
	out := dedupe(slices.Sorted(slices.Values(notes)))
	if len(out) > maxNotes {
		out = append(out[:maxNotes:maxNotes], fmt.Sprintf("and %d more", len(out)-maxNotes))
	}
	return out
}
