// Package serve owns everything that faces Envoy and the operator once a
// revision is translated: per-gateway xDS snapshots in go-control-plane's
// cache, the ADS gRPC server (SotW and delta), node-to-gateway mapping,
// ACK/NACK tracking, the revision history, the admin HTTP API and the
// Prometheus metrics.
//
// It must not parse YAML: it receives translate.Result values.
package serve
