package policies

import (
	"fmt"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// ClientTrafficPolicy configures how Envoy treats its clients: the
// connections a Gateway's ports accept and the HTTP connection managers
// and TLS contexts behind them. Validation is in ctp_spec.go and
// ctp_tls.go, the Envoy configuration in clienttraffic_xds.go and
// ctp_listener.go.
//
// Attachment (attach.go, as Envoy Gateway does it): a policy targets
// Gateways, or one listener of a Gateway with sectionName. On a listener,
// a policy on the listener beats one on its Gateway, which is then
// Overridden for that listener; of two policies on the same target the
// older wins and the other is Conflicted. An invalid policy is
// Accepted=False, reason Invalid, and not attached at all: the less
// specific policy stays in force.
//
// A policy configures a whole port: Gateway listeners that share a port
// are one ir.Listener (one Envoy listener). When the listeners of a port
// would get different policies, the listener-level ones are Conflicted
// for those listeners and the port keeps the Gateway's policy, if any.
// Envoy Gateway refuses a listener-level policy on an HTTP port shared
// with other listeners the same way; it lets HTTPS listeners sharing a
// port differ, one filter chain each, which sluice does not.

// KindClientTrafficPolicy is the policy kind.
const KindClientTrafficPolicy = "ClientTrafficPolicy"

// ClientTrafficInput is what ApplyClientTrafficPolicies reads.
type ClientTrafficInput struct {
	// Policies in a stable order (namespace, name).
	Policies  []*egv1a1.ClientTrafficPolicy
	Targets   Targets
	Secret    func(namespace, name string) *corev1.Secret
	ConfigMap func(namespace, name string) *corev1.ConfigMap
	// SecretGranted reports whether a ReferenceGrant lets
	// ClientTrafficPolicies of policyNS use the Secret.
	SecretGranted func(policyNS, secretNS, secretName string) bool
}

// ApplyClientTrafficPolicies validates the policies, attaches them to
// their Gateways and listeners and writes what each does into
// ir.Listener.Client. It returns the status of every policy, in input
// order.
func ApplyClientTrafficPolicies(in ClientTrafficInput, gateways []*ir.Gateway) []*Status {
	statuses := make([]*Status, len(in.Policies))
	var valid []Policy
	var features []*ir.ClientTraffic
	var ignored [][]string
	var index []int // of valid in in.Policies
	for i, p := range in.Policies {
		f, ign, errs := ctpSpec(p, in)
		if len(errs) > 0 {
			statuses[i] = &Status{Kind: KindClientTrafficPolicy, Namespace: p.Namespace, Name: p.Name,
				Conditions: []Condition{{Type: CondAccepted, Status: "False", Reason: ReasonInvalid, Message: strings.Join(errs, "; ")}}}
			continue
		}
		valid = append(valid, Policy{Kind: KindClientTrafficPolicy, Namespace: p.Namespace, Name: p.Name,
			Created: p.CreationTimestamp.Time, Targets: p.Spec.PolicyTargetReferences})
		features = append(features, f)
		ignored = append(ignored, ign)
		index = append(index, i)
	}
	// Only Gateways: routes play no part, and their Overridden notes
	// would be wrong for a policy on connections.
	att := Attach(valid, Targets{Gateways: in.Targets.Gateways})
	notes := &ctpNotes{conflicts: map[int]map[string][]string{}, overriding: map[int]map[string][]string{},
		inForce: map[int]map[string][]string{}, overriddenOn: map[int]map[string][]string{}}
	for _, g := range gateways {
		for _, tg := range in.Targets.Gateways {
			if tg.Namespace == g.Namespace && tg.Name == g.Name {
				applyToGateway(att, features, tg, g, notes)
			}
		}
	}
	for j, i := range index {
		st := att.Status(j)
		notes.apply(st, j, ignored[j])
		http3Status(st, in.Policies[i], features[j], in.Targets, gateways)
		statuses[i] = st
	}
	return statuses
}

// ctpNotes collects, per policy (index in the valid ones) and ancestor,
// what the per-port application adds to the status.
type ctpNotes struct {
	// conflicts are why a listener-level policy is not in force.
	conflicts map[int]map[string][]string
	// overriding are the listeners where a listener-level policy beats
	// a Gateway's.
	overriding map[int]map[string][]string
	// inForce and overriddenOn are, per policy and target, the listeners
	// it is in force on and those where a more specific policy is
	// (Status.Attachments).
	inForce, overriddenOn map[int]map[string][]string
}

func (n *ctpNotes) add(m map[int]map[string][]string, policy int, ancestor, note string) {
	if m[policy] == nil {
		m[policy] = map[string][]string{}
	}
	m[policy][ancestor] = append(m[policy][ancestor], note)
}

// applyToGateway sets the Client of each listener of g: the policy in
// force on every Gateway listener of its port.
func applyToGateway(att *Attachments, features []*ir.ClientTraffic, tg Gateway, g *ir.Gateway, notes *ctpNotes) {
	gwRef := Ref{Kind: KindGateway, Namespace: tg.Namespace, Name: tg.Name}
	gwPolicy, ok := att.winner[gwRef]
	if !ok {
		gwPolicy = -1
	}
	udp := map[string]bool{}
	for _, u := range g.UDPListeners {
		udp[u.Name] = true
	}
	prefix := tg.Namespace + "/" + tg.Name + "/"
	// listenerPolicy is the listener-level policy of a Gateway listener,
	// or -1.
	listenerPolicy := func(name string) int {
		r := gwRef
		r.SectionName = name
		if w, ok := att.winner[r]; ok {
			return w
		}
		return -1
	}
	conflicted := map[string]bool{}
	for _, l := range g.Listeners {
		var members []string
		for k, name := range tg.Listeners {
			if k < len(tg.Ports) && tg.Ports[k] == l.Port && !udp[prefix+name] {
				members = append(members, name)
			}
		}
		effective := func(name string) int {
			if p := listenerPolicy(name); p >= 0 {
				return p
			}
			return gwPolicy
		}
		agree := true
		for _, m := range members[min(1, len(members)):] {
			agree = agree && effective(m) == effective(members[0])
		}
		policy := gwPolicy
		if len(members) > 0 && agree {
			policy = effective(members[0])
		}
		if !agree {
			for _, m := range members {
				p := listenerPolicy(m)
				if p < 0 {
					continue
				}
				conflicted[m] = true
				others := make([]string, 0, len(members)-1)
				for _, o := range members {
					if o != m {
						others = append(others, o)
					}
				}
				notes.add(notes.conflicts, p, prefix+m, fmt.Sprintf(
					"listener %s shares port %d with listener(s) %s, which would get another ClientTrafficPolicy; a ClientTrafficPolicy configures a whole port, so only a policy on the Gateway or one on every listener of the port applies",
					m, l.Port, strings.Join(others, ", ")))
			}
		}
		if policy >= 0 {
			l.Client = features[policy]
			for _, m := range append(members, "")[:max(1, len(members))] {
				target := gwRef
				if m != "" && agree && listenerPolicy(m) == policy {
					target.SectionName = m
				}
				where := fmt.Sprintf("port %d", l.Port)
				if m != "" {
					where = fmt.Sprintf("listener %s (port %d)", m, l.Port)
				}
				notes.add(notes.inForce, policy, target.String(), where)
			}
		}
	}
	if gwPolicy < 0 {
		return
	}
	for _, name := range tg.Listeners {
		if p := listenerPolicy(name); p >= 0 && p != gwPolicy && !conflicted[name] {
			notes.add(notes.overriding, gwPolicy, tg.Namespace+"/"+tg.Name, name)
			on := gwRef
			on.SectionName = name
			notes.add(notes.overriddenOn, gwPolicy, gwRef.String(), fmt.Sprintf("listener %s (by %s %s on %s)",
				name, KindClientTrafficPolicy, att.policies[p].key(), on))
		}
	}
}

// apply writes the notes of policy j and the fields it ignores into its
// status.
func (n *ctpNotes) apply(st *Status, j int, ignored []string) {
	for k := range st.Attachments {
		at := &st.Attachments[k]
		if at.LostTo != "" {
			continue
		}
		at.InForce = capNotes(n.inForce[j][at.Target])
		at.Overridden = capNotes(n.overriddenOn[j][at.Target])
		if len(at.InForce) == 0 && len(n.conflicts[j]) > 0 {
			at.LostTo = "another ClientTrafficPolicy on a listener sharing its port (see Accepted)"
		}
	}
	var suffix string
	switch len(ignored) {
	case 0:
	case 1:
		suffix = "; field " + ignored[0] + " is not supported by sluice and is ignored"
	default:
		suffix = "; fields " + strings.Join(ignored, ", ") + " are not supported by sluice and are ignored"
	}
	for a := range st.Ancestors {
		anc := &st.Ancestors[a]
		if msgs := n.conflicts[j][anc.AncestorRef]; len(msgs) > 0 {
			anc.Conditions = []Condition{{Type: CondAccepted, Status: "False", Reason: ReasonConflicted, Message: strings.Join(msgs, "; ")}}
			continue
		}
		accepted := false
		for c := range anc.Conditions {
			if cd := &anc.Conditions[c]; cd.Type == CondAccepted && cd.Status == "True" {
				accepted = true
				if suffix != "" {
					cd.Message = strings.TrimSuffix(cd.Message, ".") + suffix
				}
			}
		}
		if sections := n.overriding[j][anc.AncestorRef]; accepted && len(sections) > 0 {
			sort.Strings(sections)
			anc.Conditions = append(anc.Conditions, Condition{Type: CondOverridden, Status: "True", Reason: ReasonOverridden,
				Message: "a ClientTrafficPolicy on the listener is in force for listener(s) " + strings.Join(dedupe(sections), ", ")})
		}
	}
}
