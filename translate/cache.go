package translate

import (
	"sync"

	"github.com/sluice-gitops/sluice/translate/load"
)

// Cache keeps what translating the last revision with it gave, so that
// translating the next one does again only what its changes need: the
// typed documents of its files (a load.Cache, by file name and content
// identity), what decoding them gave (decodecache.go) and per-object
// results (memo.go, incremental.go). Cached objects are shared by the
// results of both revisions and never changed. A Cache is safe for
// concurrent use; its zero value is not: use NewCache.
type Cache struct {
	files *load.Cache

	mu sync.Mutex
	// memo holds per-object results of the last translation (memo.go).
	memo memoTables
	// decoded is what decoding the last revision gave (decodecache.go);
	// nil while a translation owns it.
	decoded *decodeState
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{files: load.NewCache(loadOptions)}
}

// Len returns how many files the cache holds.
func (c *Cache) Len() int {
	return c.files.Len()
}
