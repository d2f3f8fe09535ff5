package translate

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/status"
)

// BackendTLSPolicy makes Envoy originate TLS to a Service or an Envoy
// Gateway Backend: every cluster of the Service's ports (the port named by
// targetRefs[].sectionName, or all of them), or the Backend's one cluster,
// gets an UpstreamTlsContext with the policy's hostname as
// SNI, its CA bundle (the ca.crt of ConfigMaps, or the system's trust
// store for wellKnownCACertificates: System) and the names the backend's
// certificate must carry: the hostname, or subjectAltNames when given.
//
// Precedence, as the spec asks: the oldest policy (then namespace/name)
// takes a Service and sectionName; a later one on the same target is
// Accepted False, Conflicted. A policy for one port wins over a policy for
// the whole Service on that port; that is no conflict (the spec calls
// them different targets).
//
// Fail closed: when a CA reference of the policy in force is invalid,
// its Service's clusters get no endpoints, so Envoy answers 503 to their
// share of a route's requests: the spec asks that connections using an
// invalid CACertificateRef fail with a 5xx (here even when other
// references are valid).
//
// Status: per ancestor, the Gateways whose routes use the Service;
// without any, the conditions are the policy's own.

// tlsPolicyState is one BackendTLSPolicy during translation.
type tlsPolicyState struct {
	obj        *gwapiv1.BackendTLSPolicy
	conditions []status.Condition
	tls        *ir.UpstreamTLS // nil when the policy cannot be applied
	targets    []string        // service/<ns>/<name>/<port> cluster names it aims at
}

// processBackendTLSPolicies checks every policy and decides which one is
// in force on each Service port; serviceCluster applies it.
func (t *translator) processBackendTLSPolicies() {
	policies := append([]*gwapiv1.BackendTLSPolicy(nil), t.res.BackendTLSPolicies...)
	created := func(p *gwapiv1.BackendTLSPolicy) string { return p.CreationTimestamp.UTC().Format(time.RFC3339) }
	sort.SliceStable(policies, func(i, j int) bool {
		if a, b := created(policies[i]), created(policies[j]); a != b {
			return a < b
		}
		return policies[i].Namespace+"/"+policies[i].Name < policies[j].Namespace+"/"+policies[j].Name
	})
	t.tlsPolicies = map[string]*tlsPolicyState{}
	taken := map[string]*tlsPolicyState{} // by cluster name and "section" or "all"
	for _, p := range policies {
		ps := &tlsPolicyState{obj: p}
		t.tlsPolicyList = append(t.tlsPolicyList, ps)
		if err := validateBackendTLSPolicy(p); err != nil {
			ps.conditions = []status.Condition{status.New(status.CondAccepted, false, status.ReasonInvalid, strings.ReplaceAll(err.Error(), "\n", "; "))}
			continue
		}
		accepted, resolved := t.resolveCACertificates(ps)
		var conflicts, missing []string
		claims := map[string]string{}
		for i, ref := range p.Spec.TargetRefs {
			names, why := t.policyTargets(p.Namespace, ref)
			if why != "" {
				missing = append(missing, fmt.Sprintf("field spec.targetRefs[%d]: %s", i, why))
				continue
			}
			scope := "all"
			if ref.SectionName != nil {
				scope = "section"
			}
			var older *tlsPolicyState
			for _, n := range names {
				ps.targets = append(ps.targets, n)
				if other := taken[n+"#"+scope]; other != nil {
					older = other
					continue
				}
				claims[n+"#"+scope] = n
			}
			if older != nil {
				conflicts = append(conflicts, fmt.Sprintf("field spec.targetRefs[%d]: BackendTLSPolicy %s/%s is older and already targets it", i, older.obj.Namespace, older.obj.Name))
			}
		}
		switch {
		case len(missing) > 0 && len(ps.targets) == 0:
			accepted = status.New(status.CondAccepted, false, status.ReasonTargetNotFound, strings.Join(missing, "; "))
		case len(conflicts) > 0:
			accepted = status.New(status.CondAccepted, false, status.ReasonConflicted, strings.Join(conflicts, "; "))
		}
		ps.conditions = []status.Condition{accepted, resolved}
		if accepted.Reason == status.ReasonTargetNotFound || accepted.Reason == status.ReasonConflicted {
			continue
		}
		for key, n := range claims {
			taken[key] = ps
			if strings.HasSuffix(key, "#section") || t.tlsPolicies[n] == nil {
				t.tlsPolicies[n] = ps
			}
		}
	}
}

// policyTargets returns the names of the Service clusters a targetRef
// aims at, or why it aims at none.
func (t *translator) policyTargets(ns string, ref gwapiv1.LocalPolicyTargetReferenceWithSectionName) ([]string, string) {
	if string(ref.Group) == groupEG && ref.Kind == "Backend" {
		// A Backend is one cluster, whatever its ports: a sectionName
		// does not narrow it.
		if t.res.idx().backends[ns+"/"+string(ref.Name)] == nil {
			return nil, fmt.Sprintf("Backend %s/%s does not exist", ns, ref.Name)
		}
		return []string{"backend/" + ns + "/" + string(ref.Name)}, ""
	}
	if ref.Group != "" || ref.Kind != "Service" {
		return nil, fmt.Sprintf("%s/%s is not a supported target; target a core Service or a %s/Backend", ref.Group, ref.Kind, groupEG)
	}
	svc := t.res.idx().services[ns+"/"+string(ref.Name)]
	if svc == nil {
		return nil, fmt.Sprintf("Service %s/%s does not exist", ns, ref.Name)
	}
	var names []string
	for _, p := range svc.Spec.Ports {
		if ref.SectionName == nil || string(*ref.SectionName) == p.Name {
			names = append(names, fmt.Sprintf("service/%s/%s/%d", ns, svc.Name, p.Port))
		}
	}
	if len(names) == 0 {
		return nil, fmt.Sprintf("Service %s/%s has no port named %q (its ports: %s)", ns, svc.Name, deref((*string)(ref.SectionName)), portList(svc.Spec.Ports))
	}
	return names, ""
}

// resolveCACertificates resolves the CA bundle of a valid policy, sets
// ps.tls when every reference is valid, and returns the Accepted and
// ResolvedRefs conditions.
func (t *translator) resolveCACertificates(ps *tlsPolicyState) (status.Condition, status.Condition) {
	v := ps.obj.Spec.Validation
	tls := &ir.UpstreamTLS{SNI: string(v.Hostname), Policy: ps.obj.Namespace + "/" + ps.obj.Name}
	for _, san := range v.SubjectAltNames {
		if san.Type == gwapiv1.URISubjectAltNameType {
			tls.SubjectAltNames = append(tls.SubjectAltNames, ir.SubjectAltName{URI: string(san.URI)})
		} else {
			tls.SubjectAltNames = append(tls.SubjectAltNames, ir.SubjectAltName{DNS: string(san.Hostname)})
		}
	}
	if len(tls.SubjectAltNames) == 0 {
		tls.SubjectAltNames = []ir.SubjectAltName{{DNS: string(v.Hostname)}}
	}
	accepted := status.New(status.CondAccepted, true, status.ReasonAccepted, "Policy is accepted")
	resolved := status.New(status.CondResolvedRefs, true, status.ReasonResolvedRefs, "all references are resolved")
	if w := v.WellKnownCACertificates; w != nil && *w != "" {
		if *w != gwapiv1.WellKnownCACertificatesSystem {
			return status.New(status.CondAccepted, false, status.ReasonInvalid, fmt.Sprintf("field spec.validation.wellKnownCACertificates: %q is not supported; use System", *w)), resolved
		}
		tls.SystemCAs = true
		ps.tls = tls
		return accepted, resolved
	}
	var probs refProblems
	var bundle []string
	for i, ref := range v.CACertificateRefs {
		f := fmt.Sprintf("spec.validation.caCertificateRefs[%d]", i)
		if ref.Group != "" || ref.Kind != "ConfigMap" {
			probs.add(status.ReasonInvalidKind, fmt.Sprintf("field %s.kind: %s/%s is not supported; use a core ConfigMap", f, ref.Group, ref.Kind))
			continue
		}
		pem, why := t.configMapCA(ps.obj.Namespace, string(ref.Name))
		if why != "" {
			probs.add(status.ReasonInvalidCACertificateRef, fmt.Sprintf("field %s.name: %s", f, why))
			continue
		}
		bundle = append(bundle, pem)
	}
	if probs.reason != "" {
		resolved = status.New(status.CondResolvedRefs, false, probs.reason, strings.Join(probs.msgs, "; ")+"; connections to the target fail (503)")
		if len(bundle) == 0 {
			accepted = status.New(status.CondAccepted, false, status.ReasonNoValidCACertificate, "no caCertificateRef is valid")
		}
		return accepted, resolved
	}
	tls.CACertificates = strings.Join(bundle, "")
	ps.tls = tls
	return accepted, resolved
}

// configMapCA returns the ca.crt of a ConfigMap, checked to hold PEM
// certificates, or why it cannot be used.
func (t *translator) configMapCA(ns, name string) (string, string) {
	var cm *corev1.ConfigMap
	for _, c := range t.res.ConfigMaps {
		if c.Namespace == ns && c.Name == name {
			cm = c
		}
	}
	if cm == nil {
		return "", fmt.Sprintf("ConfigMap %s/%s does not exist", ns, name)
	}
	data, ok := cm.Data["ca.crt"]
	if !ok {
		return "", fmt.Sprintf("ConfigMap %s/%s has no key ca.crt", ns, name)
	}
	rest, n := []byte(data), 0
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if _, err := x509.ParseCertificate(b.Bytes); b.Type != "CERTIFICATE" || err != nil {
			return "", fmt.Sprintf("ConfigMap %s/%s: ca.crt holds a PEM block that is not a certificate", ns, name)
		}
		n++
	}
	if n == 0 {
		return "", fmt.Sprintf("ConfigMap %s/%s: ca.crt holds no PEM certificate", ns, name)
	}
	if !strings.HasSuffix(data, "\n") {
		data += "\n"
	}
	return data, ""
}

// validateBackendTLSPolicy makes the checks of the CRD schema and CEL
// rules.
func validateBackendTLSPolicy(p *gwapiv1.BackendTLSPolicy) error {
	var errs []error
	refs := p.Spec.TargetRefs
	if len(refs) == 0 || len(refs) > 16 {
		errs = append(errs, fmt.Errorf("field spec.targetRefs: %d targets; 1 to 16 are allowed", len(refs)))
	}
	seen, sections := map[string]bool{}, map[string]map[bool]bool{}
	for _, r := range refs {
		target := fmt.Sprintf("%s/%s/%s", r.Group, r.Kind, r.Name)
		section := deref((*string)(r.SectionName))
		if seen[target+"/"+section] {
			errs = append(errs, errors.New("field spec.targetRefs: sectionName must be unique when targetRefs includes 2 or more references to the same target"))
		}
		seen[target+"/"+section] = true
		if sections[target] == nil {
			sections[target] = map[bool]bool{}
		}
		if sections[target][section == ""] = true; len(sections[target]) == 2 {
			errs = append(errs, errors.New("field spec.targetRefs: sectionName must be specified when targetRefs includes 2 or more references to the same target"))
		}
	}
	v := p.Spec.Validation
	hasRefs, hasWellKnown := len(v.CACertificateRefs) > 0, v.WellKnownCACertificates != nil && *v.WellKnownCACertificates != ""
	switch {
	case hasRefs && hasWellKnown:
		errs = append(errs, errors.New("field spec.validation: must not contain both CACertificateRefs and WellKnownCACertificates"))
	case !hasRefs && !hasWellKnown:
		errs = append(errs, errors.New("field spec.validation: must specify either CACertificateRefs or WellKnownCACertificates"))
	}
	if !validHostname(string(v.Hostname), false) {
		errs = append(errs, fmt.Errorf("field spec.validation.hostname: %q is not a valid precise hostname", v.Hostname))
	}
	for i, san := range v.SubjectAltNames {
		f := fmt.Sprintf("spec.validation.subjectAltNames[%d]", i)
		switch san.Type {
		case gwapiv1.HostnameSubjectAltNameType:
			if san.Hostname == "" || san.URI != "" {
				errs = append(errs, fmt.Errorf("field %s: SubjectAltName element must contain Hostname, and not URI, if Type is set to Hostname", f))
			} else if !validHostname(string(san.Hostname), true) {
				errs = append(errs, fmt.Errorf("field %s.hostname: %q is not a valid hostname", f, san.Hostname))
			}
		case gwapiv1.URISubjectAltNameType:
			if san.URI == "" || san.Hostname != "" {
				errs = append(errs, fmt.Errorf("field %s: SubjectAltName element must contain URI, and not Hostname, if Type is set to URI", f))
			} else if !strings.Contains(string(san.URI), ":") {
				errs = append(errs, fmt.Errorf("field %s.uri: %q is not an absolute URI", f, san.URI))
			}
		default:
			errs = append(errs, fmt.Errorf("field %s.type: %q is not one of Hostname, URI", f, san.Type))
		}
	}
	return errors.Join(errs...)
}

// applyTLSPolicy gives a Service or Backend cluster the TLS of the policy in force
// on it. When that policy has invalid CA references, the cluster loses
// its endpoints (fail closed) and a warning says why.
func (t *translator) applyTLSPolicy(c *ir.Cluster) {
	ps := t.tlsPolicies[c.Name]
	switch {
	case ps == nil:
	case ps.tls == nil:
		c.DNS, c.Endpoints = false, nil
		loc := t.res.Where("BackendTLSPolicy", ps.obj.Namespace, ps.obj.Name)
		t.warnings = append(t.warnings, fmt.Sprintf("%s: BackendTLSPolicy %s/%s: its CA certificates are invalid; cluster %s has no endpoints: Envoy answers 503", loc, ps.obj.Namespace, ps.obj.Name, c.Name))
	default:
		c.TLS = ps.tls
	}
}

// tlsPolicyStatus writes each policy's conditions, per ancestor Gateway:
// those whose clusters include one the policy targets.
func (t *translator) tlsPolicyStatus() {
	for _, ps := range t.tlsPolicyList {
		s := t.statusOf("BackendTLSPolicy", ps.obj.Namespace, ps.obj.Name)
		for _, g := range t.gateways {
			if usesAny(g, ps.targets) {
				s.Parents = append(s.Parents, status.Parent{ParentRef: g.obj.Namespace + "/" + g.obj.Name, Conditions: ps.conditions})
			}
		}
		if len(s.Parents) == 0 {
			s.Conditions = ps.conditions
		}
	}
}

func usesAny(g *gatewayState, names []string) bool {
	for _, n := range names {
		if g.clusters[n] != nil || g.clusters[n+"/h2"] != nil {
			return true
		}
	}
	return false
}
