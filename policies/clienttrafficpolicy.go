package policies

import (
	"fmt"
	"sort"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
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
// Gateway listeners that share a port are one ir.Listener (one Envoy
// listener). Plain HTTP listeners there share one connection manager, so
// a policy configures the whole port: when they would get different
// policies, the listener-level ones are Invalid for those listeners
// (Accepted=False, the reason Envoy Gateway gives) and the port keeps the Gateway's policy, if any (Envoy Gateway refuses
// a listener-level policy on an HTTP port shared with other listeners
// the same way). HTTPS and TLS listeners that share a port are one
// filter chain each, and each chain takes its listener's policy; only
// the settings of the Envoy listener itself must agree (ctp_chains.go).

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
	// RegexProgramSize bounds the RE2 program size of the regexes sent to
	// Envoy (fields.Regex; 0 is Envoy's default).
	RegexProgramSize int
}

// ApplyClientTrafficPolicies validates the policies, attaches them to
// their Gateways and listeners and writes what each does into
// ir.Listener.Client. It returns the status of every policy, in input
// order.
func ApplyClientTrafficPolicies(in ClientTrafficInput, gateways []*ir.Gateway) []*status.Object {
	statuses := make([]*status.Object, len(in.Policies))
	var valid []Policy
	var features []*ir.ClientTraffic
	var ignored [][]string
	var index []int // of valid in in.Policies
	for i, p := range in.Policies {
		f, ign, errs := ctpSpec(p, in)
		if len(errs) > 0 {
			statuses[i] = invalidSpec(KindClientTrafficPolicy, p.Namespace, p.Name, errs)
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

// applyToGateway sets the Client of each listener of g and of its TLS
// chains. A port of plain HTTP listeners is one connection manager: the
// policy in force must be the same on all of them. A port of HTTPS and
// TLS listeners has one chain per Gateway listener, each with the policy
// in force on its listener; only the port-wide settings (portWideDiff)
// must agree. Where they do not, each listener-level policy that
// disagrees with the Gateway's (or, without one, with no policy) is
// refused (Invalid) for its listener, which falls back to the Gateway's policy.
func applyToGateway(att *Attachments, features []*ir.ClientTraffic, tg Gateway, g *ir.Gateway, notes *ctpNotes) {
	a := newGatewayCTP(att, features, tg, g, notes)
	for _, l := range g.Listeners {
		a.applyToPort(l)
	}
	a.noteOverriding()
}

// gatewayCTP applies the ClientTrafficPolicies attached to one Gateway
// (applyToGateway).
type gatewayCTP struct {
	att      *Attachments
	features []*ir.ClientTraffic
	tg       Gateway
	notes    *ctpNotes
	gwRef    Ref
	// gwPolicy is the policy on the whole Gateway, or -1.
	gwPolicy int
	// prefix starts the ancestor name of each listener of the Gateway.
	prefix string
	// udp are the Gateway's UDP listeners, by ancestor name.
	udp map[string]bool
	// conflicted are the listeners whose listener-level policy is
	// refused for its port (Invalid).
	conflicted map[string]bool
}

func newGatewayCTP(att *Attachments, features []*ir.ClientTraffic, tg Gateway, g *ir.Gateway, notes *ctpNotes) *gatewayCTP {
	gwRef := Ref{Kind: KindGateway, Namespace: tg.Namespace, Name: tg.Name}
	gwPolicy, ok := att.winner[gwRef]
	if !ok {
		gwPolicy = -1
	}
	udp := map[string]bool{}
	for _, u := range g.UDPListeners {
		udp[u.Name] = true
	}
	return &gatewayCTP{att: att, features: features, tg: tg, notes: notes, gwRef: gwRef, gwPolicy: gwPolicy,
		prefix: tg.Namespace + "/" + tg.Name + "/", udp: udp, conflicted: map[string]bool{}}
}

// listenerPolicy is the listener-level policy of a Gateway listener, or
// -1.
func (a *gatewayCTP) listenerPolicy(name string) int {
	r := a.gwRef
	r.SectionName = name
	if w, ok := a.att.winner[r]; ok {
		return w
	}
	return -1
}

// feature is what policy p configures, nil for no policy (-1).
func (a *gatewayCTP) feature(p int) *ir.ClientTraffic {
	if p < 0 {
		return nil
	}
	return a.features[p]
}

// members are the Gateway listeners (not UDP) on the port of l.
func (a *gatewayCTP) members(l *ir.Listener) []string {
	var members []string
	for k, name := range a.tg.Listeners {
		if k < len(a.tg.Ports) && a.tg.Ports[k] == l.Port && !a.udp[a.prefix+name] {
			members = append(members, name)
		}
	}
	return members
}

// differ names what keeps policies p and q from sharing a port: on a port
// of chains, the port-wide settings; otherwise anything.
func (a *gatewayCTP) differ(chains bool, p, q int) []string {
	if chains {
		return portWideDiff(a.feature(p), a.feature(q))
	}
	if p != q {
		return []string{"spec"}
	}
	return nil
}

// applyToPort sets the Client of l and of its chains and notes where each
// policy is in force.
func (a *gatewayCTP) applyToPort(l *ir.Listener) {
	members := a.members(l)
	inForce := a.portInForce(l.Port, members, len(l.TLSChains) > 0)
	policy := a.gwPolicy
	for _, m := range members {
		if inForce[m] >= 0 {
			policy = inForce[m]
			break
		}
	}
	if policy >= 0 {
		// On a port of chains, only the port-wide settings of l.Client
		// count, and every policy in force there has the same.
		l.Client = a.features[policy]
	}
	for _, c := range l.TLSChains {
		p, ok := inForce[c.Listener]
		if !ok {
			p = policy
		}
		c.Client = a.feature(p)
	}
	a.noteInForce(l.Port, members, inForce)
}

// portInForce is the policy in force on each of the members of a port:
// its listener-level policy, else the Gateway's. When these cannot share
// the port, each listener-level policy that differs from the Gateway's is
// refused (Invalid) and the Gateway's is in force instead.
func (a *gatewayCTP) portInForce(port uint32, members []string, chains bool) map[string]int {
	inForce := map[string]int{}
	agree := true
	for _, m := range members {
		inForce[m] = a.listenerPolicy(m)
		if inForce[m] < 0 {
			inForce[m] = a.gwPolicy
		}
		agree = agree && len(a.differ(chains, inForce[m], inForce[members[0]])) == 0
	}
	if agree {
		return inForce
	}
	for _, m := range members {
		p := a.listenerPolicy(m)
		diff := a.differ(chains, p, a.gwPolicy)
		if p < 0 || len(diff) == 0 {
			continue
		}
		a.conflicted[m] = true
		inForce[m] = a.gwPolicy
		a.notes.add(a.notes.conflicts, p, a.prefix+m, sharedPortConflict(m, port, members, chains, diff, a.att, a.gwPolicy))
	}
	return inForce
}

// noteInForce notes, for the policies in force on a port, where they
// are: on its listeners, or on the whole port when no Gateway listener
// has it.
func (a *gatewayCTP) noteInForce(port uint32, members []string, inForce map[string]int) {
	if len(members) == 0 && a.gwPolicy >= 0 {
		a.notes.add(a.notes.inForce, a.gwPolicy, a.gwRef.String(), fmt.Sprintf("port %d", port))
	}
	for _, m := range members {
		p := inForce[m]
		if p < 0 {
			continue
		}
		target := a.gwRef
		if a.listenerPolicy(m) == p {
			target.SectionName = m
		}
		a.notes.add(a.notes.inForce, p, target.String(), fmt.Sprintf("listener %s (port %d)", m, port))
	}
}

// noteOverriding notes, for the Gateway's policy, the listeners where a
// listener-level policy is in force instead.
func (a *gatewayCTP) noteOverriding() {
	if a.gwPolicy < 0 {
		return
	}
	for _, name := range a.tg.Listeners {
		if p := a.listenerPolicy(name); p >= 0 && p != a.gwPolicy && !a.conflicted[name] {
			a.notes.add(a.notes.overriding, a.gwPolicy, a.tg.Namespace+"/"+a.tg.Name, name)
			on := a.gwRef
			on.SectionName = name
			a.notes.add(a.notes.overriddenOn, a.gwPolicy, a.gwRef.String(), fmt.Sprintf("listener %s (by %s %s on %s)",
				name, KindClientTrafficPolicy, a.att.policies[p].key(), on))
		}
	}
}

// sharedPortConflict says why the listener-level policy of listener m is
// not in force: the listeners of its port would need different
// settings that only the whole port can have (diff names them, for a
// port of chains).
func sharedPortConflict(m string, port uint32, members []string, chains bool, diff []string, att *Attachments, gwPolicy int) string {
	others := make([]string, 0, len(members)-1)
	for _, o := range members {
		if o != m {
			others = append(others, o)
		}
	}
	if !chains {
		return fmt.Sprintf(
			"listener %s shares port %d with listener(s) %s, which would get another ClientTrafficPolicy; a ClientTrafficPolicy configures a whole port, so only a policy on the Gateway or one on every listener of the port applies",
			m, port, strings.Join(others, ", "))
	}
	than := "the defaults of a listener without a policy (no ClientTrafficPolicy targets the whole Gateway)"
	if gwPolicy >= 0 {
		than = "those of the Gateway's ClientTrafficPolicy " + att.policies[gwPolicy].key()
	}
	return fmt.Sprintf(
		"listener %s shares port %d with listener(s) %s, and field(s) %s of this policy differ from %s: HTTPS and TLS listeners that share a port may have different ClientTrafficPolicies, but these fields configure the whole port (one Envoy listener) and must agree",
		m, port, strings.Join(others, ", "), strings.Join(diff, ", "), than)
}

// apply writes the notes of policy j and the fields it ignores into its
// status.
func (n *ctpNotes) apply(st *status.Object, j int, ignored []string) {
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
			// Invalid, as Envoy Gateway says: the policy cannot be
			// applied to its target as it is (Conflicted is two policies
			// on one target).
			anc.Conditions = []status.Condition{{Type: status.CondAccepted, Status: "False", Reason: status.ReasonInvalid, Message: strings.Join(msgs, "; ")}}
			continue
		}
		accepted := false
		for c := range anc.Conditions {
			if cd := &anc.Conditions[c]; cd.Type == status.CondAccepted && cd.Status == "True" {
				accepted = true
				if suffix != "" {
					cd.Message = strings.TrimSuffix(cd.Message, ".") + suffix
				}
			}
		}
		if sections := n.overriding[j][anc.AncestorRef]; accepted && len(sections) > 0 {
			sort.Strings(sections)
			anc.Conditions = append(anc.Conditions, status.Condition{Type: status.CondOverridden, Status: "True", Reason: status.ReasonOverridden,
				Message: "a ClientTrafficPolicy on the listener is in force for listener(s) " + strings.Join(dedupe(sections), ", ")})
		}
	}
}
