// Package sync owns the source side of sluice: it fetches a branch from a Git
// remote (or reads a local directory) and emits a Revision for every new
// commit, carrying the commit's metadata and an fs.FS of the configured
// subtree. It keeps the mirror open with its packfiles (mirror.go),
// authenticates to the remote (auth.go), verifies commit signatures over
// the whole range since the applied revision and refuses force-pushes
// (verify*.go), finding that range by walking down from the head and the
// applied commit at once (ancestry.go), applies the file rules (files.go),
// and says when to sync (schedule.go) with its metrics (metrics.go). helper.go
// bounds a sync of a local remote by its timeout: it kills go-git's
// git-upload-pack helper and cleans half-written packs.
//
// Importers alias it as gitsync, because its name collides with the standard
// library's sync.
//
// sync/kube watches the cluster's EndpointSlices of the Services sluice
// serves (cluster mode).
//
// It must not know about xDS or Gateway API: it hands files on, it never
// parses them.
package sync
