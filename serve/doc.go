// Package serve owns everything that faces Envoy and the operator once a
// revision is translated: per-gateway xDS snapshots, the ADS gRPC server
// (SotW and delta), node-to-gateway mapping, ACK/NACK tracking, the
// revision history, the admin HTTP API and the Prometheus metrics.
//
// ADS is served by ads.go, adssotw.go and adsdelta.go over the gateway's
// shared snapshot state rather than by go-control-plane's server, whose
// per-stream subscription and version maps cost ~100 KiB per connected
// Envoy; go-control-plane's types and snapshots are used throughout. The
// per-type xDS services are the same streams fixed to one type
// (pertype.go): one xDS path, one NACK hold. A SotW response is encoded
// once for every Envoy of a gateway (adscodec.go).
//
// It must not parse YAML: it receives translate.Result values.
package serve
