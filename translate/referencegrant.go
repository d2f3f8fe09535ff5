package translate

import (
	"fmt"
	"regexp"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/load"
)

// ReferenceGrant: a reference from an object in one namespace to an object
// in another is allowed only when a ReferenceGrant in the target's
// namespace trusts it: one of its from entries names the referring group,
// kind and namespace, and one of its to entries names the target's group
// and kind, and its name when the entry has one. The entries of each list
// are alternatives. A route attaching to a Gateway in another namespace is
// Gateway API's exception: allowedRoutes governs it, not grants.
//
// ReferenceGrant has no status. One the CRD schema would refuse is not
// read, with a warning (see validateReferenceGrant), so it grants nothing.

// refFrom is the referring side of a cross-namespace reference.
type refFrom struct {
	group, kind, namespace string
}

// refTo is the target of a cross-namespace reference; group "" is the
// core API group.
type refTo struct {
	group, kind, namespace, name string
}

func (t refTo) String() string {
	kind := t.kind
	if t.group != "" {
		kind = t.group + "/" + t.kind
	}
	return kind + " " + t.namespace + "/" + t.name
}

// refGranted reports whether a ReferenceGrant in the target's namespace
// allows the reference.
func (r *Resources) refGranted(from refFrom, to refTo) bool {
	for _, g := range r.idx().grants[to.namespace] {
		if grantsFrom(g, from) && grantsTo(g, to) {
			return true
		}
	}
	return false
}

func grantsFrom(g *gwapiv1.ReferenceGrant, from refFrom) bool {
	for _, f := range g.Spec.From {
		if string(f.Group) == from.group && string(f.Kind) == from.kind && string(f.Namespace) == from.namespace {
			return true
		}
	}
	return false
}

func grantsTo(g *gwapiv1.ReferenceGrant, to refTo) bool {
	for _, t := range g.Spec.To {
		if string(t.Group) == to.group && string(t.Kind) == to.kind && (t.Name == nil || string(*t.Name) == to.name) {
			return true
		}
	}
	return false
}

// The CRD patterns of Group and Kind.
var (
	groupPattern = regexp.MustCompile(`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	kindPattern  = regexp.MustCompile(`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`)
)

// validateReferenceGrant makes the checks of the ReferenceGrant CRD
// schema; the error is a *load.ObjectError.
func validateReferenceGrant(g *gwapiv1.ReferenceGrant) error {
	var p load.Problems
	if n := len(g.Spec.From); n < 1 || n > 16 {
		p.Add("spec.from", "field spec.from: has %d entries; 1 to 16 are required", n)
	}
	for i, f := range g.Spec.From {
		field := fmt.Sprintf("spec.from[%d]", i)
		if msg := groupKindProblem(field, string(f.Group), string(f.Kind)); msg != "" {
			p.Add("spec.from", "%s", msg)
		}
		if !validLabel(string(f.Namespace)) {
			p.Add("spec.from.namespace", "field %s.namespace: %q is not a namespace name (an RFC 1123 label)", field, f.Namespace)
		}
	}
	if n := len(g.Spec.To); n < 1 || n > 16 {
		p.Add("spec.to", "field spec.to: has %d entries; 1 to 16 are required", n)
	}
	for i, t := range g.Spec.To {
		field := fmt.Sprintf("spec.to[%d]", i)
		if msg := groupKindProblem(field, string(t.Group), string(t.Kind)); msg != "" {
			p.Add("spec.to", "%s", msg)
		}
		if t.Name != nil && (len(*t.Name) < 1 || len(*t.Name) > 253) {
			p.Add("spec.to.name", "field %s.name: must be 1 to 253 characters long", field)
		}
	}
	return p.Err()
}

func groupKindProblem(field, group, kind string) string {
	switch {
	case len(group) > 253 || !groupPattern.MatchString(group):
		return fmt.Sprintf("field %s.group: %q is not an API group name", field, group)
	case kind == "":
		return fmt.Sprintf("field %s.kind: Required value", field)
	case len(kind) > 63 || !kindPattern.MatchString(kind):
		return fmt.Sprintf("field %s.kind: %q is not a kind name", field, kind)
	}
	return ""
}

// validLabel checks an RFC 1123 label: lowercase letters, digits and
// inner dashes, 1 to 63 characters.
func validLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
