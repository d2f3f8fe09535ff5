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
	// Signer is who signed the commit, when a trusted key did.
	Signer *Signer `json:"signer,omitempty"`
	// Verification is the result of checking the commit's signature.
	Verification Verification `json:"verification"`
	// FS holds the files of the configured subtree.
	FS fs.FS `json:"-"`
}

// Signer identifies the key that signed a commit.
type Signer struct {
	// Method is SignOpenPGP or SignSSH.
	Method string `json:"method"`
	// Fingerprint is the primary key's fingerprint in upper-case hex for
	// OpenPGP, or "SHA256:..." for SSH.
	Fingerprint string `json:"fingerprint"`
	// Principal is the OpenPGP user ID or the SSH principals of the key.
	Principal string `json:"principal,omitempty"`
}

// Signing methods of a Signer.
const (
	SignOpenPGP = "openpgp"
	SignSSH     = "ssh"
)

// Verification is the outcome of checking a revision's signature.
type Verification struct {
	// Result is one of the Verified, Sealed, Skipped or Failed constants.
	Result string `json:"result"`
	// Reason is one of the Reason constants when Result is Failed.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Results of a Verification.
const (
	// Verified: the commit and every commit it brings since the last
	// applied revision carry a good signature from a trusted key.
	Verified = "verified"
	// Sealed: the commit is vouched for by a trusted anchor rather than
	// its own signature: a later "Sluice-Seal: true" commit or verify.since.
	Sealed = "sealed"
	// Skipped: verification is off (insecureSkipVerify).
	Skipped = "skipped"
	// Failed: see Reason and Message.
	Failed = "failed"
)

// Reasons of a failed Verification or a Rejection.
const (
	ReasonUnsigned       = "Unsigned"
	ReasonUnknownKey     = "UnknownKey"
	ReasonBadSignature   = "BadSignature"
	ReasonExpiredKey     = "ExpiredKey"
	ReasonRevokedKey     = "RevokedKey"
	ReasonNonFastForward = "NonFastForward"
	// ReasonInvalidFiles: the commit verified, but its files break a rule
	// (path missing, file too large, link leaving the subtree).
	ReasonInvalidFiles = "InvalidFiles"
)

// Rejection is a commit that Sync refused to apply.
type Rejection struct {
	// Revision is the refused commit; its FS is nil.
	Revision Revision
	// Reason is one of the Reason constants.
	Reason string
	// Message names the commit and says why, e.g. "commit 1a2b3c4d5e6f
	// is not signed".
	Message string
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

// SignedBy prints who signed the revision ("ssh: ada@example.com"), or,
// when no trusted key did, how its signature was judged ("skipped"), or
// "-" when it was not checked.
func (r Revision) SignedBy() string {
	if r.Signer == nil {
		if r.Verification.Result == "" {
			return "-"
		}
		return r.Verification.Result
	}
	who := r.Signer.Principal
	if who == "" {
		who = r.Signer.Fingerprint
	}
	return r.Signer.Method + ": " + who
}
