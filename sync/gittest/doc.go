// Package gittest provides a real Git server and work trees for tests, the
// way net/http/httptest provides HTTP servers.
//
// A Server serves one bare repository over HTTP with "git http-backend"
// behind net/http/cgi, as the Go command tests itself
// (cmd/go/internal/vcweb). A Repo is a work tree driven by the real git
// command with a hermetic environment: no global or system configuration,
// a fixed author and committer, and a default branch of "main".
//
// Everything lives in t.TempDir() and is cleaned up by the testing package.
// Tests that use this package need the git command; they fail with its
// output when a git command fails.
//
// It must only be imported by tests.
package gittest
