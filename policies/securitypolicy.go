package policies

import (
	"fmt"
	"slices"
	"sort"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sluice-gitops/sluice/translate/fields"
	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// SecurityPolicy: attachment (attach.go), validation and status here, one
// file per feature for what it configures: oidc.go (spec.oidc), jwt.go
// (spec.jwt), authz.go (spec.authorization).
//
// Security fails closed. A policy whose spec is invalid, or uses a field
// sluice does not implement, is Accepted=False, reason Invalid, naming the
// field, and still attaches: every route it would be in force on answers
// 500, as Envoy Gateway answers for a route whose SecurityPolicy it cannot
// translate. Dropping the policy instead would serve those routes without
// the authentication or authorization they were meant to have.

// KindSecurityPolicy is the policy kind.
const KindSecurityPolicy = "SecurityPolicy"

// failClosedStatus is what a route under an invalid SecurityPolicy answers.
const failClosedStatus = 500

// SecurityInput is what a Plan reads of SecurityPolicies.
type SecurityInput struct {
	// Policies in a stable order (namespace, name).
	Policies []*egv1a1.SecurityPolicy
	Targets  Targets
	// Secret finds a core Secret (oidc clientSecret), nil when there is
	// none.
	Secret func(namespace, name string) *corev1.Secret
	// SecretGranted reports whether a ReferenceGrant lets
	// SecurityPolicies of policyNS use the Secret.
	SecretGranted func(policyNS, secretNS, secretName string) bool
	// BackendCluster resolves extAuth's backendRefs (extauth.go).
	BackendCluster BackendResolver
	// RegexProgramSize bounds the RE2 program size of the regexes sent to
	// Envoy (fields.Regex; 0 is Envoy's default).
	RegexProgramSize int
}

// spFeatures is what one policy does: its IR, the JWKS and token
// endpoint clusters and the SDS secrets it needs, or why it is invalid.
// It is not changed once spSpec has made it: a Plan may hand it to the
// next one (plan.go).
type spFeatures struct {
	security *ir.Security
	clusters []*ir.Cluster
	secrets  []*ir.Secret
	invalid  []error
}

// spPlan is the SecurityPolicies of a revision, validated and attached
// before the IR is built (plan.go). Invalid policies attach too: their
// routes fail closed.
type spPlan struct {
	keys     []string // NAMESPACE/NAME, in input order
	features []*spFeatures
	att      *Attachments
	// bySecurity finds the valid features by their ir.Security.
	bySecurity map[*ir.Security]*spFeatures
}

// newSPPlan validates and attaches the policies of in. A policy whose
// features equal those it had in prev keeps prev's.
func newSPPlan(in SecurityInput, prev *spPlan) *spPlan {
	s := &spPlan{keys: make([]string, len(in.Policies)), features: make([]*spFeatures, len(in.Policies)),
		bySecurity: map[*ir.Security]*spFeatures{}}
	attach := make([]Policy, len(in.Policies))
	for i, p := range in.Policies {
		s.keys[i] = p.Namespace + "/" + p.Name
		f := spSpec(p, in)
		if prev != nil {
			if k := slices.Index(prev.keys, s.keys[i]); k >= 0 {
				f = interned(f, prev.features[k])
			}
		}
		s.features[i] = f
		if f.security != nil {
			s.bySecurity[f.security] = f
		}
		attach[i] = Policy{Kind: KindSecurityPolicy, Namespace: p.Namespace, Name: p.Name,
			Created: p.CreationTimestamp.Time, Targets: p.Spec.PolicyTargetReferences}
	}
	s.att = Attach(attach, in.Targets)
	return s
}

// applyRoute writes what policy f does into route r; an invalid policy
// makes it fail closed.
func (f *spFeatures) applyRoute(r *ir.Route) {
	if len(f.invalid) > 0 {
		failClosed(r)
		return
	}
	r.Security = f.security
	r.CORS = routeCORS(r.CORS, f.security)
}

// finish adds to g the clusters its JWKS and token endpoints are fetched
// from and its OIDC secrets, for the policies in force on its routes,
// in route order. g.Clusters is left unsorted.
func (s *spPlan) finish(g *ir.Gateway) {
	var last *ir.Security
	done := map[*spFeatures]bool{}
	addedSecrets := false
	forEachVirtualHost(g, func(vh *ir.VirtualHost) {
		for _, r := range vh.Routes {
			if r.Security == nil || r.Security == last {
				continue
			}
			last = r.Security
			f := s.bySecurity[r.Security]
			if f == nil || done[f] {
				continue
			}
			done[f] = true
			for _, c := range f.clusters {
				addCluster(g, c)
			}
			for _, sec := range f.secrets {
				addedSecrets = addSecret(g, sec) || addedSecrets
			}
		}
	})
	if addedSecrets {
		sort.Slice(g.Secrets, func(a, b int) bool { return g.Secrets[a].Name < g.Secrets[b].Name })
	}
}

// status returns the status of every policy, in input order.
func (s *spPlan) status() []*status.Object {
	statuses := make([]*status.Object, len(s.features))
	for i, f := range s.features {
		st := s.att.Status(i)
		if errs := f.invalid; len(errs) > 0 {
			invalidate(st, fields.Reason(errs), fields.Message(errs)+"; the routes it is in force on answer "+fmt.Sprint(failClosedStatus))
		}
		statuses[i] = st
	}
	return statuses
}

// failClosed makes a route answer failClosedStatus and nothing else.
func failClosed(r *ir.Route) {
	r.DirectStatus = failClosedStatus
	r.Direct, r.Redirect, r.Backends, r.Rewrite, r.Mirrors = nil, nil, nil, nil, nil
}

// addCluster adds c to g unless g has a cluster of that name; it reports
// whether it did.
func addCluster(g *ir.Gateway, c *ir.Cluster) bool {
	for _, have := range g.Clusters {
		if have.Name == c.Name {
			return false
		}
	}
	cp := *c
	g.Clusters = append(g.Clusters, &cp)
	return true
}

// addSecret adds s to g unless g has a secret of that name; it reports
// whether it did.
func addSecret(g *ir.Gateway, s *ir.Secret) bool {
	for _, have := range g.Secrets {
		if have.Name == s.Name {
			return false
		}
	}
	g.Secrets = append(g.Secrets, s)
	return true
}

// invalidate turns the Accepted conditions of a status into
// Accepted=False with reason and msg; a policy that affects no Gateway
// gets the condition at the top.
func invalidate(st *status.Object, reason, msg string) {
	c := status.New(status.CondAccepted, false, reason, msg)
	if len(st.Ancestors) == 0 {
		if len(st.Conditions) > 0 {
			st.Conditions[0].Message += "; " + msg
			return
		}
		st.Conditions = []status.Condition{c}
		return
	}
	for a := range st.Ancestors {
		conds := st.Ancestors[a].Conditions
		for k := range conds {
			if conds[k].Type == status.CondAccepted && conds[k].Status == "True" {
				conds[k] = c
			}
		}
	}
}

// spSpec checks a policy's spec (schema, CEL rules and what sluice
// supports) and returns what it does or, in invalid, every problem, each
// naming its field.
func spSpec(p *egv1a1.SecurityPolicy, in SecurityInput) *spFeatures {
	name := "securitypolicy/" + p.Namespace + "/" + p.Name
	f := &spFeatures{security: &ir.Security{Policy: name}}
	var errs fields.List
	for _, field := range spUnsupported(p.Spec) {
		errs.Add(field, "is not supported by sluice")
	}
	// A policy that sets no feature is valid, as in Envoy Gateway: where
	// it is in force (a route over its Gateway's policy) the routes are
	// open, which is how a team opts a route out of its Gateway's policy.
	if p.Spec.OIDC != nil {
		o, c, secrets, problems := oidcSpec("spec.oidc", name, p.Namespace, p.Spec.OIDC, in)
		f.security.OIDC, f.secrets = o, secrets
		if c != nil {
			f.clusters = append(f.clusters, c)
		}
		errs = append(errs, problems...)
	}
	if p.Spec.JWT != nil {
		j, clusters, problems := jwtSpec("spec.jwt", p.Spec.JWT)
		f.security.JWT = j
		f.clusters = append(f.clusters, clusters...)
		errs = append(errs, problems...)
	}
	if p.Spec.Authorization != nil {
		a, problems := authzSpec("spec.authorization", p.Spec.Authorization, f.security.JWT)
		f.security.Authorization = a
		errs = append(errs, problems...)
	}
	// Each feature checks its own field and writes into f (basicauth.go,
	// apikeyauth.go, cors.go, extauth.go); a nil field is a no-op.
	errs = append(errs, basicAuthSpec(f, p, in)...)
	errs = append(errs, apiKeyAuthSpec(f, p, in)...)
	errs = append(errs, corsSpec(f, p, in)...)
	errs = append(errs, extAuthSpec(f, p, in)...)
	if len(errs) > 0 {
		return &spFeatures{invalid: errs}
	}
	return f
}

// spImplemented are the spec fields sluice implements: the core ones and
// each feature file's.
var spImplemented = unionSets(map[string]bool{
	"targetRef": true, "targetRefs": true, "targetSelectors": true,
	"oidc": true, "jwt": true, "authorization": true,
}, spAuthnFields, spAccessFields)

// unionSets returns a set holding the members of every set.
func unionSets(sets ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range sets {
		for k, v := range s {
			out[k] = out[k] || v
		}
	}
	return out
}

// spUnsupported names the set top-level spec fields sluice does not
// implement, sorted. Unlike BackendTrafficPolicy's, they make the policy
// invalid: ignoring a security feature would open the route.
func spUnsupported(spec egv1a1.SecurityPolicySpec) []string {
	return unimplemented("spec", spec, spImplemented)
}
