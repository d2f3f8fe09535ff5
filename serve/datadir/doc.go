// Package datadir owns sluice's data directory as a whole: Lock makes one
// sluice process its only user (lock.go). What is inside belongs to others:
// the Git mirror (dataDir/git) to sync, the revision store
// (dataDir/sluice.db) to serve/revisions.
//
// It must not import the packages that use the directory.
package datadir
