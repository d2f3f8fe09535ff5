package translate

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/sluice-gitops/sluice/translate/ir"
	"github.com/sluice-gitops/sluice/translate/xds"
)

// memoTables hold the results of pure per-object work of one revision,
// keyed by the identity of the typed object. A Cache hands out the same
// object for a file whose content did not change, and never changes it, so
// a result keyed by the object is the result of the same input. Tables
// are never changed once published to a Cache.
type memoTables struct {
	validated map[*gwapiv1.HTTPRoute]error       // validateHTTPRoute
	backends  map[*egv1a1.Backend]backendMemoRes // backendCluster
	// inc holds what a translation built per route, virtual host and
	// cluster (incremental.go); nil when it recorded nothing.
	inc *incTables
}

type backendMemoRes struct {
	cluster *ir.Cluster // never handed out: callers get a copy
	err     string
}

// memo is the per-object memory of one translation: it reads the tables
// of the previous revision and fills those of this one, so that entries
// not used by the last revision are dropped. A nil *memo computes
// everything.
type memo struct {
	cache      *Cache
	prev, next memoTables
	// build reuses and keeps the xDS of IR objects (translate/xds), or
	// is nil when m does not record.
	build *xds.Memo
}

// xds is the memo of the IR → xDS stage, nil when m does not record.
func (m *memo) xds() *xds.Memo {
	if !m.recording() {
		return nil
	}
	return m.build
}

// startMemo returns the memo of one translation of res with c, nil
// without.
func (c *Cache) startMemo(res *Resources, opts Options) *memo {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	prev := c.memo
	c.mu.Unlock()
	m := &memo{cache: c, prev: prev, next: memoTables{
		validated: make(map[*gwapiv1.HTTPRoute]error, len(prev.validated)),
		backends:  make(map[*egv1a1.Backend]backendMemoRes, len(prev.backends)),
	}}
	m.startIncremental(res, opts)
	return m
}

// finish publishes the tables of this translation to the Cache, with
// the states of its Backends and Service ports (translator.backends, not
// to be changed after). Of two translations that run at once the last
// one's tables stay; either is correct.
func (m *memo) finish(states map[string]*backendState) {
	if m == nil {
		return
	}
	if m.next.inc != nil {
		m.next.inc.states = states
		m.next.inc.xds = m.build.Kept()
	}
	m.cache.mu.Lock()
	m.cache.memo = m.next
	m.cache.mu.Unlock()
}

// validateHTTPRoute is validateHTTPRoute(rt, maxRegex), remembered by
// object (a Cache's translations share their Options).
func (m *memo) validateHTTPRoute(rt *gwapiv1.HTTPRoute, maxRegex int) error {
	if m == nil {
		return validateHTTPRoute(rt, maxRegex)
	}
	err, ok := m.prev.validated[rt]
	if !ok {
		err = validateHTTPRoute(rt, maxRegex)
	}
	m.next.validated[rt] = err
	return err
}

// backendCluster is backendCluster(b), remembered by object. Clusters
// are changed by later steps (policies, BackendTLSPolicy), so each call
// returns a copy of its own.
func (m *memo) backendCluster(b *egv1a1.Backend) (*ir.Cluster, string) {
	if m == nil {
		return backendCluster(b)
	}
	r, ok := m.prev.backends[b]
	if !ok {
		r.cluster, r.err = backendCluster(b)
	}
	m.next.backends[b] = r
	if r.cluster == nil {
		return nil, r.err
	}
	return copyBackendCluster(r.cluster), r.err
}

// copyBackendCluster copies a cluster of backendCluster, its endpoints
// included.
func copyBackendCluster(c *ir.Cluster) *ir.Cluster {
	cc := *c
	out := &cc
	if c.Endpoints != nil {
		eps := make([]ir.Endpoint, len(c.Endpoints))
		out.Endpoints = make([]*ir.Endpoint, len(c.Endpoints))
		for i, e := range c.Endpoints {
			eps[i] = *e
			out.Endpoints[i] = &eps[i]
		}
	}
	return out
}
