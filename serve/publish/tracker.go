package publish

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// NodeStatus is what sluice knows of one connected Envoy.
type NodeStatus struct {
	Node    string `json:"node"`
	Gateway string `json:"gateway"`
	// Version is the gateway version of the last snapshot the Envoy took:
	// it ACKed every type it was sent at that snapshot's version of the
	// type.
	Version   string     `json:"version"`
	LastAck   *time.Time `json:"lastAck,omitempty"`
	LastNack  *time.Time `json:"lastNack,omitempty"`
	NackError string     `json:"nackError,omitempty"`
	Streams   int        `json:"streams"`
}

// sentNonce is what the server sent under one nonce: a type of a
// gateway's snapshot.
type sentNonce struct {
	nonce   string
	typeURL string
	snap    *gatewaySnap
}

// version is the type's version that was sent.
func (n sentNonce) version() string { return n.snap.typ(n.typeURL).version }

// streamID names a stream: SotW and delta streams are numbered apart by
// go-control-plane, so the same number can name one of each.
type streamID struct {
	delta bool
	id    int64
}

// The tracker's state per stream and node is kept in short slices rather
// than maps: an Envoy uses four types, and a small map costs ~300 bytes
// even when it holds one entry.

type streamState struct {
	node  *corev3.Node
	delta bool
	// nonces holds the responses sent and not answered yet.
	nonces []sentNonce
	types  []streamType
}

// streamType is a stream's state of one type.
type streamType struct {
	typeURL string
	// awaited: a dependent type (EDS, RDS) the Envoy subscribed to on this
	// stream and was not yet sent anything of. Until they are answered the
	// Envoy has not taken any version: it asks for them only after
	// receiving clusters and listeners, and may still reject them.
	awaited bool
	// answered: the type was sent at least once on this stream.
	answered bool
}

func (st *streamState) typ(typeURL string) *streamType {
	for i := range st.types {
		if st.types[i].typeURL == typeURL {
			return &st.types[i]
		}
	}
	st.types = append(st.types, streamType{typeURL: internType(typeURL)})
	return &st.types[len(st.types)-1]
}

// awaiting reports whether a dependent type is awaited.
func (st *streamState) awaiting() bool {
	for _, t := range st.types {
		if t.awaited {
			return true
		}
	}
	return false
}

// answer removes the response sent under nonce and returns it.
func (st *streamState) answer(nonce string) (sentNonce, bool) {
	for i, n := range st.nonces {
		if n.nonce == nonce {
			st.nonces = slices.Delete(st.nonces, i, i+1)
			return n, true
		}
	}
	return sentNonce{}, false
}

// nodeState is a NodeStatus plus the per-type versions sent and ACKed.
type nodeState struct {
	NodeStatus
	types []nodeType
	// nacked is the version last reported NACKed: a version NACKed on
	// several types, or again, is reported once.
	nacked string
	// gwSent is the gateway version last sent to the node on any type and
	// gwSentAt when it first was: an ACK's latency counts from it.
	gwSent   string
	gwSentAt time.Time
}

// nodeType is a node's state of one type.
type nodeType struct {
	typeURL string
	sent    string // version last sent
	acked   string // version last ACKed
}

func (ns *nodeState) typ(typeURL string) *nodeType {
	for i := range ns.types {
		if ns.types[i].typeURL == typeURL {
			return &ns.types[i]
		}
	}
	ns.types = append(ns.types, nodeType{typeURL: internType(typeURL)})
	return &ns.types[len(ns.types)-1]
}

// sent returns the version last sent of typeURL.
func (ns *nodeState) sent(typeURL string) string {
	for _, t := range ns.types {
		if t.typeURL == typeURL {
			return t.sent
		}
	}
	return ""
}

// internType returns the type URL that cachev3 names the same, so that
// state kept per type does not hold on to a request's copy.
func internType(typeURL string) string {
	if u, err := cachev3.GetResponseTypeURL(cachev3.GetResponseType(typeURL)); err == nil && u == typeURL {
		return u
	}
	return strings.Clone(typeURL)
}

// tracker turns requests into ACK/NACK events. An Envoy has taken a
// gateway's snapshot when it ACKed every type it was sent at the
// snapshot's version of the type.
type tracker struct {
	mu      sync.Mutex
	streams map[streamID]*streamState
	nodes   map[string]*nodeState

	onAck  func(gateway, node, version string, sent, at time.Time)
	onNack func(gateway, node, version, detail string, at time.Time)
	now    func() time.Time
	// conns counts streams opened and closed (ConnectionChanges).
	conns atomic.Uint64
}

func newTracker() *tracker {
	return &tracker{streams: map[streamID]*streamState{}, nodes: map[string]*nodeState{}, now: time.Now}
}

// request handles one DiscoveryRequest: the first names the node; one with
// a response nonce ACKs (or, with error_detail, NACKs) what was sent. The
// detail is kept clipped to MaxErrorDetail.
func (t *tracker) request(id streamID, node *corev3.Node, typeURL, nonce, detail string, nack bool) {
	detail = Clip(detail, MaxErrorDetail)
	t.mu.Lock()
	st := t.streams[id]
	if st == nil {
		if node == nil {
			t.mu.Unlock()
			return
		}
		st = &streamState{node: node, delta: id.delta}
		t.streams[id] = st
		t.node(node).Streams++
		t.conns.Add(1)
	}
	gateway := GatewayKey(st.node.GetCluster())
	name := nodeName(st.node)
	info, known := st.answer(nonce)
	if !known && dependentType(typeURL) && !st.typ(typeURL).answered {
		st.typ(typeURL).awaited = true
	}
	if known {
		ns := t.node(st.node)
		nt := ns.typ(info.typeURL)
		now := t.now()
		if nack {
			ns.LastNack, ns.NackError = &now, detail
			if t.onNack != nil && ns.nacked != info.snap.version {
				ns.nacked = info.snap.version
				v := info.snap.version
				defer t.onNack(gateway, name, v, detail, now)
			}
		} else {
			nt.acked = info.version()
			if v := t.took(st, ns, info.snap, now); v != "" {
				defer t.onAck(gateway, name, v, ns.sentAt(v, now), now)
			}
		}
	}
	t.mu.Unlock()
}

// took notes that the node of st has taken g, if it has, and returns g's
// version then ("" if not, or if it had already, or if nobody listens).
// Callers hold t.mu.
func (t *tracker) took(st *streamState, ns *nodeState, g *gatewaySnap, now time.Time) string {
	if ns.Version == g.version || st.awaiting() || !ns.takenAll(g, st.delta) {
		return ""
	}
	ns.Version, ns.LastAck = g.version, &now
	if t.onAck == nil {
		return ""
	}
	return g.version
}

// takenAll reports whether the node ACKed every type it was sent at g's
// version of the type. A SotW Envoy subscribes to clusters and listeners
// first, so there they must be among them; over delta any type will do.
func (ns *nodeState) takenAll(g *gatewaySnap, delta bool) bool {
	if !delta && (ns.sent(resourcev3.ClusterType) == "" || ns.sent(resourcev3.ListenerType) == "") {
		return false
	}
	n := 0
	for _, t := range ns.types {
		if t.sent == "" {
			continue
		}
		n++
		if t.acked != g.typ(t.typeURL).version {
			return false
		}
	}
	return n > 0
}

// holds notes that a stream waiting for typeURL needs nothing of g: what
// it holds of the type is g's (a delta stream subscribed to none of the
// resources that changed). If it took what it was sent last, it now holds
// g's version of the type, which may complete g.
func (t *tracker) holds(id streamID, typeURL string, g *gatewaySnap) {
	t.mu.Lock()
	st := t.streams[id]
	if st == nil {
		t.mu.Unlock()
		return
	}
	ns := t.node(st.node)
	nt := ns.typ(typeURL)
	v := g.typ(typeURL).version
	if nt.sent == "" || nt.acked != nt.sent || nt.sent == v {
		t.mu.Unlock()
		return
	}
	nt.sent, nt.acked = v, v
	now := t.now()
	gateway, name := GatewayKey(st.node.GetCluster()), nodeName(st.node)
	took := t.took(st, ns, g, now)
	t.mu.Unlock()
	if took != "" {
		t.onAck(gateway, name, took, ns.sentAt(took, now), now)
	}
}

// dependentType reports whether Envoy subscribes to typeURL by name after
// receiving the resources that name it: EDS after CDS, RDS after LDS. Only
// these are awaited; sluice's snapshots always hold both types, so a
// subscription to them is always answered.
func dependentType(typeURL string) bool {
	return typeURL == resourcev3.EndpointType || typeURL == resourcev3.RouteType
}

// sent notes that g's resources of typeURL were sent on a stream under
// nonce.
func (t *tracker) sent(id streamID, typeURL, nonce string, g *gatewaySnap) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.streams[id]
	if st == nil {
		return
	}
	nt := t.node(st.node).typ(typeURL)
	st.nonces = append(st.nonces, sentNonce{nonce: nonce, typeURL: nt.typeURL, snap: g})
	stt := st.typ(typeURL)
	stt.answered, stt.awaited = true, false
	nt.sent = g.typ(typeURL).version
	if ns := t.node(st.node); ns.gwSent != g.version {
		ns.gwSent, ns.gwSentAt = g.version, t.now()
	}
}

// sentAt returns when the gateway version was first sent to the node, or
// now if it never was (a delta Envoy that needed nothing of it).
func (ns *nodeState) sentAt(version string, now time.Time) time.Time {
	if ns.gwSent == version && !ns.gwSentAt.IsZero() {
		return ns.gwSentAt
	}
	return now
}

func (t *tracker) closed(id streamID) {
	t.mu.Lock()
	st := t.streams[id]
	delete(t.streams, id)
	if st != nil {
		t.conns.Add(1)
		ns := t.node(st.node)
		if ns.Streams--; ns.Streams <= 0 {
			delete(t.nodes, nodeName(st.node))
		}
	}
	t.mu.Unlock()
}

// node returns the state of a node, creating it. Callers hold t.mu.
func (t *tracker) node(n *corev3.Node) *nodeState {
	name := nodeName(n)
	ns := t.nodes[name]
	if ns == nil {
		ns = &nodeState{
			NodeStatus: NodeStatus{Node: name, Gateway: GatewayKey(n.GetCluster())},
		}
		t.nodes[name] = ns
	}
	return ns
}

// connected lists the connected Envoys by node name.
func (t *tracker) connected() []NodeStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]NodeStatus, 0, len(t.nodes))
	for _, ns := range t.nodes {
		out = append(out, ns.NodeStatus)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// allAt reports whether every connected Envoy of gateway took version.
// Every ACK asks: it neither copies nor sorts.
func (t *tracker) allAt(gateway, version string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ns := range t.nodes {
		if ns.Gateway == gateway && ns.Version != version {
			return false
		}
	}
	return true
}
