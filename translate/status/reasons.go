package status

// Condition types of Gateway API (route, Gateway, listener and policy
// conditions) and of Envoy Gateway's policies.
const (
	CondAccepted     = "Accepted"
	CondResolvedRefs = "ResolvedRefs"
	CondProgrammed   = "Programmed"
	CondConflicted   = "Conflicted"
	// CondOverridden and CondWarning are Envoy Gateway's policy
	// conditions (api/v1alpha1: PolicyConditionOverridden, Warning).
	CondOverridden = "Overridden"
	CondWarning    = "Warning"
)

// Condition reasons of Gateway API.
const (
	ReasonAccepted                = "Accepted"
	ReasonProgrammed              = "Programmed"
	ReasonResolvedRefs            = "ResolvedRefs"
	ReasonInvalid                 = "Invalid"
	ReasonInvalidParameters       = "InvalidParameters"
	ReasonNoConflicts             = "NoConflicts"
	ReasonProtocolConflict        = "ProtocolConflict"
	ReasonHostnameConflict        = "HostnameConflict"
	ReasonUnsupportedProtocol     = "UnsupportedProtocol"
	ReasonInvalidRouteKinds       = "InvalidRouteKinds"
	ReasonListenersNotValid       = "ListenersNotValid"
	ReasonNoMatchingParent        = "NoMatchingParent"
	ReasonNotAllowedByListeners   = "NotAllowedByListeners"
	ReasonNoReadyListeners        = "NoReadyListeners"
	ReasonNoMatchingListenerHost  = "NoMatchingListenerHostname"
	ReasonUnsupportedValue        = "UnsupportedValue"
	ReasonBackendNotFound         = "BackendNotFound"
	ReasonInvalidKind             = "InvalidKind"
	ReasonRefNotPermitted         = "RefNotPermitted"
	ReasonUnsupportedRefValue     = "UnsupportedRefValue"
	ReasonUnsupportedGatewayClass = "InvalidGatewayClass"
	// ReasonInvalidCertificateRef is a listener's TLS reason.
	ReasonInvalidCertificateRef = "InvalidCertificateRef"
)

// Policy condition reasons of Gateway API (policy_types.go and
// BackendTLSPolicy's) and of Envoy Gateway.
const (
	ReasonConflicted              = "Conflicted"
	ReasonTargetNotFound          = "TargetNotFound"
	ReasonNoValidCACertificate    = "NoValidCACertificate"
	ReasonInvalidCACertificateRef = "InvalidCACertificateRef"
	// ReasonOverridden is Envoy Gateway's: a more specific policy is in
	// force instead.
	ReasonOverridden = "Overridden"
	// ReasonUnsupportedHTTP3ClientValidation: ClientTrafficPolicy http3
	// is off because the policy validates client certificates, which
	// Envoy cannot do over QUIC (Envoy Gateway's reason).
	ReasonUnsupportedHTTP3ClientValidation = "UnsupportedHTTP3ClientValidation"
	// ReasonHTTP3PortInUse: a UDP listener of the Gateway binds the port
	// the QUIC listener would.
	ReasonHTTP3PortInUse = "HTTP3PortInUse"
)
