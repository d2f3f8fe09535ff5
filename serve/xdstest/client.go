package xdstest

import (
	"context"
	"crypto/tls"
	"errors"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// Options configure a Client.
type Options struct {
	// NodeID is sent as node.id.
	NodeID string
	// Cluster is sent as node.cluster, e.g. "default/eg".
	Cluster string
	// Delta selects DeltaAggregatedResources instead of the state-of-the-world
	// StreamAggregatedResources.
	Delta bool
	// Reject, when non-nil, is called for each received resource set (the
	// decoded resources of one response). A non-nil error makes the client
	// NACK that response with the error as error_detail, as Envoy does, and
	// keep what it held before; nil makes it ACK and apply the response.
	Reject func(typeURL string, resources []proto.Message) error
	// TLS, when set, makes the client connect over TLS with this config
	// (with a certificate in it for mTLS); nil connects in plain text.
	TLS *tls.Config
}

// Ack records one ACK the client sent.
type Ack struct {
	TypeURL string
	Version string // version_info (SotW) or system_version_info (delta) ACKed
	Nonce   string
	At      time.Time // when the ACK was handed to the stream
}

// Stats counts the ACKs and NACKs a client sent.
type Stats struct {
	ACKs  int
	NACKs int
}

// Client is an ADS client that subscribes, ACKs and NACKs like Envoy.
type Client struct {
	t      testing.TB
	opts   Options
	conn   *grpc.ClientConn
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// sendMu serializes sends; node is sent on the first message only.
	sendMu   sync.Mutex
	sotw     discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	delta    discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	nodeSent bool

	// types is owned by the receiving goroutine (and by Dial before it starts).
	types map[string]*typeState

	mu      sync.Mutex
	state   State
	acks    []Ack
	changed chan struct{} // closed and replaced on every change
	err     error         // why the stream ended, if it did on its own
}

// typeState is the subscription state of one type URL.
type typeState struct {
	requested bool     // a request for this type was sent
	names     []string // subscribed names, sorted; nil for wildcard
	nonce     string   // nonce of the last response received
	acked     string   // version of the last accepted response
	nacked    *string  // version of the last rejected response, if the last was rejected
	nackDelay time.Duration
}

// Dial connects to the ADS server at addr (over TLS when opts.TLS is set),
// subscribes to CDS and LDS as wildcard and starts receiving. The client is
// closed on t.Cleanup.
func Dial(ctx context.Context, t testing.TB, addr string, opts Options) *Client {
	t.Helper()
	creds := insecure.NewCredentials()
	if opts.TLS != nil {
		creds = credentials.NewTLS(opts.TLS)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatalf("xdstest: dial %s: %v", addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Client{
		t:       t,
		opts:    opts,
		conn:    conn,
		ctx:     ctx,
		cancel:  cancel,
		types:   map[string]*typeState{},
		state:   newState(),
		changed: make(chan struct{}),
	}
	ads := discoveryv3.NewAggregatedDiscoveryServiceClient(conn)
	if opts.Delta {
		c.delta, err = ads.DeltaAggregatedResources(ctx)
	} else {
		c.sotw, err = ads.StreamAggregatedResources(ctx)
	}
	if err != nil {
		cancel()
		_ = conn.Close()
		t.Fatalf("xdstest: open ADS stream to %s: %v", addr, err)
	}
	t.Cleanup(c.close)

	for _, typeURL := range []string{resourcev3.ClusterType, resourcev3.ListenerType} {
		c.typeState(typeURL).requested = true
		if opts.Delta {
			err = c.sendDelta(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL})
		} else {
			err = c.sendSotw(&discoveryv3.DiscoveryRequest{TypeUrl: typeURL})
		}
		if err != nil {
			t.Fatalf("xdstest: subscribe %s: %v", shortType(typeURL), err)
		}
	}
	c.wg.Add(1)
	if opts.Delta {
		go receive(c, c.delta.Recv, c.onDelta)
	} else {
		go receive(c, c.sotw.Recv, c.onSotw)
	}
	return c
}

// receive handles responses until the stream or a handler fails.
func receive[T any](c *Client, recv func() (T, error), handle func(T) error) {
	defer c.wg.Done()
	for {
		resp, err := recv()
		if err == nil {
			err = handle(resp)
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *Client) close() {
	c.cancel()
	c.wg.Wait()
	_ = c.conn.Close()
}

// Snapshot returns a copy of what the client currently holds.
func (c *Client) Snapshot() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.clone()
}

// Stats returns how many ACKs and NACKs the client sent.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{ACKs: len(c.acks), NACKs: len(c.state.NACKs)}
}

// Acks returns every ACK sent, in order.
func (c *Client) Acks() []Ack {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Ack(nil), c.acks...)
}

// AckTimes returns when each ACK of typeURL was sent, in order.
func (c *Client) AckTimes(typeURL string) []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var times []time.Time
	for _, a := range c.acks {
		if a.TypeURL == typeURL {
			times = append(times, a.At)
		}
	}
	return times
}

// Err returns why the stream ended, or nil while it runs or after Close.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// WaitFor blocks until cond holds for the client's state, or fails the test
// with a summary of the last state when timeout elapses or the stream ends.
// cond must not modify the State it is given.
func (c *Client) WaitFor(timeout time.Duration, cond func(State) bool) {
	c.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		s, changed, err := c.state.clone(), c.changed, c.err
		c.mu.Unlock()
		if cond(s) {
			return
		}
		if err != nil {
			c.t.Fatalf("xdstest: stream ended before the condition held: %v\n%s", err, s)
		}
		select {
		case <-changed:
		case <-deadline.C:
			c.t.Fatalf("xdstest: condition not met after %v\n%s", timeout, s)
		}
	}
}

func (c *Client) typeState(typeURL string) *typeState {
	ts, ok := c.types[typeURL]
	if !ok {
		ts = &typeState{}
		c.types[typeURL] = ts
	}
	return ts
}

// update applies fn to the state, records an ACK or a NACK detail when given,
// and wakes up WaitFor.
func (c *Client) update(fn func(State), ack *Ack, nack string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fn != nil {
		fn(c.state)
	}
	if ack != nil {
		c.acks = append(c.acks, *ack)
	}
	if nack != "" {
		c.state.NACKs = append(c.state.NACKs, nack)
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// fail records why the stream ended unless the client is being closed.
func (c *Client) fail(err error) {
	if c.ctx.Err() != nil {
		return
	}
	if err == nil {
		err = errors.New("xdstest: stream closed by server")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// later runs send after delay unless the client is closed first.
func (c *Client) later(delay time.Duration, send func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-c.ctx.Done():
		case <-timer.C:
			send()
		}
	}()
}

func (c *Client) node() *corev3.Node {
	if c.nodeSent {
		return nil
	}
	c.nodeSent = true
	return &corev3.Node{Id: c.opts.NodeID, Cluster: c.opts.Cluster, UserAgentName: "sluice-xdstest"}
}

func (c *Client) sendSotw(req *discoveryv3.DiscoveryRequest) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	req.Node = c.node()
	return c.sotw.Send(req)
}

func (c *Client) sendDelta(req *discoveryv3.DeltaDiscoveryRequest) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	req.Node = c.node()
	return c.delta.Send(req)
}

// wildcard reports whether a type is subscribed as wildcard, as Envoy does
// for CDS and LDS.
func wildcard(typeURL string) bool {
	return typeURL == resourcev3.ClusterType || typeURL == resourcev3.ListenerType
}

// dependent returns the type URL and names a response of typeURL makes the
// client subscribe to: EDS for clusters, RDS for listeners.
func dependent(typeURL string, s State) (string, []string, bool) {
	switch typeURL {
	case resourcev3.ClusterType:
		return resourcev3.EndpointType, edsNames(s.Clusters), true
	case resourcev3.ListenerType:
		return resourcev3.RouteType, rdsNames(s.Listeners), true
	}
	return "", nil, false
}

// prune drops held resources of typeURL that are not in names.
func prune(s State, typeURL string, names []string) {
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
	}
	for _, n := range s.names(typeURL) {
		if !keep[n] {
			s.remove(typeURL, n)
		}
	}
}
