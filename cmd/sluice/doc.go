// Command sluice is the CLI: serve, validate, translate, bootstrap and the
// admin-API clients (revisions, rollback, unpin). It only wires flags and
// configuration to the sync, translate and serve packages.
package main
