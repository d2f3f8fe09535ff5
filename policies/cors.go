package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
)

// SecurityPolicy cors. (scaffold: to be implemented)

// spAccessFields are the SecurityPolicy spec fields cors.go and
// extauth.go implement.
var spAccessFields = map[string]bool{}

// corsSpec checks spec.cors and writes it into f.
func corsSpec(f *spFeatures, p *egv1a1.SecurityPolicy, in SecurityInput) []string { return nil }
