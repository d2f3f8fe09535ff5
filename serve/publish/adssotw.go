package publish

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// adsServer is the Aggregated Discovery Service of one ServeXDS.
type adsServer struct {
	discoveryv3.UnimplementedAggregatedDiscoveryServiceServer
	cache   *adsCache
	tracker *tracker
}

// adsStream is what SotW and delta streams share: the node, the gateway
// whose snapshot they are sent, and how they are woken when it changes.
//
// A stream has no goroutine of its own: gRPC's handler goroutine blocks in
// Recv and answers each request itself, and a change of the snapshot is
// sent by a short-lived goroutine (sendNews). mu serializes the two, since
// gRPC allows one Send at a time and what a stream holds changes with what
// it is sent.
type adsStream struct {
	srv *adsServer
	id  streamID
	// ctx is the stream's: it says what the client may fetch (access.go).
	ctx context.Context
	// fixed is the type of a per-type stream (CDS, EDS, ...); "" for ADS.
	fixed string
	// respondAll sends every type what it waits for, in ADS order.
	respondAll func() error
	// waking: a goroutine is about to send the snapshot's news.
	waking atomic.Bool

	mu      sync.Mutex
	node    *corev3.Node
	gateway string
	joined  bool
	nonce   int64
	// done: the handler returned, so nothing may be sent any more.
	done bool
	// err is the error of sendNews, returned by the handler on the next
	// request. It is a failed Send, after which Recv fails too, or a
	// response that cannot be encoded.
	err error
}

func (a *adsServer) newStream(ctx context.Context, delta bool, fixed string) *adsStream {
	return &adsStream{srv: a, id: a.cache.streamID(delta), fixed: fixed, ctx: ctx}
}

// runStream runs a stream: it receives requests and answers each with s
// locked, until the Envoy closes the stream or the server stops.
func runStream[T any](s *adsStream, recv func() (T, error), request func(T) error) error {
	defer s.close()
	for {
		req, err := recv()
		if err != nil {
			return nil
		}
		s.mu.Lock()
		err = s.err
		if err == nil {
			err = request(req)
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// wake makes a goroutine send the stream what changed in the gateway's
// snapshot, unless one is about to.
func (s *adsStream) wake() {
	if s.waking.CompareAndSwap(false, true) {
		go s.sendNews()
	}
}

func (s *adsStream) sendNews() {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Cleared before the snapshot is read: a change after this wakes the
	// stream again.
	s.waking.Store(false)
	if s.done || s.err != nil {
		return
	}
	s.err = s.respondAll()
}

// setNode takes the node of a request: only the first must carry it. A
// gateway the client may not fetch is PermissionDenied. Callers hold s.mu.
// received notes a request of either encoding: its node, its type (that
// of a per-type stream, or refused), and its ACK or NACK of nonce for the
// tracker. It returns the type.
func (s *adsStream) received(node *corev3.Node, typeURL, nonce string, nack *rpcstatus.Status) (string, error) {
	node, err := s.setNode(node)
	if err != nil {
		return "", err
	}
	typeURL, err = requestType(s.fixed, typeURL)
	if err != nil {
		return "", err
	}
	s.srv.tracker.request(s.id, node, typeURL, nonce, nack.GetMessage(), nack != nil)
	return typeURL, nil
}

func (s *adsStream) setNode(node *corev3.Node) (*corev3.Node, error) {
	if node == nil {
		node = s.node
	}
	if key := nodeKey(node); !s.joined || key != s.gateway {
		if err := allowGateway(s.ctx, key); err != nil {
			return nil, err
		}
		if s.joined {
			s.srv.cache.leave(s.gateway, s)
		}
		s.gateway, s.joined = key, true
		s.srv.cache.join(key, s)
	}
	s.node = node
	return node, nil
}

// snapshot returns what the stream's gateway is served, nil before the
// first snapshot; a snapshot with secrets the client may not have is
// PermissionDenied.
func (s *adsStream) snapshot() (*gatewaySnap, error) {
	g := s.srv.cache.snapshot(s.gateway)
	if g == nil {
		return nil, nil
	}
	return g, allowSecrets(s.ctx, s.gateway, g)
}

func (s *adsStream) close() {
	s.mu.Lock()
	s.done = true
	joined, gateway := s.joined, s.gateway
	s.mu.Unlock()
	if joined {
		s.srv.cache.leave(gateway, s)
	}
	s.srv.tracker.closed(s.id)
}

func (s *adsStream) nextNonce() string {
	s.nonce++
	return strconv.FormatInt(s.nonce, 10)
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
	// took: the Envoy ACKed sent, the last response.
	took bool
	// sent is what the type was last sent; returned the names of it the
	// Envoy still subscribes to.
	sent     *typeSnap
	returned *nameSet
}

type sotwStream struct {
	*adsStream
	st grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
	// types in ADS order: clusters, endpoints, listeners, routes, others.
	types []*sotwType
}

func (a *adsServer) StreamAggregatedResources(st discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	return a.sotwStream(st, "")
}

// sotwStream runs a SotW stream: ADS, or the per-type service of fixed.
func (a *adsServer) sotwStream(st grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse], fixed string) error {
	s := &sotwStream{adsStream: a.newStream(st.Context(), false, fixed), st: st}
	s.respondAll = func() error { return respondEach(s.types, s.respond) }
	return runStream(s.adsStream, st.Recv, s.request)
}

func (s *sotwStream) typ(typeURL string) *sotwType {
	for _, t := range s.types {
		if t.typeURL == typeURL {
			return t
		}
	}
	t := &sotwType{typeURL: internType(typeURL), legacy: true}
	s.types = addInADSOrder(s.types, t, func(t *sotwType) string { return t.typeURL })
	return t
}

func (s *sotwStream) request(req *discoveryv3.DiscoveryRequest) error {
	typeURL, err := s.received(req.GetNode(), req.GetTypeUrl(), req.GetResponseNonce(), req.GetErrorDetail())
	if err != nil {
		return err
	}
	nack := req.GetErrorDetail() != nil
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
	if t.sent != nil && t.held == t.sent.version {
		t.held = t.sent.version // not the request's copy
	}
	t.took = !nack && t.sent != nil && t.held == t.sent.version
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
	g, err := s.snapshot()
	if g == nil || err != nil {
		return err
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
	var shared []byte
	if t.took && snap.version != t.held && !cachev3.ResourceRequiresFullStateInSotw(t.typeURL) && t.sent.names.subsetOf(t.returned) {
		// The Envoy holds every resource it was sent: send what changed.
		shared, err = snap.sotwChanges(t.sent)
	} else {
		shared, err = snap.sotwResponse()
	}
	if err != nil {
		return status.Errorf(codes.Internal, "%s", err.Error())
	}
	nonce := s.nextNonce()
	t.open, t.nonce, t.sent, t.returned = false, nonce, snap, snap.names
	s.srv.tracker.sent(s.id, t.typeURL, nonce, g)
	// A DiscoveryResponse of snap's resources with nonce, sent through
	// adsCodec.
	return s.st.SendMsg(&encodedResponse{shared: shared, own: nonceField(nonce)})
}
