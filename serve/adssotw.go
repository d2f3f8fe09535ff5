package serve

import (
	"context"
	"slices"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// adsServer is the Aggregated Discovery Service of one ServeXDS.
type adsServer struct {
	discoveryv3.UnimplementedAggregatedDiscoveryServiceServer
	ctx     context.Context
	cache   *adsCache
	tracker *tracker
}

// adsStream is what SotW and delta streams share: the node, the gateway
// whose snapshot they are sent, and the channel that wakes them.
type adsStream struct {
	srv     *adsServer
	id      streamID
	node    *corev3.Node
	gateway string
	joined  bool
	wake    chan struct{}
	nonce   int64
}

func (a *adsServer) newStream(delta bool) *adsStream {
	return &adsStream{srv: a, id: a.cache.streamID(delta), wake: make(chan struct{}, 1)}
}

// setNode takes the node of a request: only the first must carry it.
func (s *adsStream) setNode(node *corev3.Node) *corev3.Node {
	if node == nil {
		node = s.node
	}
	s.node = node
	if key := (nodeHash{}).ID(node); !s.joined || key != s.gateway {
		if s.joined {
			s.srv.cache.leave(s.gateway, s.wake)
		}
		s.gateway, s.joined = key, true
		s.srv.cache.join(key, s.wake)
	}
	return node
}

func (s *adsStream) close() {
	if s.joined {
		s.srv.cache.leave(s.gateway, s.wake)
	}
	s.srv.tracker.closed(s.id)
}

func (s *adsStream) nextNonce() string {
	s.nonce++
	return strconv.FormatInt(s.nonce, 10)
}

// receiveRequests turns a stream's blocking Recv into a channel, closed when the
// stream ends.
func receiveRequests[T any](ctx, done context.Context, recv func() (T, error), out chan<- T) {
	defer close(out)
	for {
		m, err := recv()
		if err != nil {
			return
		}
		select {
		case out <- m:
		case <-ctx.Done():
			return
		case <-done.Done():
			return
		}
	}
}

// sotwType is a SotW stream's state of one type.
type sotwType struct {
	typeURL string
	// legacy: no request of the type named a resource yet, so an empty one
	// is a wildcard subscription.
	legacy   bool
	wildcard bool
	names    *nameSet
	// open: the Envoy waits for a response.
	open bool
	// held is the version the Envoy holds: the request's, or the version
	// it NACKed.
	held  string
	nonce string
	// sent is what the type was last sent; returned the names of it the
	// Envoy still subscribes to.
	sent     *typeSnap
	returned *nameSet
}

type sotwStream struct {
	*adsStream
	st discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer
	// types in ADS order: clusters, endpoints, listeners, routes, others.
	types []*sotwType
}

func (a *adsServer) StreamAggregatedResources(st discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	reqs := make(chan *discoveryv3.DiscoveryRequest)
	go receiveRequests(st.Context(), a.ctx, st.Recv, reqs)
	s := &sotwStream{adsStream: a.newStream(false), st: st}
	defer s.close()
	for {
		select {
		case <-a.ctx.Done():
			return nil
		case req, ok := <-reqs:
			if !ok {
				return nil
			}
			if err := s.request(req); err != nil {
				return err
			}
		case <-s.wake:
			for _, t := range s.types {
				if err := s.respond(t); err != nil {
					return err
				}
			}
		}
	}
}

func (s *sotwStream) typ(typeURL string) *sotwType {
	for _, t := range s.types {
		if t.typeURL == typeURL {
			return t
		}
	}
	t := &sotwType{typeURL: typeURL, legacy: true}
	s.types = append(s.types, t)
	slices.SortStableFunc(s.types, func(a, b *sotwType) int { return adsOrder(a.typeURL) - adsOrder(b.typeURL) })
	return t
}

func (s *sotwStream) request(req *discoveryv3.DiscoveryRequest) error {
	node := s.setNode(req.GetNode())
	typeURL := req.GetTypeUrl()
	if typeURL == "" {
		return status.Errorf(codes.InvalidArgument, "type URL is required for ADS")
	}
	nack := req.GetErrorDetail() != nil
	s.srv.tracker.request(s.id, node, typeURL, req.GetResponseNonce(), req.GetErrorDetail().GetMessage(), nack)
	t := s.typ(typeURL)
	if t.nonce != "" && req.GetResponseNonce() != t.nonce {
		// Stale: the Envoy has not seen the last response yet and will
		// answer it.
		return nil
	}

	var snap *typeSnap
	if g := s.srv.cache.snapshot(s.gateway); g != nil {
		snap = g.typ(typeURL)
	}
	names := req.GetResourceNames()
	if !t.legacy || len(names) > 0 {
		t.legacy = false
		t.wildcard = slices.Contains(names, "*")
		if t.wildcard {
			names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "*" })
		}
		t.names = subscription(names, snap)
		if !t.wildcard {
			// Names dropped are to be sent again if asked for again.
			t.returned = t.returned.intersect(t.names)
		}
	} else {
		t.wildcard = true
	}
	t.held = req.GetVersionInfo()
	if nack && t.sent != nil {
		// Hold the NACKed version: do not send it again until the
		// snapshot changes.
		t.held = t.sent.version
	}
	t.open = true
	return s.respond(t)
}

// respond sends t the gateway's resources of the type if it waits for them
// and they are news to it.
func (s *sotwStream) respond(t *sotwType) error {
	if !t.open {
		return nil
	}
	g := s.srv.cache.snapshot(s.gateway)
	if g == nil {
		return nil
	}
	snap := g.typ(t.typeURL)
	if !t.wildcard && !snap.names.subsetOf(t.names) {
		// ADS: wait until the Envoy asks for every resource.
		return nil
	}
	if snap.version == t.held {
		// Same version: send only if the Envoy lacks one of the resources
		// or, for the types sent whole, holds one that is gone.
		lacks := !snap.names.subsetOf(t.returned)
		gone := cachev3.ResourceRequiresFullStateInSotw(t.typeURL) && !t.returned.subsetOf(snap.names)
		if !lacks && !gone {
			return nil
		}
	}
	if err := snap.build(); err != nil {
		return status.Errorf(codes.Internal, "%s", err.Error())
	}
	resp := &discoveryv3.DiscoveryResponse{VersionInfo: snap.version, Resources: snap.anys, TypeUrl: t.typeURL, Nonce: s.nextNonce()}
	t.open, t.nonce, t.sent, t.returned = false, resp.Nonce, snap, snap.names
	s.srv.tracker.sent(s.id, t.typeURL, resp.Nonce, snap.version)
	return s.st.Send(resp)
}
