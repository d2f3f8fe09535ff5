// Package xdstest owns an ADS client for tests that subscribes the way Envoy
// does: CDS and LDS as wildcard, then EDS for the EDS clusters it received and
// RDS for the route configurations its listeners name. It ACKs or NACKs every
// response, keeps the resources it accepted, and lets a test wait for a state
// without sleeping.
//
// It speaks both state-of-the-world (StreamAggregatedResources) and delta
// (DeltaAggregatedResources) ADS over insecure gRPC. It is test support only:
// production code must not import it, and it must not import other sluice
// packages, so that any package's tests can use it.
//
// Concurrency: one goroutine per Client receives responses and sends
// requests; every exported method is safe to call from any goroutine, and
// WaitFor must be called from the test goroutine because it may call
// t.Fatalf.
package xdstest
