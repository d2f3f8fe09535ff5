package serve

import (
	"context"
	"sort"
	"sync"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// sharedCache answers state-of-the-world watches with one response per
// gateway, type and version, shared by every Envoy of the gateway. It
// serves go-control-plane's per-type xDS services; ADS, which Envoys use,
// is served by adsServer (ads.go) from the same snapshots.
//
// go-control-plane's snapshot cache builds each watch's response on its
// own: a cachedResource per resource, a name→version map of what was
// returned (which the stream keeps until the next response), a marshal of
// each resource — all per connected Envoy and version, and all inside
// SetSnapshot under the cache's one lock. With 1,000 routes per gateway
// that was most of the CPU time of a revision and ~150 KiB per Envoy.
//
// In ADS mode the cache answers a SotW watch only when the Envoy
// subscribes to every resource of the type (or to all), so a response
// that changes the version is always every resource of the type: the
// same for every Envoy. sharedCache builds it once per snapshot and hands
// each watch a shallow copy (the server writes the nonce into it). Watches
// whose answer depends on the Envoy — same version, newly subscribed
// names — and delta watches go to the wrapped cache, which is given every
// snapshot too.
type sharedCache struct {
	cachev3.SnapshotCache
	hash cachev3.NodeHash

	// mu is taken before the wrapped cache's lock, never after.
	mu      sync.Mutex
	snaps   map[string]*sharedSnapshot
	watches map[string]map[int64]*sharedWatch
	nextID  int64
}

func newSharedCache(inner cachev3.SnapshotCache, hash cachev3.NodeHash) *sharedCache {
	return &sharedCache{
		SnapshotCache: premarshalCache{inner},
		hash:          hash,
		snaps:         map[string]*sharedSnapshot{},
		watches:       map[string]map[int64]*sharedWatch{},
	}
}

type sharedWatch struct {
	req *cachev3.Request
	sub cachev3.Subscription
	ch  chan cachev3.Response
}

// sharedSnapshot is a snapshot with its responses, built on first use.
type sharedSnapshot struct {
	snap cachev3.ResourceSnapshot
	mu   sync.Mutex
	resp map[string]*sharedResponse // by type URL
}

type sharedResponse struct {
	version   string
	resources []*anypb.Any
	returned  map[string]string
}

func (s *sharedSnapshot) response(typeURL string) *sharedResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.resp[typeURL]; ok {
		return r
	}
	items := s.snap.GetResourcesAndTTL(typeURL)
	names := make([]string, 0, len(items))
	for name := range items {
		names = append(names, name)
	}
	sort.Strings(names)
	version := s.snap.GetVersion(typeURL)
	r := &sharedResponse{version: version, resources: make([]*anypb.Any, 0, len(names)), returned: make(map[string]string, len(names))}
	for _, name := range names {
		// Premarshalled: this returns the stored bytes.
		b, err := cachev3.MarshalResource(items[name].Resource)
		if err != nil {
			r = nil
			break
		}
		r.resources = append(r.resources, &anypb.Any{TypeUrl: typeURL, Value: b})
		r.returned[name] = version
	}
	s.resp[typeURL] = r
	return r
}

// sharedResponseTo is one watch's answer.
type sharedResponseTo struct {
	req    *cachev3.Request
	shared *sharedResponse
	ctx    context.Context
}

var _ cachev3.Response = sharedResponseTo{}

func (r sharedResponseTo) GetDiscoveryResponse() (*discoveryv3.DiscoveryResponse, error) {
	return &discoveryv3.DiscoveryResponse{VersionInfo: r.shared.version, Resources: r.shared.resources, TypeUrl: r.req.GetTypeUrl()}, nil
}
func (r sharedResponseTo) GetRequest() *discoveryv3.DiscoveryRequest { return r.req }
func (r sharedResponseTo) GetVersion() (string, error)               { return r.shared.version, nil }
func (r sharedResponseTo) GetResponseVersion() string                { return r.shared.version }
func (r sharedResponseTo) GetReturnedResources() map[string]string   { return r.shared.returned }
func (r sharedResponseTo) GetContext() context.Context               { return r.ctx }

// answer decides a watch against a snapshot: ok with the shared response
// to send; drop when ADS says not to answer (the Envoy does not subscribe
// to every resource yet); neither when the watch waits or is the wrapped
// cache's (own false).
func answer(ss *sharedSnapshot, req *cachev3.Request, sub cachev3.Subscription) (resp *sharedResponse, drop, own bool) {
	typeURL := req.GetTypeUrl()
	// Not GetResources: that copies the map.
	items := ss.snap.GetResourcesAndTTL(typeURL)
	if !sub.IsWildcard() {
		subscribed := sub.SubscribedResources()
		for name := range items {
			if _, ok := subscribed[name]; !ok {
				return nil, true, true
			}
		}
	}
	if ss.snap.GetVersion(typeURL) != req.GetVersionInfo() {
		r := ss.response(typeURL)
		return r, false, r != nil
	}
	// Same version: nothing to send if the Envoy was sent exactly these.
	known := sub.ReturnedResources()
	if len(known) != len(items) {
		return nil, false, false
	}
	for name := range items {
		if _, ok := known[name]; !ok {
			return nil, false, false
		}
	}
	return nil, false, true
}

func (c *sharedCache) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, ch chan cachev3.Response) (func(), error) {
	node := c.hash.ID(req.GetNode())
	c.mu.Lock()
	defer c.mu.Unlock()
	if ss := c.snaps[node]; ss != nil {
		resp, drop, own := answer(ss, req, sub)
		switch {
		case !own:
			return c.SnapshotCache.CreateWatch(req, sub, ch)
		case drop:
			return func() {}, nil
		case resp != nil:
			// The channel holds one response per type: this never blocks.
			ch <- sharedResponseTo{req: req, shared: resp, ctx: context.Background()}
			return func() {}, nil
		}
	}
	c.nextID++
	id := c.nextID
	if c.watches[node] == nil {
		c.watches[node] = map[int64]*sharedWatch{}
	}
	c.watches[node][id] = &sharedWatch{req: req, sub: sub, ch: ch}
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.watches[node], id)
	}, nil
}

// SetSnapshot premarshals snap, gives it to the wrapped cache (for delta
// and its own watches) and answers the open SotW watches of node in ADS
// order: clusters and endpoints before listeners and routes.
func (c *sharedCache) SetSnapshot(ctx context.Context, node string, snap cachev3.ResourceSnapshot) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.SnapshotCache.SetSnapshot(ctx, node, snap); err != nil {
		return err
	}
	ss := &sharedSnapshot{snap: snap, resp: map[string]*sharedResponse{}}
	c.snaps[node] = ss
	ids := make([]int64, 0, len(c.watches[node]))
	for id := range c.watches[node] {
		ids = append(ids, id)
	}
	watches := c.watches[node]
	sort.Slice(ids, func(i, j int) bool {
		ti, tj := cachev3.GetResponseType(watches[ids[i]].req.GetTypeUrl()), cachev3.GetResponseType(watches[ids[j]].req.GetTypeUrl())
		if ti != tj {
			return ti < tj
		}
		return ids[i] < ids[j]
	})
	for _, id := range ids {
		w := watches[id]
		resp, drop, own := answer(ss, w.req, w.sub)
		if drop || resp == nil {
			continue // keep waiting
		}
		if !own {
			// Same version with new names: let the wrapped cache answer.
			continue
		}
		w.ch <- sharedResponseTo{req: w.req, shared: resp, ctx: ctx}
		delete(watches, id)
	}
	return nil
}

// ClearSnapshot forgets node's snapshot in both caches.
func (c *sharedCache) ClearSnapshot(node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.snaps, node)
	c.SnapshotCache.ClearSnapshot(node)
}
