// Command sluice is the CLI: serve, validate, translate, bootstrap and the
// admin-API clients (status, revisions, nodes, sync, rollback, unpin,
// diff). It only wires flags and configuration to the sync, translate and
// serve packages. Every command that prints objects takes -o through
// addOutput (output.go); completion.go completes SHAs and gateways.
package main
