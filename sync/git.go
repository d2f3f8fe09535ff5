package sync

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// ErrUnverified is returned by NewGitSource when no trusted keys are
// configured and GitConfig.InsecureSkipVerify is not set.
var ErrUnverified = errors.New("sync: no trusted keys are configured (verify.openpgpKeyring or verify.sshAllowedSigners); set verify.insecureSkipVerify: true to run without verification")

// Defaults of GitConfig.
const DefaultBranch = "main"

const remoteName = "origin"

// GitConfig says which branch of which remote to follow.
type GitConfig struct {
	// URL is an http(s):// or file:// URL or a local path. Credentials in
	// it are used for the remote but never appear in errors.
	URL string
	// Branch defaults to DefaultBranch.
	Branch string
	// Path is the subtree to read, slash-separated; "" or "." is the
	// whole tree. A trailing slash is allowed.
	Path string
	// Dir is where the bare mirror repository lives, e.g. <dataDir>/git.
	Dir string
	// InsecureSkipVerify accepts commits without verifying their
	// signatures. Without it, OpenPGPKeyring or SSHAllowedSigners is
	// required.
	InsecureSkipVerify bool
	// OpenPGPKeyring is the path of a file of armored OpenPGP public keys.
	OpenPGPKeyring string
	// SSHAllowedSigners is the path of a git allowed_signers file.
	SSHAllowedSigners string
	// VerifyMode is VerifyAll (the default: every new commit must be
	// signed) or VerifyHead (only the head).
	VerifyMode string
	// VerifySince is the SHA of a trusted commit: a first sync verifies
	// every commit after it rather than the head only.
	VerifySince string
	// AllowForcePush accepts a head that does not descend from the
	// applied revision, verifying it as a first sync does.
	AllowForcePush bool

	// TokenFile holds the credentials of an http(s) remote: a token, sent
	// as the password of DefaultTokenUser, or "user:password".
	TokenFile string
	// SSHKeyFile holds the unencrypted private key for an ssh remote.
	SSHKeyFile string
	// KnownHostsFile lists the host keys an ssh remote may present;
	// defaults to ~/.ssh/known_hosts. Host keys are always checked.
	KnownHostsFile string
	// MaxFileSize is the size in bytes over which a file of the subtree
	// rejects the revision; defaults to DefaultMaxFileSize.
	MaxFileSize int64
	// ProgressInterval is the least time between two progress lines of a
	// long fetch; defaults to DefaultProgressInterval.
	ProgressInterval time.Duration
}

// GitSource mirrors one branch of a Git remote into a local bare repository
// and turns its commits into Revisions. Its methods are safe for concurrent
// use.
type GitSource struct {
	url    string // URL with local paths made absolute
	branch string
	path   string // cleaned subtree, "." for the whole tree
	logger *slog.Logger
	auth   transport.AuthMethod // nil for none
	limit  int64                // MaxFileSize
	dir    string               // the mirror
	local  string               // the repository path of a local remote, else ""
	// progressEvery is the least time between progress lines of a fetch.
	progressEvery time.Duration

	// mu guards the repository (go-git is not safe for concurrent use),
	// including reads through the FS of every Revision, and last.
	mu   *sync.Mutex
	m    *mirror
	repo *git.Repository // m.repo
	last Revision        // last revision returned by Sync; SHA "" before the first

	// Verification, guarded by mu.
	verifier       *verifier // nil: insecureSkipVerify
	verifyHead     bool      // VerifyMode is VerifyHead
	since          plumbing.Hash
	allowForcePush bool
	base           plumbing.Hash // applied revision; zero before the first
	baseAnc        hashSet       // base and its whole history, when verifyExactly needed it
	seen           plumbing.Hash // the last head Sync decided on
	rejections     []Rejection
	// reported holds the commits already rejected, with their reason, so
	// that each is reported once however often later pushes bring it
	// back into the range to verify (verifysync.go, reject).
	reported map[string]bool
}

// NewGitSource opens the mirror at cfg.Dir, creating it if missing, and
// points its remote at cfg.URL. It does not contact the remote.
func NewGitSource(cfg GitConfig, logger *slog.Logger) (*GitSource, error) {
	if !cfg.InsecureSkipVerify && cfg.OpenPGPKeyring == "" && cfg.SSHAllowedSigners == "" {
		return nil, fmt.Errorf("sync: new git source %s: %w", redactURL(cfg.URL), ErrUnverified)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &GitSource{
		branch:        cfg.Branch,
		logger:        logger,
		mu:            new(sync.Mutex),
		progressEvery: cfg.ProgressInterval,
	}
	if s.branch == "" {
		s.branch = DefaultBranch
	}
	var err error
	if s.url, err = normalizeURL(cfg.URL); err != nil {
		return nil, err
	}
	if s.path, err = cleanPath(cfg.Path); err != nil {
		return nil, err
	}
	switch {
	case strings.ContainsAny(s.branch, " ~^:?*[\\") || strings.HasPrefix(s.branch, "-"):
		return nil, fmt.Errorf("sync: invalid branch name %q", s.branch)
	case cfg.Dir == "":
		return nil, errors.New("sync: git mirror directory is not set")
	}
	if err := s.setVerify(cfg); err != nil {
		return nil, err
	}
	if s.auth, err = newAuth(cfg, s.url); err != nil {
		return nil, err
	}
	if s.limit, err = maxFileSize(cfg.MaxFileSize); err != nil {
		return nil, err
	}
	if s.m, err = openMirror(cfg.Dir, s.url); err != nil {
		return nil, err
	}
	s.repo, s.dir, s.local = s.m.repo, cfg.Dir, localRemotePath(s.url)
	// A fetch cut short by a crash leaves its pack, or its index, half-written.
	if err := removePartialPacks(s.dir); err != nil {
		s.m.close()
		return nil, fmt.Errorf("sync: clean mirror %s: %w", s.dir, err)
	}
	if cfg.InsecureSkipVerify {
		logger.Warn("commit signatures are not verified: insecureSkipVerify is set",
			"url", redactURL(s.url), "branch", s.branch)
	}
	return s, nil
}

// normalizeURL makes a local path absolute and leaves URLs as they are.
func normalizeURL(u string) (string, error) {
	if u == "" {
		return "", errors.New("sync: git url is not set")
	}
	if strings.Contains(u, "://") || !isLocalPath(u) {
		return u, nil
	}
	abs, err := filepath.Abs(u)
	if err != nil {
		return "", fmt.Errorf("sync: resolve %s: %w", u, err)
	}
	return abs, nil
}

// isLocalPath reports whether u, which has no scheme, names a local path
// rather than an scp-like address such as git@host:repo.git.
func isLocalPath(u string) bool {
	if filepath.IsAbs(u) || strings.HasPrefix(u, ".") {
		return true
	}
	colon, slash := strings.Index(u, ":"), strings.Index(u, "/")
	if colon < 0 || (slash >= 0 && slash < colon) {
		return true
	}
	_, err := os.Stat(u)
	return err == nil
}

// cleanPath turns the configured subtree into an fs.FS path.
func cleanPath(p string) (string, error) {
	c := strings.Trim(path.Clean("/"+p), "/")
	if c == "" {
		c = "."
	}
	if !fs.ValidPath(c) || strings.Contains(p, "\\") || slices.Contains(strings.Split(p, "/"), "..") {
		return "", fmt.Errorf("sync: invalid path %q: want a slash-separated path inside the repository", p)
	}
	return c, nil
}

// Sync asks the remote for the head of the branch and fetches it when it
// differs from the head of the previous Sync. changed is false, and nothing
// is fetched, when the head did not move; rev is then the previous
// revision.
func (s *GitSource) Sync(ctx context.Context) (rev Revision, changed bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.closed {
		return Revision{}, false, ErrClosed
	}
	// When ctx ends, the helper of a local remote is killed (helper.go).
	gitCtx, stop := watchHelpers(ctx, s.local)
	defer stop()
	remote, err := s.repo.Remote(remoteName)
	if err != nil {
		return Revision{}, false, fmt.Errorf("sync: open remote %s: %w", redactURL(s.url), err)
	}
	refs, err := remote.ListContext(gitCtx, &git.ListOptions{Auth: s.auth})
	if err != nil {
		return Revision{}, false, s.errorf("list refs of", withCause(ctx, err))
	}
	name := plumbing.NewBranchReferenceName(s.branch)
	var head plumbing.Hash
	for _, r := range refs {
		if r.Name() == name {
			head = r.Hash()
		}
	}
	if head.IsZero() {
		return Revision{}, false, fmt.Errorf("sync: branch %q not found at %s", s.branch, redactURL(s.url))
	}
	if s.seen == head {
		return s.last, false, nil
	}

	local := plumbing.NewRemoteReferenceName(remoteName, s.branch)
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", name, local))
	err = s.fetch(gitCtx, remote, spec)
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		if rerr := removePartialPacks(s.dir); rerr != nil {
			s.logger.Error("a partial pack stays in the mirror", "dir", s.dir, "err", rerr)
		}
		return Revision{}, false, s.errorf("fetch", withCause(ctx, err))
	}
	// The branch may have moved since the listing: use what was fetched.
	ref, err := s.repo.Reference(local, true)
	if err != nil {
		return Revision{}, false, fmt.Errorf("sync: resolve %s after fetch from %s: %w", local, redactURL(s.url), err)
	}
	if s.seen == ref.Hash() {
		return s.last, false, nil
	}
	return s.advance(ref.Hash())
}

// fetch fetches spec from remote, logging progress lines while it lasts
// (fetchProgress). Callers hold s.mu.
func (s *GitSource) fetch(ctx context.Context, remote *git.Remote, spec config.RefSpec) error {
	prog := newFetchProgress(s.logger, s.dir, s.progressEvery)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go prog.watch(wctx)
	err := remote.FetchContext(ctx, &git.FetchOptions{RefSpecs: []config.RefSpec{spec}, Tags: git.NoTags, Auth: s.auth, Progress: prog})
	stop()
	prog.done()
	return err
}

// Revision returns the revision of a commit already in the mirror, such as
// an earlier head to roll back to. sha may be abbreviated.
func (s *GitSource) Revision(sha string) (Revision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m.closed {
		return Revision{}, ErrClosed
	}
	h, err := s.resolve(sha)
	if err != nil {
		return Revision{}, fmt.Errorf("sync: resolve commit %q in mirror of %s: %w: %w", sha, redactURL(s.url), ErrUnknownRevision, err)
	}
	return s.revision(*h)
}

// revision builds the Revision of commit h. Callers hold s.mu.
func (s *GitSource) revision(h plumbing.Hash) (Revision, error) {
	c, err := s.repo.CommitObject(h)
	if err != nil {
		return Revision{}, fmt.Errorf("sync: read commit %s: %w", h, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return Revision{}, fmt.Errorf("sync: read tree of commit %s: %w", h, err)
	}
	sub, err := subtree(s.m.objects, tree, s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Revision{}, fmt.Errorf("%w: path %q not found in commit %s of %s", ErrInvalidFiles, s.path, h, redactURL(s.url))
	}
	if err != nil {
		return Revision{}, fmt.Errorf("%w: read path %q of commit %s: %w", ErrInvalidFiles, s.path, h, err)
	}
	fsys, err := newTreeFS(s.mu, s.m.objects, sub, c.Committer.When, s.limit)
	if err != nil {
		return Revision{}, fmt.Errorf("%w: path %q of commit %s: %w", ErrInvalidFiles, s.path, h, err)
	}
	rev := s.meta(c)
	rev.FS = fsys
	return rev, nil
}

// meta builds the Revision of commit c without its files.
func (s *GitSource) meta(c *object.Commit) Revision {
	rev := Revision{
		Source:    SourceGit,
		Branch:    s.branch,
		SHA:       c.Hash.String(),
		Author:    signature(c.Author),
		Committer: signature(c.Committer),
		Subject:   strings.TrimSpace(strings.SplitN(c.Message, "\n", 2)[0]),
		FetchedAt: time.Now(),
		Root:      redactURL(s.url),
	}
	for _, p := range c.ParentHashes {
		rev.Parents = append(rev.Parents, p.String())
	}
	if s.path != "." {
		rev.Root += "//" + s.path
	}
	return rev
}

func signature(sig object.Signature) Signature {
	return Signature{Name: sig.Name, Email: sig.Email, When: sig.When}
}

// withCause adds why ctx ended to err, the error it caused (often only
// "signal: killed" or a closed pipe).
func withCause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// errorf wraps an error of talking to the remote, without credentials.
func (s *GitSource) errorf(verb string, err error) error {
	return fmt.Errorf("sync: %s %s: %w", verb, redactURL(s.url), scrub(err))
}

// RedactURL is redactURL, for those that show a source's URL (the admin
// API's status).
func RedactURL(s string) string { return redactURL(s) }

// redactURL removes the user information (user name, password or token)
// from a URL. Strings that are not URLs with a scheme are returned as they
// are.
func redactURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	if u, err := url.Parse(s); err == nil {
		u.User = nil
		return u.String()
	}
	// Not parsable: drop everything from the scheme to the last "@".
	if at := strings.LastIndex(s[i+3:], "@"); at >= 0 {
		return s[:i+3] + s[i+3+at+1:]
	}
	return s
}

// userinfo matches the user information of URLs in a message, such as
// "user:***@" in the errors of net/http.
var userinfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s"'<>]*@`)

// scrub returns err, or when its message holds URLs with user information,
// an error with the same chain whose message does not.
func scrub(err error) error {
	if err == nil || !userinfo.MatchString(err.Error()) {
		return err
	}
	return &scrubbedError{msg: userinfo.ReplaceAllString(err.Error(), "$1"), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
