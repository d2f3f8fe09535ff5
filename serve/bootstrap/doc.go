// Package bootstrap owns the Envoy bootstrap that sluice hands to operators
// (`sluice bootstrap`): a static cluster that reaches sluice's ADS server
// over HTTP/2, CDS and LDS over ADS, and node.cluster naming the Gateway the
// Envoy serves ("NAMESPACE/NAME"), which is how serve maps an Envoy to its
// snapshot; on request (Options.RegexProgramSize, runtime.go), a layered
// runtime that raises Envoy's limit on the RE2 program size of regexes.
//
// It is a pure function of its Options and must not import the rest of serve
// or translate.
package bootstrap
