package publish

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// sluice serves ADS itself (ads*.go) rather than through go-control-plane's
// server, for memory. go-control-plane keeps, per stream and type, a
// subscription map built from every request's resource names and, for
// delta, a map of every resource's version sent: with 1,000 EDS names per
// Envoy that is ~55 KiB (SotW) to ~200 KiB (delta) per connected Envoy,
// plus the decoded names themselves. Here a stream keeps per type only
// pointers into the gateway's shared snapshot state: the names it
// subscribes to are the snapshot's own set when they are the same names
// (they are, once an Envoy has caught up), and what it was sent is the
// snapshot it was sent. A stream holds its own map only while it differs
// from the snapshot.
//
// The protocol is go-control-plane's in ADS mode, ordered: a SotW watch is
// answered with every resource of the type, and only once the Envoy
// subscribes to all of them; open watches are answered clusters, endpoints,
// listeners, routes, in that order; a SotW NACK is held until the
// gateway's snapshot changes (go-control-plane's own server would send the
// NACKed version again at once, envoyproxy/go-control-plane#962); delta
// streams are sent what changed against the versions they hold. The
// per-type xDS services (CDS, EDS, LDS, RDS without ADS) are the same
// streams fixed to one type (pertype.go): there is one xDS path.

// adsCache holds the snapshot each gateway is served, with what its ADS
// streams are sent built once for all of them, and the streams to wake when
// it changes.
type adsCache struct {
	nextID atomic.Int64

	mu       sync.Mutex
	gateways map[string]*adsGateway
	// unknown is served to the gateways without a snapshot of their own.
	unknown *gatewaySnap
}

type adsGateway struct {
	snap    *gatewaySnap
	streams map[*adsStream]struct{}
}

func newADSCache() *adsCache {
	return &adsCache{gateways: map[string]*adsGateway{}}
}

// streamID numbers a new stream (ADS or per-type) for the tracker.
func (c *adsCache) streamID(delta bool) streamID {
	return streamID{delta: delta, id: -c.nextID.Add(1)}
}

// set serves snap to gateway's streams and wakes them. snap must be
// premarshalled and have its version map.
func (c *adsCache) set(gateway string, snap cachev3.ResourceSnapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.gateway(gateway)
	g.snap = newGatewaySnap(snap, g.snap)
	for s := range g.streams {
		s.wake()
	}
}

// setUnknown serves snap to every gateway without a snapshot of its own
// and wakes their streams.
func (c *adsCache) setUnknown(snap cachev3.ResourceSnapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.unknown = newGatewaySnap(snap, c.unknown)
	for _, g := range c.gateways {
		if g.snap == nil {
			for s := range g.streams {
				s.wake()
			}
		}
	}
}

// snapshot returns what gateway is served: its own snapshot, else the
// unknown gateways' one, nil before that is set.
func (c *adsCache) snapshot(gateway string) *gatewaySnap {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.gateways[gateway]; g != nil && g.snap != nil {
		return g.snap
	}
	return c.unknown
}

// known reports whether gateway has a snapshot of its own.
func (c *adsCache) known(gateway string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.gateways[gateway]
	return g != nil && g.snap != nil
}

// join makes s be woken when gateway's snapshot changes.
func (c *adsCache) join(gateway string, s *adsStream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gateway(gateway).streams[s] = struct{}{}
}

func (c *adsCache) leave(gateway string, s *adsStream) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.gateways[gateway]; g != nil {
		delete(g.streams, s)
		if len(g.streams) == 0 && g.snap == nil {
			delete(c.gateways, gateway)
		}
	}
}

// gateway returns gateway's state, creating it. Callers hold c.mu.
func (c *adsCache) gateway(key string) *adsGateway {
	g := c.gateways[key]
	if g == nil {
		g = &adsGateway{streams: map[*adsStream]struct{}{}}
		c.gateways[key] = g
	}
	return g
}

// adsOrder orders types as ADS answers them: clusters, endpoints,
// listeners, routes, then the others.
func adsOrder(typeURL string) int { return int(cachev3.GetResponseType(typeURL)) }

// gatewaySnap is one snapshot of a gateway, by type URL.
type gatewaySnap struct {
	// version is the gateway's version (gatewayVersion).
	version string
	types   map[string]*typeSnap

	secretsOnce sync.Once
	secrets     bool // see holdsSecrets
}

func newGatewaySnap(snap cachev3.ResourceSnapshot, prev *gatewaySnap) *gatewaySnap {
	g := &gatewaySnap{version: gatewayVersion(snap), types: map[string]*typeSnap{}}
	for i := range types.UnknownType {
		typeURL, err := cachev3.GetResponseTypeURL(i)
		if err != nil {
			continue
		}
		t := &typeSnap{
			typeURL:  typeURL,
			version:  snap.GetVersion(typeURL),
			items:    snap.GetResourcesAndTTL(typeURL),
			versions: snap.GetVersionMap(typeURL),
		}
		// Keep the previous snapshot's name set when the names are the
		// same, so that streams subscribed to it stay shared.
		if prev != nil && prev.types[typeURL].names.equalKeys(t.items) {
			t.names = prev.types[typeURL].names
		} else {
			t.names = &nameSet{set: make(map[string]struct{}, len(t.items))}
			for name := range t.items {
				t.names.set[name] = struct{}{}
			}
		}
		g.types[typeURL] = t
	}
	return g
}

// typ returns the state of typeURL; a type the snapshot does not know has
// no resources and version "".
func (g *gatewaySnap) typ(typeURL string) *typeSnap {
	if t := g.types[typeURL]; t != nil {
		return t
	}
	return &typeSnap{typeURL: typeURL, names: &nameSet{}}
}

// typeSnap is the resources of one type in a snapshot and the responses
// made of them, built on first use and shared by every stream: they must
// not be modified.
type typeSnap struct {
	typeURL  string
	version  string
	items    map[string]types.ResourceWithTTL
	versions map[string]string // per resource, for delta
	names    *nameSet

	once   sync.Once
	sorted []string     // names of items
	anys   []*anypb.Any // their bytes, in the same order
	err    error

	sotwOnce sync.Once
	sotw     []byte // the SotW response without its nonce
	sotwErr  error

	deltaOnce sync.Once
	delta     []*discoveryv3.Resource // anys with name and version

	changesMu   sync.Mutex
	changesFrom *typeSnap // changes is the SotW response of what changed since it
	changes     []byte
}

// build marshals the resources (premarshalled: this takes their bytes).
func (t *typeSnap) build() error {
	t.once.Do(func() {
		t.sorted = slices.Sorted(maps.Keys(t.items))
		t.anys = make([]*anypb.Any, len(t.sorted))
		for i, name := range t.sorted {
			b, err := cachev3.MarshalResource(t.items[name].Resource)
			if err != nil {
				t.err = fmt.Errorf("marshal %s: %w", name, err)
				return
			}
			t.anys[i] = &anypb.Any{TypeUrl: t.typeURL, Value: b}
		}
	})
	return t.err
}

// sotwResponse returns the SotW response of the type encoded, without a
// nonce: see encodedResponse.
func (t *typeSnap) sotwResponse() ([]byte, error) {
	if err := t.build(); err != nil {
		return nil, err
	}
	t.sotwOnce.Do(func() {
		resp := &discoveryv3.DiscoveryResponse{VersionInfo: t.version, Resources: t.anys, TypeUrl: t.typeURL}
		b, err := proto.Marshal(resp)
		t.sotw, t.sotwErr = slices.Clip(b), err
	})
	return t.sotw, t.sotwErr
}

// sotwChanges returns the SotW response, without a nonce, of the
// resources of t that are new or changed since prev: for the types a SotW
// response need not hold whole (EDS, RDS), sent to an Envoy that holds
// prev. It is built once for the prev most streams hold.
func (t *typeSnap) sotwChanges(prev *typeSnap) ([]byte, error) {
	if err := t.build(); err != nil {
		return nil, err
	}
	t.changesMu.Lock()
	defer t.changesMu.Unlock()
	if t.changesFrom == prev {
		return t.changes, nil
	}
	var anys []*anypb.Any
	for i, name := range t.sorted {
		if v, ok := prev.versions[name]; !ok || v != t.versions[name] {
			anys = append(anys, t.anys[i])
		}
	}
	b, err := proto.Marshal(&discoveryv3.DiscoveryResponse{VersionInfo: t.version, Resources: anys, TypeUrl: t.typeURL})
	if err != nil {
		return nil, err
	}
	t.changesFrom, t.changes = prev, slices.Clip(b)
	return t.changes, nil
}

// deltaResources returns the delta form of every resource, in the order of
// t.sorted.
func (t *typeSnap) deltaResources() ([]*discoveryv3.Resource, error) {
	if err := t.build(); err != nil {
		return nil, err
	}
	t.deltaOnce.Do(func() {
		t.delta = make([]*discoveryv3.Resource, len(t.sorted))
		for i, name := range t.sorted {
			t.delta[i] = &discoveryv3.Resource{Name: name, Version: t.versions[name], Resource: t.anys[i]}
		}
	})
	return t.delta, nil
}

// nameSet is an immutable set of resource names: a snapshot's, shared with
// the streams that subscribe to exactly its names, or a stream's own.
type nameSet struct {
	set map[string]struct{}
}

func (n *nameSet) has(name string) bool {
	if n == nil {
		return false
	}
	_, ok := n.set[name]
	return ok
}

func (n *nameSet) len() int {
	if n == nil {
		return 0
	}
	return len(n.set)
}

// subsetOf reports whether every name of n is in o.
func (n *nameSet) subsetOf(o *nameSet) bool {
	if n == o || n.len() == 0 {
		return true
	}
	if n.len() > o.len() {
		return false
	}
	for name := range n.set {
		if !o.has(name) {
			return false
		}
	}
	return true
}

// equalKeys reports whether n holds exactly the keys of items.
func (n *nameSet) equalKeys(items map[string]types.ResourceWithTTL) bool {
	if n.len() != len(items) {
		return false
	}
	for name := range items {
		if !n.has(name) {
			return false
		}
	}
	return true
}

// intersect returns the names of n that are in o: n itself when that is
// all of them.
func (n *nameSet) intersect(o *nameSet) *nameSet {
	if n.subsetOf(o) {
		return n
	}
	out := &nameSet{set: map[string]struct{}{}}
	for name := range n.set {
		if o.has(name) {
			out.set[name] = struct{}{}
		}
	}
	return out
}

// subscription returns the set of names, which may repeat: the snapshot
// type's own set when they are its names, else a new one.
func subscription(names []string, t *typeSnap) *nameSet {
	if len(names) == 0 {
		return nil
	}
	if t != nil && len(names) == t.names.len() {
		// Without a map when the names are the snapshot's in increasing
		// order (so none repeats).
		same := true
		for i, name := range names {
			if !t.names.has(name) || (i > 0 && name <= names[i-1]) {
				same = false
				break
			}
		}
		if same {
			return t.names
		}
	}
	out := &nameSet{set: make(map[string]struct{}, len(names))}
	for _, name := range names {
		out.set[name] = struct{}{}
	}
	if t != nil && out.len() == t.names.len() && out.subsetOf(t.names) {
		return t.names
	}
	return out
}

// respondEach sends each type of a stream, in ADS order, what it waits
// for.
func respondEach[T any](types []T, respond func(T) error) error {
	for _, t := range types {
		if err := respond(t); err != nil {
			return err
		}
	}
	return nil
}

// addInADSOrder adds t to a stream's types, kept in ADS order.
func addInADSOrder[T any](types []T, t T, typeURL func(T) string) []T {
	types = append(types, t)
	slices.SortStableFunc(types, func(a, b T) int { return adsOrder(typeURL(a)) - adsOrder(typeURL(b)) })
	return types
}
