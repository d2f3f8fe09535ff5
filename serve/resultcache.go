package serve

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// ErrNoSource is returned when a revision must be read again (rollback,
// diff) but the server was given no way to resolve one.
var ErrNoSource = errors.New("serve: revisions cannot be read back: no source to resolve them")

// resultCacheSize bounds the translations kept for rollback and diff.
const resultCacheSize = 16

// resultCache keeps the translation of recent revisions by SHA, so a
// rollback or a diff of a recent commit does not translate it again.
type resultCache struct {
	mu    sync.Mutex
	items map[string]*cachedResult
}

type cachedResult struct {
	rev  gitsync.Revision
	res  *translate.Result
	used time.Time
}

func (c *resultCache) get(sha string) (*cachedResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.items[sha]
	if ok {
		r.used = time.Now()
	}
	return r, ok
}

func (c *resultCache) put(rev gitsync.Revision, res *translate.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]*cachedResult{}
	}
	rev.FS = nil
	c.items[rev.SHA] = &cachedResult{rev: rev, res: res, used: time.Now()}
	for len(c.items) > resultCacheSize {
		var oldest string
		for sha, r := range c.items {
			if oldest == "" || r.used.Before(c.items[oldest].used) {
				oldest = sha
			}
		}
		delete(c.items, oldest)
	}
}

// ResultAt returns the revision of a commit and its translation: from the
// cache when it was translated recently, else resolved through
// Options.Resolve (which refuses unknown and unverified commits) and
// translated. A revision whose YAML cannot be parsed is an error.
func (s *Server) ResultAt(sha string) (gitsync.Revision, *translate.Result, error) {
	if r, ok := s.results.get(sha); ok {
		return r.rev, r.res, nil
	}
	if s.resolve == nil {
		return gitsync.Revision{}, nil, ErrNoSource
	}
	rev, err := s.resolve(sha)
	if err != nil {
		return gitsync.Revision{}, nil, err
	}
	if r, ok := s.results.get(rev.SHA); ok { // sha was abbreviated
		return r.rev, r.res, nil
	}
	res, err := translate.Translate(rev.FS, s.translateOpts)
	if err != nil {
		return gitsync.Revision{}, nil, fmt.Errorf("translate %s: %w", rev.String(), err)
	}
	s.results.put(rev, res)
	rev.FS = nil
	return rev, res, nil
}

// readBackError turns an error of ResultAt into the admin API's answer:
// unknown commit 404, unverified 409, no source 501, a translation that
// failed 422.
func readBackError(verb, sha string, err error) *APIError {
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, gitsync.ErrUnknownRevision):
		status = http.StatusNotFound
	case errors.Is(err, gitsync.ErrUnverifiedRevision):
		status = http.StatusConflict
	case errors.Is(err, ErrNoSource):
		status = http.StatusNotImplemented
	}
	return &APIError{HTTPStatus: status, Message: fmt.Sprintf("cannot %s %s: %v", verb, sha, err)}
}
