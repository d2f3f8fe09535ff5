// Package publish is the xDS publisher: it serves each gateway's snapshot
// to its Envoys over ADS (SotW and delta) and over the per-type services
// (CDS, EDS, LDS, RDS without ADS), which are the same streams fixed to one
// type, and tracks what every Envoy ACKed and NACKed (tracker.go),
// reporting it as Events.
//
// ADS is served by ads.go, adssotw.go and adsdelta.go over the gateway's
// shared snapshot state rather than by go-control-plane's server, whose
// per-stream subscription and version maps cost ~100 KiB per connected
// Envoy; go-control-plane's types and snapshots are used throughout. A
// resource is marshalled once per snapshot (marshal.go), every resource,
// type and snapshot has a version derived from its content (versions.go:
// a type is sent only when its version moved) and a SotW response is
// encoded once for every Envoy of a gateway (adscodec.go).
// xdstls.go serves xDS over TLS, with client certificates. bounds.go
// bounds what a client can make sluice keep: text clipped (Clip) and
// streams limited (StreamLimits). Envoys whose gateway was never Set are
// served the unknown gateways' snapshot (SetUnknown) and leave nothing
// behind when they go. access.go says which client may fetch which
// gateway (client certificates naming gateways) and its secrets.
//
// A new NACK rule goes in tracker.go (what an Envoy holds) or in the
// stream's request handling (adssotw.go, adsdelta.go). It must not
// translate nor keep revision history: it serves what it is Set.
package publish
