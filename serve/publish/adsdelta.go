package publish

import (
	"maps"
	"slices"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// deltaType is a delta stream's state of one type.
type deltaType struct {
	typeURL string
	// legacy: no request of the type subscribed to a resource yet; the
	// subscription stays a wildcard one until unsubscribed from "*".
	legacy   bool
	wildcard bool
	names    *nameSet
	known    knownVersions
	open     bool
	// first: the open request is the type's first (no nonce); a wildcard
	// one is answered even when there is nothing to send.
	first bool
}

// knownVersions are the versions of the resources an Envoy holds: those of
// every resource of snap, or its own map.
type knownVersions struct {
	snap *typeSnap
	own  map[string]string
}

func (k knownVersions) get(name string) (string, bool) {
	if k.snap != nil {
		v, ok := k.snap.versions[name]
		return v, ok
	}
	v, ok := k.own[name]
	return v, ok
}

func (k knownVersions) names(yield func(string) bool) {
	if k.snap != nil {
		for name := range k.snap.items {
			if !yield(name) {
				return
			}
		}
		return
	}
	for name := range k.own {
		if !yield(name) {
			return
		}
	}
}

// mutable returns the versions as the stream's own map.
func (k *knownVersions) mutable() map[string]string {
	if k.snap != nil {
		k.own, k.snap = maps.Clone(k.snap.versions), nil
	}
	if k.own == nil {
		k.own = map[string]string{}
	}
	return k.own
}

type deltaStream struct {
	*adsStream
	st    grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]
	types []*deltaType // in ADS order, as for SotW
}

func (a *adsServer) DeltaAggregatedResources(st discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesServer) error {
	return a.deltaStream(st, "")
}

// deltaStream runs a delta stream: ADS, or the per-type service of fixed.
func (a *adsServer) deltaStream(st grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse], fixed string) error {
	s := &deltaStream{adsStream: a.newStream(st.Context(), true, fixed), st: st}
	s.respondAll = func() error { return respondEach(s.types, s.respond) }
	return runStream(s.adsStream, st.Recv, s.request)
}

func (s *deltaStream) add(typeURL string) *deltaType {
	t := &deltaType{typeURL: internType(typeURL), legacy: true}
	s.types = addInADSOrder(s.types, t, func(t *deltaType) string { return t.typeURL })
	return t
}

func (s *deltaStream) request(req *discoveryv3.DeltaDiscoveryRequest) error {
	typeURL, err := s.received(req.GetNode(), req.GetTypeUrl(), req.GetResponseNonce(), req.GetErrorDetail())
	if err != nil {
		return err
	}

	var snap *typeSnap
	if g := s.srv.cache.snapshot(s.gateway); g != nil {
		snap = g.typ(typeURL)
	}
	t, ok := s.find(typeURL)
	if !ok {
		t = s.add(typeURL)
		t.wildcard = len(req.GetResourceNamesSubscribe()) == 0
		if v := req.GetInitialResourceVersions(); len(v) > 0 {
			t.known.own = maps.Clone(v)
		}
	}
	t.subscribe(req.GetResourceNamesSubscribe(), req.GetResourceNamesUnsubscribe(), snap)
	t.open, t.first = true, req.GetResponseNonce() == ""
	return s.respond(t)
}

func (s *deltaStream) find(typeURL string) (*deltaType, bool) {
	for _, t := range s.types {
		if t.typeURL == typeURL {
			return t, true
		}
	}
	return nil, false
}

// subscribe applies a request's changes to the subscription, as
// go-control-plane's stream.Subscription does.
func (t *deltaType) subscribe(add, drop []string, snap *typeSnap) {
	if t.legacy {
		if len(add) == 0 {
			return
		}
		t.legacy = false
	}
	if len(add) == 0 && len(drop) == 0 {
		return
	}
	if t.names.len() == 0 && len(drop) == 0 && !slices.Contains(add, "*") {
		// The common case: the first names, maybe the snapshot's.
		t.names = subscription(add, snap)
		return
	}
	set := map[string]struct{}{}
	if t.names != nil {
		set = maps.Clone(t.names.set)
	}
	for _, name := range add {
		if name == "*" {
			t.wildcard = true
			continue
		}
		set[name] = struct{}{}
	}
	for _, name := range drop {
		if name == "*" {
			t.wildcard = false
			continue
		}
		if _, ok := set[name]; ok && t.wildcard {
			// Still wanted through the wildcard: say whether it exists.
			t.known.mutable()[name] = ""
		} else if _, ok := t.known.get(name); ok {
			delete(t.known.mutable(), name)
		}
		delete(set, name)
	}
	t.names = &nameSet{set: set}
	if snap != nil && t.names.len() == snap.names.len() && t.names.subsetOf(snap.names) {
		t.names = snap.names
	}
}

// respond sends t what changed in the gateway's resources of the type
// against the versions the Envoy holds, if it waits and anything did.
func (s *deltaStream) respond(t *deltaType) error {
	if !t.open {
		return nil
	}
	g, err := s.snapshot()
	if g == nil || err != nil {
		return err
	}
	snap := g.typ(t.typeURL)
	resources, err := snap.deltaResources()
	if err != nil {
		return status.Errorf(codes.Internal, "%s", err.Error())
	}
	var changed []*discoveryv3.Resource
	for i, name := range snap.sorted {
		if !t.wildcard && !t.names.has(name) {
			continue
		}
		if v, ok := t.known.get(name); ok && v == snap.versions[name] {
			continue
		}
		changed = append(changed, resources[i])
	}
	var removed []string
	for name := range t.known.names {
		if _, ok := snap.items[name]; !ok || (!t.wildcard && !t.names.has(name)) {
			removed = append(removed, name)
		}
	}
	if len(changed) == 0 && len(removed) == 0 && !(t.first && t.wildcard) {
		// What the Envoy holds of the type is the snapshot's.
		if t.wildcard || snap.names.subsetOf(t.names) {
			t.known = knownVersions{snap: snap}
		}
		s.srv.tracker.holds(s.id, t.typeURL, g)
		return nil
	}
	slices.Sort(removed)
	t.holdSubscribed(snap)
	resp := &discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: snap.version, Resources: changed, RemovedResources: removed, TypeUrl: t.typeURL, Nonce: s.nextNonce()}
	t.open, t.first = false, false
	s.srv.tracker.sent(s.id, t.typeURL, resp.Nonce, g)
	return s.st.Send(resp)
}

// holdSubscribed notes that the Envoy now holds the subscribed resources
// of snap.
func (t *deltaType) holdSubscribed(snap *typeSnap) {
	if t.wildcard || snap.names.subsetOf(t.names) {
		t.known = knownVersions{snap: snap}
		return
	}
	own := map[string]string{}
	for name := range t.names.set {
		if v, ok := snap.versions[name]; ok {
			own[name] = v
		}
	}
	t.known = knownVersions{own: own}
}
