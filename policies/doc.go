// Package policies will own each Envoy Gateway policy kind end to end
// (SecurityPolicy, BackendTrafficPolicy, ClientTrafficPolicy, ...): how it
// attaches to its targets, its validation and status, and the Envoy filter
// configuration it produces, one file per feature.
//
// It must not import translate (translate imports it).
package policies
