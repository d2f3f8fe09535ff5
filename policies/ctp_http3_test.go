package policies

import (
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// http3Gateway has an HTTP port 80, an HTTPS port 443 (one HTTPS and one
// passthrough chain) and, with udp, a UDP listener on 443.
func http3Gateway(udp bool) (Targets, *ir.Gateway) {
	targets := Targets{Gateways: []Gateway{{Namespace: "default", Name: "eg",
		Listeners: []string{"http", "www", "pass"}, Ports: []uint32{80, 443, 443}}}}
	g := &ir.Gateway{Namespace: "default", Name: "eg", Listeners: []*ir.Listener{
		{Name: "default/eg/80", Port: 80},
		{Name: "default/eg/443", Port: 443, TLSChains: []*ir.TLSChain{
			{Name: "default/eg/pass", ServerNames: []string{"db.example.com"}, TCP: &ir.TCPProxy{Name: "pass"}},
			{Name: "default/eg/www", ServerNames: []string{"www.example.com"}, Secrets: []string{"default/www-cert"}, HTTP: true},
		}},
	}}
	if udp {
		targets.Gateways[0].Listeners = append(targets.Gateways[0].Listeners, "udp")
		targets.Gateways[0].Ports = append(targets.Gateways[0].Ports, 443)
		g.UDPListeners = []*ir.UDPListener{{Name: "default/eg/udp", Port: 443}}
	}
	return targets, g
}

func TestHTTP3(t *testing.T) {
	t.Parallel()
	on := egv1a1.ClientTrafficPolicySpec{HTTP3: &egv1a1.HTTP3Settings{}}
	validation := on
	validation.TLS = &egv1a1.ClientTLSSettings{ClientValidation: &egv1a1.ClientValidationContext{
		Mode: ptrTo(egv1a1.ClientValidationRequest),
	}}
	tests := map[string]struct {
		spec     egv1a1.ClientTrafficPolicySpec
		sections []string
		udp      bool
		// chains is the number of QUIC chains of port 443.
		chains   int
		accepted string // in the Accepted message
		warning  string // reason of a Warning condition
	}{
		"gateway":          {spec: on, chains: 1, accepted: "does nothing on port(s) 80"},
		"https listener":   {spec: on, sections: []string{"www", "pass"}, chains: 1},
		"http listener":    {spec: on, sections: []string{"http"}, accepted: "does nothing on port(s) 80"},
		"off":              {spec: egv1a1.ClientTrafficPolicySpec{}},
		"validation":       {spec: validation, warning: status.ReasonUnsupportedHTTP3ClientValidation},
		"udp on same port": {spec: on, sections: []string{"www", "pass"}, udp: true, warning: status.ReasonHTTP3PortInUse},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			targets, g := http3Gateway(tc.udp)
			sts := ApplyClientTrafficPolicies(ClientTrafficInput{
				Policies: []*egv1a1.ClientTrafficPolicy{ctpPolicy("edge", tc.spec, tc.sections...)},
				Targets:  targets,
			}, []*ir.Gateway{g})
			if got := len(HTTP3Chains(g, g.Listeners[1])); got != tc.chains {
				t.Errorf("QUIC chains on 443: %d, want %d", got, tc.chains)
			}
			if got := HTTP3Chains(g, g.Listeners[0]); len(got) != 0 {
				t.Errorf("QUIC chains on 80: %d, want none", len(got))
			}
			conds := sts[0].Ancestors[0].Conditions
			if conds[0].Type != status.CondAccepted || conds[0].Status != "True" {
				t.Fatalf("conditions %+v, want Accepted first", conds)
			}
			if msg := conds[0].Message; (tc.accepted == "") == strings.Contains(msg, "http3") || !strings.Contains(msg, tc.accepted) {
				t.Errorf("Accepted message %q, want %q", msg, tc.accepted)
			}
			var warning string
			for _, c := range conds {
				if c.Type == status.CondWarning {
					warning = c.Reason
				}
			}
			if warning != tc.warning {
				t.Errorf("Warning reason %q, want %q", warning, tc.warning)
			}
			if strings.Contains(conds[0].Message, "not supported by sluice") {
				t.Errorf("http3 named as unsupported: %q", conds[0].Message)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
