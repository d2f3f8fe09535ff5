// Package envoyproc runs the Envoys of host mode as child processes of
// sluice, one per Gateway, as Envoy Gateway's Host infrastructure does.
//
// A Supervisor writes each Envoy's bootstrap (serve/bootstrap, node.cluster
// naming the Gateway, admin on a free loopback port reported through
// --admin-address-path) into its directory, starts `envoy` with it,
// forwards each line Envoy logs into sluice's log with the gateway named,
// and restarts an Envoy that exits with exponential backoff (1s doubling
// to 30s; reset after a minute of running). When a bootstrap must change
// (Reload), the Envoy is hot-restarted: a new process with the next
// --restart-epoch takes over, and the old one is drained and stopped.
// When its context ends, every Envoy is drained (POST
// /drain_listeners?graceful on its admin), given DrainTime, then sent
// SIGTERM (SIGKILL if it does not exit).
//
// Status reports each process's state for the admin API and the
// dashboard; the sluice_envoy_* metrics count the same. A missing binary
// is a failed state with a clear message, retried with backoff: it never
// stops sluice from serving xDS. The package must not import translate nor
// the rest of serve except bootstrap.
package envoyproc
