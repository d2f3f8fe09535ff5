package publish

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// NodeStatus is what sluice knows of one connected Envoy.
type NodeStatus struct {
	Node    string `json:"node"`
	Gateway string `json:"gateway"`
	// Version is the last snapshot version the Envoy ACKed on every type
	// it was sent.
	Version   string     `json:"version"`
	LastAck   *time.Time `json:"lastAck,omitempty"`
	LastNack  *time.Time `json:"lastNack,omitempty"`
	NackError string     `json:"nackError,omitempty"`
	Streams   int        `json:"streams"`
}

// sentNonce is what the server sent under one nonce.
type sentNonce struct {
	nonce   string
	typeURL string
	version string
}

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

// nodeState is a NodeStatus plus the per-type ACKs of the version in flight.
type nodeState struct {
	NodeStatus
	types []nodeType
	// nacked is the version last reported NACKed: a version NACKed on
	// several types, or again, is reported once.
	nacked string
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

// tracker turns go-control-plane callbacks into ACK/NACK events. An Envoy
// has taken a version when it ACKed it on every type it was sent it.
type tracker struct {
	mu      sync.Mutex
	streams map[streamID]*streamState
	nodes   map[string]*nodeState

	onAck  func(gateway, node, version string, at time.Time)
	onNack func(gateway, node, version, detail string, at time.Time)
	now    func() time.Time
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
	}
	gateway := GatewayKey(st.node.GetCluster())
	name := nodeName(st.node)
	info, known := st.answer(nonce)
	if !known && dependentType(typeURL) && !st.typ(typeURL).answered {
		st.typ(typeURL).awaited = true
	}
	var ackVersion string
	if known {
		ns := t.node(st.node)
		nt := ns.typ(info.typeURL)
		now := t.now()
		if nack {
			ns.LastNack, ns.NackError = &now, detail
			if t.onNack != nil && ns.nacked != info.version {
				ns.nacked = info.version
				v := info.version
				defer t.onNack(gateway, name, v, detail, now)
			}
		} else {
			nt.acked = info.version
			if ns.Version != info.version && !st.awaiting() && ns.takenAll(info.version, st.delta) {
				ns.Version, ns.LastAck = info.version, &now
				ackVersion = info.version
			}
		}
		if ackVersion != "" && t.onAck != nil {
			defer t.onAck(gateway, name, ackVersion, now)
		}
	}
	t.mu.Unlock()
}

// takenAll reports whether every type sent at version was ACKed at it.
// A SotW server re-sends every subscribed type on a new version, so there
// clusters and listeners (which every Envoy subscribes to) must be among
// them. A delta server sends only the types whose resources changed (a new
// endpoint port is one EDS response), so there any type will do.
func (ns *nodeState) takenAll(version string, delta bool) bool {
	if !delta && (ns.sent(resourcev3.ClusterType) != version || ns.sent(resourcev3.ListenerType) != version) {
		return false
	}
	n := 0
	for _, t := range ns.types {
		if t.sent != version {
			continue
		}
		n++
		if t.acked != version {
			return false
		}
	}
	return n > 0
}

// dependentType reports whether Envoy subscribes to typeURL by name after
// receiving the resources that name it: EDS after CDS, RDS after LDS. Only
// these are awaited; sluice's snapshots always hold both types, so a
// subscription to them is always answered.
func dependentType(typeURL string) bool {
	return typeURL == resourcev3.EndpointType || typeURL == resourcev3.RouteType
}

func (t *tracker) sent(id streamID, typeURL, nonce, version string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.streams[id]
	if st == nil {
		return
	}
	nt := t.node(st.node).typ(typeURL)
	st.nonces = append(st.nonces, sentNonce{nonce: nonce, typeURL: nt.typeURL, version: version})
	stt := st.typ(typeURL)
	stt.answered, stt.awaited = true, false
	nt.sent = version
}

func (t *tracker) closed(id streamID) {
	t.mu.Lock()
	st := t.streams[id]
	delete(t.streams, id)
	if st != nil {
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
