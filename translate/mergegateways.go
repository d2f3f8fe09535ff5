package translate

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// An EnvoyProxy with spec.mergeGateways makes all the Gateways of its
// GatewayClass one Envoy fleet, as Envoy Gateway does: one set of
// listeners, clusters and secrets. Each member Gateway is translated on
// its own (listeners, routes, policies), then their IRs are merged into
// one, and every member's key (the node.cluster its Envoys send) is
// served the same merged resources.
//
// Across members, a listener conflicts with a listener of an older
// member on the same port (conflictReason): the younger one is
// Conflicted and not served; the older member keeps serving.

// mergesGateways reports whether the Gateways of a class are merged.
func (t *translator) mergesGateways(class gwapiv1.ObjectName) bool {
	cp := t.classParams[string(class)]
	return cp != nil && cp.problem == "" && cp.proxy != nil &&
		cp.proxy.Spec.MergeGateways != nil && *cp.proxy.Spec.MergeGateways
}

// mergeGroups returns the served Gateways of each merging class, oldest
// first (creationTimestamp, then namespace and name), by class name.
func (t *translator) mergeGroups() map[string][]*gatewayState {
	groups := map[string][]*gatewayState{}
	for _, g := range t.gateways {
		if class := g.obj.Spec.GatewayClassName; t.mergesGateways(class) {
			groups[string(class)] = append(groups[string(class)], g)
		}
	}
	for _, members := range groups {
		slices.SortStableFunc(members, olderGateway)
	}
	return groups
}

// olderGateway orders Gateways by age, then namespace and name.
func olderGateway(a, b *gatewayState) int {
	ta, tb := a.obj.CreationTimestamp.UTC(), b.obj.CreationTimestamp.UTC()
	switch {
	case ta.Before(tb):
		return -1
	case tb.Before(ta):
		return 1
	}
	if c := strings.Compare(a.obj.Namespace, b.obj.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.obj.Name, b.obj.Name)
}

// markMergedConflicts checks the listeners of every member of a merged
// class against those of the older members: a listener that conflicts
// with a served one of an older member becomes Conflicted, is not served,
// and its Gateway's conditions are given again.
func (t *translator) markMergedConflicts() {
	for _, members := range t.mergeGroups() {
		for i, g := range members {
			changed := false
			for _, l := range g.listeners {
				if !l.valid {
					continue
				}
				reason, why := olderConflict(l, members[:i])
				if reason == "" {
					continue
				}
				l.valid, changed = false, true
				l.status.Conditions = setCondition(l.status.Conditions, status.New(status.CondConflicted, true, reason, why))
				l.status.Conditions = setCondition(l.status.Conditions, status.New(status.CondProgrammed, false, status.ReasonInvalid, ""))
			}
			if changed {
				setGatewayConditions(g)
			}
		}
	}
}

// olderConflict returns the reason and message of the first conflict of
// l with a served listener of an older member, a protocol conflict
// before a hostname one, or "".
func olderConflict(l *listenerState, older []*gatewayState) (string, string) {
	reason, why := "", ""
	for _, o := range older {
		for _, ol := range o.listeners {
			if !ol.valid || ol.spec.Port != l.spec.Port {
				continue
			}
			if r := conflictReason(l.spec, ol.spec); r != "" && (reason == "" || r == status.ReasonProtocolConflict && reason != r) {
				reason = r
				why = fmt.Sprintf("Gateway %s/%s of the same merged GatewayClass is older: %s",
					o.obj.Namespace, o.obj.Name, conflictMessage(r, l.spec, ol.spec))
			}
		}
	}
	return reason, why
}

// setCondition replaces the condition of c's type, or appends c.
func setCondition(cs []status.Condition, c status.Condition) []status.Condition {
	for i := range cs {
		if cs[i].Type == c.Type {
			cs[i] = c
			return cs
		}
	}
	return append(cs, c)
}

// setGatewayConditions gives a Gateway's Accepted and Programmed
// conditions again from its listeners, as processGateways does.
func setGatewayConditions(g *gatewayState) {
	var invalid []string
	for _, l := range g.listeners {
		if !l.valid {
			invalid = append(invalid, string(l.spec.Name))
		}
	}
	var accepted, programmed status.Condition
	switch {
	case len(invalid) == len(g.listeners):
		accepted = status.New(status.CondAccepted, false, status.ReasonListenersNotValid, "no listener of the Gateway is valid")
		programmed = status.New(status.CondProgrammed, false, status.ReasonInvalid, "no listener of the Gateway is valid")
	default:
		msg := fmt.Sprintf("listeners %s are invalid or conflicted and not served; the others are", strings.Join(invalid, ", "))
		accepted = status.New(status.CondAccepted, true, status.ReasonListenersNotValid, msg)
		programmed = status.New(status.CondProgrammed, true, status.ReasonProgrammed, "Gateway is programmed")
	}
	g.status.Conditions = setCondition(g.status.Conditions, accepted)
	g.status.Conditions = setCondition(g.status.Conditions, programmed)
}

// mergedHosts adds to hosts, by port, the hostnames of the served
// listeners of the other members of g's merged class whose protocol is
// one of protocols, so that listener isolation (owningListener) holds
// across the merged fleet. For a Gateway that is not merged it does
// nothing.
func (t *translator) mergedHosts(g *gatewayState, hosts map[uint32][]string, protocols ...gwapiv1.ProtocolType) {
	if !t.mergesGateways(g.obj.Spec.GatewayClassName) {
		return
	}
	for _, o := range t.gateways {
		if o == g || o.obj.Spec.GatewayClassName != g.obj.Spec.GatewayClassName {
			continue
		}
		for _, l := range o.listeners {
			if l.valid && slices.Contains(protocols, l.spec.Protocol) {
				hosts[uint32(l.spec.Port)] = append(hosts[uint32(l.spec.Port)], hostnameOf(l.spec.Hostname))
			}
		}
	}
}

// mergeGatewayIRs replaces the IRs of the members of each merged class
// by one IR under the oldest member's name, and records the members so
// that fanOutMerged can give each its result.
func (t *translator) mergeGatewayIRs(gateways []*ir.Gateway) []*ir.Gateway {
	groups := t.mergeGroups()
	if len(groups) == 0 {
		return gateways
	}
	member := map[*ir.Gateway]bool{}
	merged := map[*ir.Gateway]*ir.Gateway{} // by the oldest member's IR
	for _, class := range sortedKeys(groups) {
		members := groups[class]
		for _, g := range members {
			member[g.ir] = true
		}
		merged[members[0].ir] = t.mergeIRs(members)
		t.classParams[class].merged = members
	}
	var out []*ir.Gateway
	for _, g := range gateways {
		switch {
		case merged[g] != nil:
			out = append(out, merged[g])
		case !member[g]:
			out = append(out, g)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergeIRs merges the IRs of the members of one class, oldest first.
func (t *translator) mergeIRs(members []*gatewayState) *ir.Gateway {
	first := members[0].ir
	out := &ir.Gateway{Namespace: first.Namespace, Name: first.Name, IPFamily: first.IPFamily}
	m := &irMerger{t: t, out: out, ports: map[uint32]*ir.Listener{}, udp: map[uint32]bool{},
		clusters: map[string]*ir.Cluster{}, secrets: map[string]bool{}}
	for _, g := range members {
		m.gw = g.obj
		for _, l := range g.ir.Listeners {
			m.listener(l)
		}
		for _, u := range g.ir.UDPListeners {
			if m.udp[u.Port] {
				m.warn("UDP listener %s: port %d is bound by an older member; not served", u.Name, u.Port)
				continue
			}
			m.udp[u.Port] = true
			out.UDPListeners = append(out.UDPListeners, u)
		}
		for _, c := range g.ir.Clusters {
			m.cluster(c)
		}
		for _, s := range g.ir.Secrets {
			if !m.secrets[s.Name] {
				m.secrets[s.Name] = true
				out.Secrets = append(out.Secrets, s)
			}
		}
	}
	sort.Slice(out.Listeners, func(i, j int) bool { return out.Listeners[i].Port < out.Listeners[j].Port })
	sort.Slice(out.UDPListeners, func(i, j int) bool { return out.UDPListeners[i].Port < out.UDPListeners[j].Port })
	sort.Slice(out.Clusters, func(i, j int) bool { return out.Clusters[i].Name < out.Clusters[j].Name })
	sort.Slice(out.Secrets, func(i, j int) bool { return out.Secrets[i].Name < out.Secrets[j].Name })
	return out
}

// mergedMembers returns the members of the merged class whose oldest
// member is the Gateway of r, or nil.
func (t *translator) mergedMembers(r *GatewayResult) []*gatewayState {
	if class := t.mergedClass(r); class != "" {
		return t.classParams[class].merged
	}
	return nil
}

// mergedClass returns the GatewayClass whose merged fleet r is, or "".
func (t *translator) mergedClass(r *GatewayResult) string {
	for class, cp := range t.classParams {
		if len(cp.merged) > 0 && cp.merged[0].obj.Namespace == r.Namespace && cp.merged[0].obj.Name == r.Name {
			return class
		}
	}
	return ""
}

// mergedGateway reports whether Gateway namespace/name is a member of a
// merged class.
func (t *translator) mergedGateway(namespace, name string) bool {
	for _, cp := range t.classParams {
		for _, g := range cp.merged {
			if g.obj.Namespace == namespace && g.obj.Name == name {
				return true
			}
		}
	}
	return false
}

// fanOutMerged gives every member of a merged class the merged result,
// under its own key: the Envoys of each member (node.cluster
// NAMESPACE/NAME) get the same resources.
func (t *translator) fanOutMerged(results []*GatewayResult) []*GatewayResult {
	var out []*GatewayResult
	for _, r := range results {
		out = append(out, r)
		members := t.mergedMembers(r)
		if len(members) < 2 {
			continue
		}
		for _, g := range members[1:] {
			c := *r
			c.Namespace, c.Name = g.obj.Namespace, g.obj.Name
			out = append(out, &c)
		}
	}
	return out
}
