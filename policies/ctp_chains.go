package policies

import (
	"reflect"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// ClientTrafficPolicies on HTTPS and TLS listeners that share a port.
// Such a port is one Envoy listener with one filter chain per Gateway
// listener (chosen by SNI), and each chain has its own connection
// manager, TLS context and chain filters: each takes the policy in force
// on its Gateway listener (ir.TLSChain.Client). What Envoy sets on the
// listener itself belongs to the whole port, and Envoy Gateway takes it
// from whichever listener of the port it builds first; sluice demands
// that the policies of the port agree on it instead (portWideDiff).

// portWideFields are the settings of a policy that configure the Envoy
// listener of a port rather than one of its filter chains: socket
// options, the PROXY protocol listener filter and the listener filters'
// timeout, buffer and accept limits, and the QUIC listener of http3. Each
// reads its value from a policy's IR (nil for none).
var portWideFields = []struct {
	field string
	get   func(c *ir.ClientTraffic) any
}{
	{"spec.tcpKeepalive", func(c *ir.ClientTraffic) any { return c.TCPKeepalive }},
	{"spec.proxyProtocol", func(c *ir.ClientTraffic) any { return c.ProxyProtocol }},
	{"spec.timeout.tcp.connectionInspectionTimeout", func(c *ir.ClientTraffic) any { return c.InspectionTimeout }},
	{"spec.connection.bufferLimit", func(c *ir.ClientTraffic) any {
		if c.Connection == nil {
			return (*uint32)(nil)
		}
		return c.Connection.BufferLimit
	}},
	{"spec.connection.maxAcceptPerSocketEvent", func(c *ir.ClientTraffic) any {
		if c.Connection == nil {
			return (*uint32)(nil)
		}
		return c.Connection.MaxAcceptPerSocketEvent
	}},
	{"spec.http3", func(c *ir.ClientTraffic) any { return c.HTTP3 }},
}

// noClientTraffic stands for a listener without a policy.
var noClientTraffic = &ir.ClientTraffic{}

// ClientPortWideDiff names the port-wide settings of two
// ClientTrafficPolicies' IR on which they disagree (see portWideDiff), for
// translate's merge of Gateways that share a port.
func ClientPortWideDiff(a, b *ir.ClientTraffic) []string { return portWideDiff(a, b) }

// portWideDiff names the port-wide settings on which a and b (nil: no
// policy) disagree; none when one Envoy listener can serve both.
func portWideDiff(a, b *ir.ClientTraffic) []string {
	if a == nil {
		a = noClientTraffic
	}
	if b == nil {
		b = noClientTraffic
	}
	var out []string
	for _, f := range portWideFields {
		if !reflect.DeepEqual(f.get(a), f.get(b)) {
			out = append(out, f.field)
		}
	}
	return out
}

// chainClient is the policy in force on the filter chain of l named
// name: the chain's own on a port of TLS chains, else the port's.
func chainClient(l *ir.Listener, name string) *ir.ClientTraffic {
	if len(l.TLSChains) == 0 {
		return l.Client
	}
	for _, c := range l.TLSChains {
		if c.Name == name {
			return c.Client
		}
	}
	return nil
}

// inForceOn reports whether f is in force on l or on one of its chains.
func inForceOn(l *ir.Listener, f *ir.ClientTraffic) bool {
	if l.Client == f {
		return true
	}
	for _, c := range l.TLSChains {
		if c.Client == f {
			return true
		}
	}
	return false
}
