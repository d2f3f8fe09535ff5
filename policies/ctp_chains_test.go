package policies

import (
	"slices"
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// chainsGateway has one port, 443, with an HTTPS chain (listener www)
// and a passthrough chain (listener pass).
func chainsGateway() (Targets, *ir.Gateway) {
	targets := Targets{Gateways: []Gateway{{Namespace: "default", Name: "eg",
		Listeners: []string{"www", "pass"}, Ports: []uint32{443, 443}}}}
	g := &ir.Gateway{Namespace: "default", Name: "eg", Listeners: []*ir.Listener{
		{Name: "default/eg/443", Port: 443, TLSChains: []*ir.TLSChain{
			{Name: "default/eg/pass/tlsroute/default/pass", Listener: "pass", ServerNames: []string{"db.example.com"}, TCP: &ir.TCPProxy{Name: "pass"}},
			{Name: "default/eg/www", Listener: "www", ServerNames: []string{"www.example.com"}, Secrets: []string{"default/www-cert"}, HTTP: true},
		}},
	}}
	return targets, g
}

// chainsPolicy is a ClientTrafficPolicy of a chainsCase.
type chainsPolicy struct {
	name    string
	spec    egv1a1.ClientTrafficPolicySpec
	section string // "" for the Gateway
}

// chainsCase is a case of TestClientTrafficChains: policies on
// chainsGateway.
type chainsCase struct {
	policies []chainsPolicy
	// the policy (name) in force on each chain and for the port; ""
	// for none.
	www, pass, port string
	// conflict is the policy refused (Invalid) for its listener, and field
	// what its message must name.
	conflict, field string
}

// chainsCases are the cases of TestClientTrafficChains, by name.
func chainsCases() map[string]chainsCase {
	idle := gwapiv1.Duration("10m")
	tls13 := egv1a1.ClientTrafficPolicySpec{TLS: &egv1a1.ClientTLSSettings{TLSSettings: egv1a1.TLSSettings{MinVersion: ptrTo(egv1a1.TLSv13)}}}
	tcpIdle := egv1a1.ClientTrafficPolicySpec{Timeout: &egv1a1.ClientTimeout{TCP: &egv1a1.TCPClientTimeout{IdleTimeout: &idle}}}
	keepalive := tls13
	keepalive.TCPKeepalive = &egv1a1.TCPKeepalive{Probes: ptrTo(uint32(3))}
	h3 := tls13
	h3.HTTP3 = &egv1a1.HTTP3Settings{}
	return map[string]chainsCase{
		"own policy per chain": {
			policies: []chainsPolicy{{"www", tls13, "www"}, {"pass", tcpIdle, "pass"}},
			www:      "www", pass: "pass", port: "www",
		},
		"listener policy over gateway's": {
			policies: []chainsPolicy{{"edge", tcpIdle, ""}, {"www", tls13, "www"}},
			www:      "www", pass: "edge", port: "www",
		},
		"keepalive without gateway policy": {
			policies: []chainsPolicy{{"www", keepalive, "www"}},
			conflict: "www", field: "spec.tcpKeepalive",
		},
		"http3 against the gateway's": {
			policies: []chainsPolicy{{"edge", tcpIdle, ""}, {"www", h3, "www"}},
			www:      "edge", pass: "edge", port: "edge",
			conflict: "www", field: "spec.http3",
		},
		"same port-wide settings": {
			policies: []chainsPolicy{{"edge", keepalive, ""}, {"www", keepalive, "www"}},
			www:      "www", pass: "edge", port: "www",
		},
	}
}

func TestClientTrafficChains(t *testing.T) {
	t.Parallel()
	for tname, tc := range chainsCases() {
		t.Run(tname, func(t *testing.T) {
			t.Parallel()
			targets, g := chainsGateway()
			var ps []*egv1a1.ClientTrafficPolicy
			for _, p := range tc.policies {
				var sections []string
				if p.section != "" {
					sections = []string{p.section}
				}
				ps = append(ps, ctpPolicy(p.name, p.spec, sections...))
			}
			sts := ApplyClientTrafficPolicies(ClientTrafficInput{Policies: ps, Targets: targets}, []*ir.Gateway{g})
			checkChainClients(t, g.Listeners[0], tc)
			checkChainConflicts(t, sts, tc)
		})
	}
}

// clientPolicyName is the name of the policy c comes from, "" for none.
func clientPolicyName(c *ir.ClientTraffic) string {
	if c == nil {
		return ""
	}
	return c.Policy[strings.Index(c.Policy, "/")+1:]
}

// checkChainClients checks the policy in force on each chain of l and
// for the port.
func checkChainClients(t *testing.T, l *ir.Listener, tc chainsCase) {
	t.Helper()
	if got := clientPolicyName(l.TLSChains[1].Client); got != tc.www {
		t.Errorf("www chain: %q, want %q", got, tc.www)
	}
	if got := clientPolicyName(l.TLSChains[0].Client); got != tc.pass {
		t.Errorf("pass chain: %q, want %q", got, tc.pass)
	}
	if got := clientPolicyName(l.Client); got != tc.port {
		t.Errorf("port: %q, want %q", got, tc.port)
	}
}

// checkChainConflicts checks that only tc.conflict is refused (Invalid), with a
// message that names tc.field.
func checkChainConflicts(t *testing.T, sts []*status.Object, tc chainsCase) {
	t.Helper()
	for i, st := range sts {
		cond := st.Ancestors[0].Conditions[0]
		conflicted := cond.Reason == status.ReasonInvalid
		if want := tc.policies[i].name == tc.conflict; conflicted != want {
			t.Errorf("policy %s: %+v, conflicted want %v", tc.policies[i].name, cond, want)
		}
		if conflicted && !strings.Contains(cond.Message, tc.field) {
			t.Errorf("policy %s: message %q does not name %s", tc.policies[i].name, cond.Message, tc.field)
		}
	}
}

func TestPortWideDiff(t *testing.T) {
	t.Parallel()
	u := func(n uint32) *uint32 { return &n }
	tests := map[string]struct {
		a, b *ir.ClientTraffic
		want []string
	}{
		"none and empty":    {a: nil, b: &ir.ClientTraffic{RequestTimeout: ptrTo(ir.Duration(0))}},
		"equal values":      {a: &ir.ClientTraffic{TCPKeepalive: &ir.TCPKeepalive{Probes: u(3)}}, b: &ir.ClientTraffic{TCPKeepalive: &ir.TCPKeepalive{Probes: u(3)}}},
		"keepalive values":  {a: &ir.ClientTraffic{TCPKeepalive: &ir.TCPKeepalive{Probes: u(3)}}, b: &ir.ClientTraffic{TCPKeepalive: &ir.TCPKeepalive{Probes: u(4)}}, want: []string{"spec.tcpKeepalive"}},
		"connection limit":  {a: &ir.ClientTraffic{Connection: &ir.ClientConnection{Limit: ptrTo(uint64(5))}}, b: nil},
		"buffer and proxy":  {a: &ir.ClientTraffic{Connection: &ir.ClientConnection{BufferLimit: u(1024)}}, b: &ir.ClientTraffic{ProxyProtocol: &ir.ProxyProtocol{}}, want: []string{"spec.proxyProtocol", "spec.connection.bufferLimit"}},
		"inspection, http3": {a: &ir.ClientTraffic{InspectionTimeout: ptrTo(ir.Duration(0)), HTTP3: true}, b: nil, want: []string{"spec.timeout.tcp.connectionInspectionTimeout", "spec.http3"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := portWideDiff(tc.a, tc.b); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
