package reconcile

import (
	"sync"
	"time"

	gitsync "github.com/sluice-gitops/sluice/sync"
	"github.com/sluice-gitops/sluice/translate"
)

// resultCacheSize bounds the translations kept for rollback and diff.
const resultCacheSize = 16

// resultCache keeps the translation of recent revisions by SHA, so that a
// rollback or a diff of a recent commit does not translate it again; a
// revision that did not translate (unparsable, over its limits) is kept
// with its error, so that asking again costs nothing either.
type resultCache struct {
	mu    sync.Mutex
	items map[string]*cachedResult
}

type cachedResult struct {
	rev  gitsync.Revision
	res  *translate.Result
	err  error // of translate.Translate: res is nil
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

// put keeps res or err, dropping the least recently used beyond
// resultCacheSize. The revision's files are not kept.
func (c *resultCache) put(rev gitsync.Revision, res *translate.Result, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]*cachedResult{}
	}
	rev.FS = nil
	c.items[rev.SHA] = &cachedResult{rev: rev, res: res, err: err, used: time.Now()}
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
