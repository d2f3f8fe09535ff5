package translate

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// irMerger merges the IRs of the members of one merged class into out,
// oldest member first. Conflicts were settled on the Gateway listeners
// (markMergedConflicts) and listener isolation holds across members
// (mergedHosts), so what it finds here to refuse is a safety net: it
// keeps the older member's and warns.
type irMerger struct {
	t        *translator
	out      *ir.Gateway
	gw       *gwapiv1.Gateway // the member being merged
	ports    map[uint32]*ir.Listener
	udp      map[uint32]bool
	clusters map[string]*ir.Cluster
	secrets  map[string]bool
}

func (m *irMerger) warn(format string, args ...any) {
	loc := m.t.res.Where("Gateway", m.gw.Namespace, m.gw.Name)
	m.t.warnings = append(m.t.warnings, fmt.Sprintf("%s: Gateway %s/%s: merged GatewayClass %s: ", loc, m.gw.Namespace, m.gw.Name, m.gw.Spec.GatewayClassName)+fmt.Sprintf(format, args...))
}

// listener adds a listener of a member: a port of its own, or merged
// into the older member's listener on its port. Plain HTTP listeners
// merge their virtual hosts, HTTPS and TLS ones their chains; TCP
// listeners share no port.
func (m *irMerger) listener(l *ir.Listener) {
	have, ok := m.ports[l.Port]
	if !ok {
		m.ports[l.Port] = l
		m.out.Listeners = append(m.out.Listeners, l)
		return
	}
	if listenerKind(have) != listenerKind(l) || l.TCP != nil {
		m.warn("listener %s: port %d is bound by %s; not served", l.Name, l.Port, have.Name)
		return
	}
	// TLS chains keep their own ClientTrafficPolicy settings; only those
	// of the whole port must agree.
	if len(l.TLSChains) > 0 {
		if diff := policies.ClientPortWideDiff(have.Client, l.Client); len(diff) > 0 {
			m.warn("listener %s: its client traffic settings %s are not those of %s, which shares its port; those of %s are in force", l.Name, strings.Join(diff, ", "), have.Name, have.Name)
			m.refuseClientPolicy(l, have)
		}
	} else if !reflect.DeepEqual(have.Client, l.Client) {
		m.warn("listener %s: its client traffic settings are not those of %s, which shares its port; those of %s are in force", l.Name, have.Name, have.Name)
		m.refuseClientPolicy(l, have)
	}
	// The IRs are the members' own: copy before changing.
	merged := *have
	if len(l.TLSChains) > 0 {
		merged.TLSChains = m.chains(slices.Clone(have.TLSChains), l)
	} else {
		merged.VirtualHosts = m.vhosts(slices.Clone(have.VirtualHosts), l)
	}
	m.ports[l.Port] = &merged
	i := slices.Index(m.out.Listeners, have)
	m.out.Listeners[i] = &merged
}

// listenerKind is "http", "tls" or "tcp".
func listenerKind(l *ir.Listener) string {
	switch {
	case len(l.TLSChains) > 0:
		return "tls"
	case l.TCP != nil:
		return "tcp"
	}
	return "http"
}

// vhosts adds the virtual hosts of l whose domains no older one has.
func (m *irMerger) vhosts(vhs []*ir.VirtualHost, l *ir.Listener) []*ir.VirtualHost {
	taken := map[string]string{}
	for _, vh := range vhs {
		for _, d := range vh.Domains {
			taken[d] = vh.Name
		}
	}
	for _, vh := range l.VirtualHosts {
		if other := firstTaken(taken, vh.Domains); other != "" {
			m.warn("virtual host %s: its domains are served by %s; not served", vh.Name, other)
			continue
		}
		vhs = append(vhs, vh)
	}
	sort.Slice(vhs, func(i, j int) bool { return vhs[i].Name < vhs[j].Name })
	return vhs
}

// chains adds the TLS chains of l whose SNI names no older chain takes
// (no names: every name, taken once).
func (m *irMerger) chains(cs []*ir.TLSChain, l *ir.Listener) []*ir.TLSChain {
	taken := map[string]string{}
	for _, c := range cs {
		for _, n := range chainNames(c) {
			taken[n] = c.Name
		}
	}
	for _, c := range l.TLSChains {
		if other := firstTaken(taken, chainNames(c)); other != "" {
			m.warn("TLS chain %s: its server names are taken by %s; not served", c.Name, other)
			continue
		}
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs
}

func chainNames(c *ir.TLSChain) []string {
	if len(c.ServerNames) == 0 {
		return []string{""}
	}
	return c.ServerNames
}

func firstTaken(taken map[string]string, names []string) string {
	for _, n := range names {
		if other, ok := taken[n]; ok {
			return other
		}
	}
	return ""
}

// cluster adds a cluster of a member. Cluster names come from the
// backend (Service, Backend) they reach, so members that route to one
// backend share its cluster; should policies have made the two differ,
// the older member's is kept.
func (m *irMerger) cluster(c *ir.Cluster) {
	have, ok := m.clusters[c.Name]
	if !ok {
		m.clusters[c.Name] = c
		m.out.Clusters = append(m.out.Clusters, c)
		return
	}
	if !reflect.DeepEqual(have, c) {
		m.warn("cluster %s: its settings differ from an older member's, whose are in force", c.Name)
	}
}

// refuseClientPolicy takes listener l's port from the in-force places of
// its ClientTrafficPolicy, whose settings lose to those of have on the
// port they share: a ClientTrafficPolicy configures a whole port, here
// shared with another Gateway of the class. A policy left in force
// nowhere on the member is Accepted=False (Invalid) for it, as Envoy
// Gateway refuses it; one still in force elsewhere says where it is not.
// The status is the translation's own copy.
func (m *irMerger) refuseClientPolicy(l, have *ir.Listener) {
	if l.Client == nil || l.Client.Policy == "" {
		return
	}
	ns, name, _ := strings.Cut(l.Client.Policy, "/")
	s := m.t.statusOf(policies.KindClientTrafficPolicy, ns, name)
	gw := m.gw.Namespace + "/" + m.gw.Name
	msg := fmt.Sprintf("listener %s shares port %d with listener %s of another Gateway of merged GatewayClass %s; a ClientTrafficPolicy configures a whole port, whose settings are those of %s",
		l.Name, l.Port, have.Name, m.gw.Spec.GatewayClassName, have.Name)
	port := fmt.Sprintf("(port %d)", l.Port)
	inForce := false
	for i := range s.Attachments {
		at := &s.Attachments[i]
		if f := strings.Fields(at.Target); len(f) < 2 || f[1] != gw {
			continue
		}
		at.InForce = slices.DeleteFunc(slices.Clone(at.InForce), func(p string) bool { return strings.HasSuffix(p, port) })
		if len(at.InForce) == 0 {
			at.InForce, at.LostTo = nil, "the settings of "+have.Name+" on the shared port (see Accepted)"
		}
		inForce = inForce || len(at.InForce) > 0
	}
	for i := range s.Ancestors {
		a := &s.Ancestors[i]
		if a.AncestorRef != gw && !strings.HasPrefix(a.AncestorRef, gw+"/") {
			continue
		}
		if !inForce {
			a.Conditions = []status.Condition{{Type: status.CondAccepted, Status: "False", Reason: status.ReasonInvalid, Message: msg}}
			continue
		}
		a.Conditions = slices.Clone(a.Conditions)
		for c := range a.Conditions {
			if cd := &a.Conditions[c]; cd.Type == status.CondAccepted && cd.Status == "True" {
				cd.Message = strings.TrimSuffix(cd.Message, ".") + "; not in force on port " + strconv.Itoa(int(l.Port)) + ": " + msg
			}
		}
	}
}
