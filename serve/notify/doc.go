// Package notify tells people what sluice did: it delivers Events
// (revision applied or rejected, NACK, automatic rollback, pin and unpin,
// source failing and recovered) to the targets of sluice.yaml's notify:
// a generic webhook (JSON signed with HMAC-SHA256), a Slack-compatible
// incoming webhook, or a command that reads the event on its standard
// input.
//
// Each target has its own bounded queue and worker: Notify never blocks
// the caller (the revision state machine, under its lock); when a queue is
// full its oldest event is dropped and counted
// (sluice_notifications_total{result="dropped"}). A failed delivery is
// retried with exponential backoff; a 4xx answer other than 408 and 429 is
// not retried.
//
// It imports nothing of sluice but sync/logtext (answers and command
// output in errors are cut): serve/revisions makes the events, cmd wires
// the targets.
package notify
