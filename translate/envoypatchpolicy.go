package translate

// EnvoyPatchPolicy. (scaffold: to be implemented)

// applyEnvoyPatches applies the EnvoyPatchPolicies to the xDS of their
// Gateways.
func (t *translator) applyEnvoyPatches(gateways []*GatewayResult) {}
