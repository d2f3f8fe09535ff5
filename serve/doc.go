// Package serve is sluice's HTTP layer: the admin API (admin.go, with the
// actions that read revisions again in admin_actions.go, the status of
// GET /api/v1/status in status.go and the live updates of GET
// /api/v1/events in events.go), the dashboard
// (dashboard.go, web/), the Git push webhooks (webhook.go) and /metrics. It
// alone maps errors to HTTP status codes (apiError, admin.go).
//
// The rest of serving is in sub-packages, one job each:
//   - reconcile: the loop source → translate → revisions, and the
//     operator's rollback, unpin and diff;
//   - revisions: the revision state machine (history, pin, health);
//   - publish: the xDS publisher (ADS SotW and delta, the per-type
//     services, ACK/NACK tracking);
//   - endpoints: live endpoints in a cluster, from EndpointSlices to EDS;
//   - notify: notifications of what sluice did (webhook, Slack, command),
//     each target with a bounded queue and retries;
//   - bootstrap: the Envoy bootstrap that dials sluice; xdstest: an ADS
//     client that ACKs and NACKs like Envoy, for tests;
//   - envoyproc: host mode's Envoy child processes (nodes.go joins their
//     state to the connected Envoys for /api/v1/nodes and the dashboard);
//   - buildinfo: which sluice is running (version, VCS, Go), for
//     `sluice version` and sluice_build_info.
//
// A new admin endpoint goes in admin.go's AdminHandler, its handler next
// to the job it serves. It must not parse YAML nor translate.
package serve
