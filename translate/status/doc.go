// Package status is the status vocabulary that translate and policies
// share: conditions, an object's status with its listeners, route parents
// and policy ancestors and attachments, and the Gateway API and Envoy
// Gateway condition types and reasons.
//
// The JSON and YAML tags are part of sluice's printed output (validate,
// the golden files, the revision store): changing one changes them.
//
// It must not import translate or policies (both import it).
package status
