package sync

import (
	"fmt"
	"io/fs"
	"time"
)

// Kinds of source a Revision can come from.
const (
	SourceGit = "git"
	SourceDir = "dir"
)

// Signature is the name, email and time of an author or committer.
type Signature struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	When  time.Time `json:"when"`
}

// Revision is one state of the source: a commit of the configured branch,
// or one content state of a watched directory.
type Revision struct {
	// Source is SourceGit or SourceDir.
	Source string `json:"source"`
	// Branch is the branch the commit was fetched from; empty for a directory.
	Branch string `json:"branch,omitempty"`
	// SHA is the commit hash (40 hex digits) or, for a directory, the
	// SHA-1 of its content.
	SHA       string    `json:"sha"`
	Parents   []string  `json:"parents,omitempty"`
	Author    Signature `json:"author"`
	Committer Signature `json:"committer"`
	// Subject is the first line of the commit message.
	Subject string `json:"subject,omitempty"`
	// FetchedAt is when sluice first saw this revision.
	FetchedAt time.Time `json:"fetchedAt"`
	// Root names where the paths of FS are relative to (a URL and subtree,
	// or a directory), for messages.
	Root string `json:"root,omitempty"`
	// FS holds the files of the configured subtree.
	FS fs.FS `json:"-"`
}

// String prints a revision as Flux does: "main@sha1:<40 hex>", or
// "dir@sha1:<40 hex>" for a directory.
func (r Revision) String() string {
	ref := r.Branch
	if ref == "" {
		ref = r.Source
	}
	return fmt.Sprintf("%s@sha1:%s", ref, r.SHA)
}

// Short is the first 12 characters of the SHA.
func (r Revision) Short() string {
	if len(r.SHA) > 12 {
		return r.SHA[:12]
	}
	return r.SHA
}
