package translate

import (
	"fmt"

	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// RequestMirror: copies of a share of the requests go to another backend,
// whose answers are dropped (Envoy's request_mirror_policies). The backend
// is resolved like a backendRef; an unresolved one is left out and makes
// the route's ResolvedRefs False, as the spec asks.

func validateMirror(field string, f *gwapiv1.HTTPRequestMirrorFilter) []error {
	errs := validateBackendRef(field+".backendRef", f.BackendRef)
	if f.Percent != nil && f.Fraction != nil {
		errs = append(errs, fmt.Errorf("field %s: only one of percent or fraction may be specified", field))
	}
	if p := f.Percent; p != nil && (*p < 0 || *p > 100) {
		errs = append(errs, fmt.Errorf("field %s.percent: %d is out of range 0-100", field, *p))
	}
	if fr := f.Fraction; fr != nil {
		den := int32(100)
		if fr.Denominator != nil {
			den = *fr.Denominator
		}
		switch {
		case fr.Numerator < 0:
			errs = append(errs, fmt.Errorf("field %s.fraction.numerator: %d must not be negative", field, fr.Numerator))
		case den < 1:
			errs = append(errs, fmt.Errorf("field %s.fraction.denominator: %d must be at least 1", field, den))
		case fr.Numerator > den:
			errs = append(errs, fmt.Errorf("field %s.fraction: numerator must be less than or equal to denominator", field))
		}
	}
	return errs
}

// mirror resolves a mirror's backend. It returns the IR mirror and the
// cluster, or a nil cluster when the backend cannot be resolved (recorded
// in probs).
func (t *translator) mirror(routeKind, routeNS, field string, f *gwapiv1.HTTPRequestMirrorFilter, probs *refProblems) (ir.Mirror, *ir.Cluster) {
	c, why, msg := t.resolveBackendFrom(routeKind, routeNS, f.BackendRef, field+".backendRef")
	if why != "" {
		probs.add(why, msg)
		return ir.Mirror{}, nil
	}
	m := ir.Mirror{Cluster: c.Name}
	switch {
	case f.Percent != nil:
		m.Fraction = &ir.Fraction{Numerator: uint32(*f.Percent), Denominator: 100}
	case f.Fraction != nil:
		m.Fraction = &ir.Fraction{Numerator: uint32(f.Fraction.Numerator), Denominator: 100}
		if f.Fraction.Denominator != nil {
			m.Fraction.Denominator = uint32(*f.Fraction.Denominator)
		}
	}
	if fr := m.Fraction; fr != nil && fr.Numerator == fr.Denominator {
		m.Fraction = nil // every request
	}
	return m, c
}
