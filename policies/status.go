package policies

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Condition is a status condition; translate copies it into its own.
type Condition struct {
	Type    string
	Status  string
	Reason  string
	Message string
}

// AncestorStatus is a policy's status for one Gateway (or listener,
// NAMESPACE/NAME/LISTENER) it affects, as Gateway API's
// PolicyAncestorStatus.
type AncestorStatus struct {
	AncestorRef string
	Conditions  []Condition
}

// Status is the status of one policy object. Conditions hold problems
// that concern no ancestor (a targetRef to nothing, an invalid spec).
type Status struct {
	Kind, Namespace, Name string
	Conditions            []Condition
	Ancestors             []AncestorStatus
	// Attachments explain, per target the policy names, where it is in
	// force and where it lost to another policy.
	Attachments []Attachment
}

// Attachment says what became of a policy on one of its targets: the
// routes (or listeners) it is in force on through it, those where a more
// specific policy is in force instead, naming it, or the older policy
// that holds the whole target.
type Attachment struct {
	Target     string
	InForce    []string
	Overridden []string
	LostTo     string
}

// Condition types and reasons of policies (Gateway API's policy_types.go
// and Envoy Gateway's api/v1alpha1).
const (
	CondAccepted   = string(gwapiv1.PolicyConditionAccepted)
	CondOverridden = string(egv1a1.PolicyConditionOverridden)

	ReasonAccepted       = string(gwapiv1.PolicyReasonAccepted)
	ReasonConflicted     = string(gwapiv1.PolicyReasonConflicted)
	ReasonInvalid        = string(gwapiv1.PolicyReasonInvalid)
	ReasonTargetNotFound = string(gwapiv1.PolicyReasonTargetNotFound)
	ReasonOverridden     = string(egv1a1.PolicyReasonOverridden)
)
