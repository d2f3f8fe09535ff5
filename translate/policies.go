package translate

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sluice-gitops/sluice/policies"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/load"
	"github.com/sluice-gitops/sluice/translate/status"
)

// Envoy Gateway's policy kinds are package policies' (attachment,
// validation, status, the Envoy config they produce). translate gives them
// a view of what they can target and copies their status into the
// Result. BackendTrafficPolicies, SecurityPolicies and
// EnvoyExtensionPolicies are attached before
// the IR is built, which is built with what they do (a policies.Plan:
// planPolicies here; InForce and ApplyRoute as each virtual host is
// built, irbuild.go; FinishGateway once a Gateway's routes are);
// ClientTrafficPolicies, which concern listeners only, are applied to the
// built IR (applyPolicies).

// planPolicies validates and attaches the BackendTrafficPolicies,
// SecurityPolicies and EnvoyExtensionPolicies, or returns nil when there
// are none. The Plan of the
// last translation, when kept, lends this one its equal values
// (incremental.go).
func (t *translator) planPolicies() *policies.Plan {
	if len(t.res.BackendTrafficPolicies) == 0 && len(t.res.SecurityPolicies) == 0 && len(t.res.EnvoyExtensionPolicies) == 0 {
		return nil
	}
	targets := t.attachTargetsOnce()
	return policies.NewPlan(policies.PlanInput{
		BackendTraffic: policies.BackendTrafficInput{
			Policies:  t.res.BackendTrafficPolicies,
			Targets:   targets,
			ConfigMap: t.configMap,

			RegexProgramSize: t.opts.RegexProgramSize,
		},
		Security: policies.SecurityInput{
			Policies:       t.res.SecurityPolicies,
			Targets:        targets,
			Secret:         t.coreSecret,
			SecretGranted:  t.securityPolicySecretGranted,
			BackendCluster: t.securityPolicyBackend,

			RegexProgramSize: t.opts.RegexProgramSize,
		},
		Extension: t.extensionInput(targets), // extensionpolicy.go
	}, t.memo.lastPlan())
}

// applyPolicies applies the ClientTrafficPolicies to the built IR and
// gives every policy its status.
func (t *translator) applyPolicies(gateways []*ir.Gateway) {
	if len(t.res.ClientTrafficPolicies) > 0 {
		ctp := policies.ApplyClientTrafficPolicies(policies.ClientTrafficInput{
			Policies:      t.res.ClientTrafficPolicies,
			Targets:       t.attachTargetsOnce(),
			Secret:        t.coreSecret,
			ConfigMap:     t.configMap,
			SecretGranted: t.clientTrafficPolicySecretGranted,

			RegexProgramSize: t.opts.RegexProgramSize,
		}, gateways)
		for _, st := range ctp {
			t.policyStatus(st)
		}
	}
	btp, sp := t.policies.Status()
	t.memo.keepPlan(t.policies)
	for _, st := range btp {
		t.policyStatus(st)
	}
	for _, st := range sp {
		t.policyStatus(st)
	}
	for _, st := range t.policies.ExtensionStatus() {
		t.policyStatus(st)
	}
}

// attachTargetsOnce is attachTargets, made once.
func (t *translator) attachTargetsOnce() policies.Targets {
	if t.targets == nil {
		tg := t.attachTargets()
		t.targets = &tg
	}
	return *t.targets
}

// attachTargets lists the managed Gateways with their listeners, and the
// routes (HTTP, GRPC, TCP, TLS and UDP) with the listeners they are
// attached through.
func (t *translator) attachTargets() policies.Targets {
	var tg policies.Targets
	parents := make(map[load.Key][]policies.Parent, len(t.res.HTTPRoutes))
	for _, g := range t.gateways {
		gw := policies.Gateway{Namespace: g.obj.Namespace, Name: g.obj.Name, Labels: g.obj.Labels}
		for _, l := range g.listeners {
			gw.Listeners = append(gw.Listeners, string(l.spec.Name))
			gw.Ports = append(gw.Ports, uint32(l.spec.Port))
			for _, ar := range l.routes {
				k := load.Key{Kind: ar.kind, Namespace: ar.route.Namespace, Name: ar.route.Name}
				parents[k] = append(parents[k], policies.Parent{Namespace: g.obj.Namespace, Name: g.obj.Name, Listener: string(l.spec.Name)})
			}
			for _, a := range l.l4 {
				k := load.Key{Kind: a.route.kind, Namespace: a.route.meta.Namespace, Name: a.route.meta.Name}
				parents[k] = append(parents[k], policies.Parent{Namespace: g.obj.Namespace, Name: g.obj.Name, Listener: string(l.spec.Name)})
			}
		}
		tg.Gateways = append(tg.Gateways, gw)
	}
	tg.Routes = make([]policies.Route, 0, len(t.res.HTTPRoutes)+len(t.res.GRPCRoutes)+len(t.res.TCPRoutes)+len(t.res.TLSRoutes)+len(t.res.UDPRoutes))
	for _, rt := range t.res.HTTPRoutes {
		tg.Routes = append(tg.Routes, policies.Route{Kind: "HTTPRoute", Namespace: rt.Namespace, Name: rt.Name, Labels: rt.Labels,
			Parents: parents[load.Key{Kind: "HTTPRoute", Namespace: rt.Namespace, Name: rt.Name}]})
	}
	for _, rt := range t.res.GRPCRoutes {
		tg.Routes = append(tg.Routes, policies.Route{Kind: "GRPCRoute", Namespace: rt.Namespace, Name: rt.Name, Labels: rt.Labels,
			Parents: parents[load.Key{Kind: "GRPCRoute", Namespace: rt.Namespace, Name: rt.Name}]})
	}
	l4 := func(kind string, meta metav1.ObjectMeta) {
		tg.Routes = append(tg.Routes, policies.Route{Kind: kind, Namespace: meta.Namespace, Name: meta.Name, Labels: meta.Labels,
			Parents: parents[load.Key{Kind: kind, Namespace: meta.Namespace, Name: meta.Name}]})
	}
	for _, rt := range t.res.TCPRoutes {
		l4(policies.KindTCPRoute, rt.ObjectMeta)
	}
	for _, rt := range t.res.TLSRoutes {
		l4(policies.KindTLSRoute, rt.ObjectMeta)
	}
	for _, rt := range t.res.UDPRoutes {
		l4(policies.KindUDPRoute, rt.ObjectMeta)
	}
	return tg
}

// configMap finds a ConfigMap, or nil.
func (t *translator) configMap(namespace, name string) *corev1.ConfigMap {
	for _, cm := range t.res.ConfigMaps {
		if cm.Namespace == namespace && cm.Name == name {
			return cm
		}
	}
	return nil
}

// coreSecret finds a Secret, or nil.
func (t *translator) coreSecret(namespace, name string) *corev1.Secret {
	for _, s := range t.res.Secrets {
		if s.Namespace == namespace && s.Name == name {
			return s
		}
	}
	return nil
}

// securityPolicySecretGranted reports whether a ReferenceGrant in
// secretNS lets SecurityPolicies of policyNS use the Secret
// (referencegrant.go).
func (t *translator) securityPolicySecretGranted(policyNS, secretNS, secretName string) bool {
	return t.res.refGranted(refFrom{group: groupEG, kind: policies.KindSecurityPolicy, namespace: policyNS},
		refTo{group: "", kind: "Secret", namespace: secretNS, name: secretName})
}

// policyStatus adds a policy's conditions, ancestors and attachments to
// its status in the Result.
func (t *translator) policyStatus(st *status.Object) {
	s := t.statusOf(st.Kind, st.Namespace, st.Name)
	s.Conditions = append(s.Conditions, st.Conditions...)
	s.Ancestors = append(s.Ancestors, st.Ancestors...)
	s.Attachments = append(s.Attachments, st.Attachments...)
}

// clientTrafficPolicySecretGranted reports whether a ReferenceGrant in
// secretNS lets ClientTrafficPolicies of policyNS use the Secret.
func (t *translator) clientTrafficPolicySecretGranted(policyNS, secretNS, secretName string) bool {
	return t.res.refGranted(refFrom{group: groupEG, kind: policies.KindClientTrafficPolicy, namespace: policyNS},
		refTo{group: "", kind: "Secret", namespace: secretNS, name: secretName})
}
