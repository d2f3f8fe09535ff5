// Package revisions is the revision state machine: the history of every
// revision sluice saw (store.go, persisted by persist.go in dataDir), what
// each gateway is served (snapshots.go: plan, check and publish the
// snapshots of a translation), the pin (pin.go: Rollback, Unpin, Restore),
// the automatic rollback of a gateway whose Envoy NACKs (autorollback.go),
// the health of each revision from what the publisher reports (under the
// content versions publish.Prepare gives snapshots), the refusal of a
// change whose record cannot be written (durable.go), the xDS diff of two
// translations (diff.go), the revision metrics (metrics.go), what the
// admin API's status reads (status.go: source health, history numbers, the
// generation of live updates) and the events it tells Options.Notify
// (events.go, serve/notify) and, in a
// cluster, the EDS-only updates of the applied revision when live
// endpoints change (endpoints.go).
//
// Its methods return sentinel errors (errors.go); the admin API maps them
// to status codes. It must not translate (the reconciler, serve/reconcile,
// hands it results) nor parse YAML.
package revisions
