package publish

import (
	"time"

	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// Events are what the publisher tells the revision state machine of the
// Envoys. Each may be nil.
type Events struct {
	// Ack runs when a node has taken version on every type it was sent;
	// sent is when the version was first sent to the node.
	Ack func(gateway, node, version string, sent, at time.Time)
	// Nack runs when a node rejects version, with Envoy's error_detail
	// (clipped to MaxErrorDetail), once per node and version.
	Nack func(gateway, node, version, detail string, at time.Time)
}

// Publisher serves each gateway's snapshot to its Envoys over ADS (SotW
// and delta) and the per-type xDS services, and tracks what every Envoy
// ACKed and NACKed.
type Publisher struct {
	ads     *adsCache
	tracker *tracker
}

// New returns a Publisher that reports to ev.
func New(ev Events) *Publisher {
	tr := newTracker()
	tr.onAck, tr.onNack = ev.Ack, ev.Nack
	return &Publisher{ads: newADSCache(), tracker: tr}
}

// Set serves snap to the Envoys of gateway under versions derived from its
// content (Prepare, which it calls: the versions snap was made with are
// replaced). snap must be checked (Consistent, ValidateAll): its resources
// are marshalled once, for every Envoy, and it must not change after.
func (p *Publisher) Set(gateway string, snap *cachev3.Snapshot) error {
	// SotW needs the bytes and delta the per-resource versions: make them
	// once, before the streams share the snapshot.
	if _, err := Prepare(snap); err != nil {
		return err
	}
	p.ads.set(gateway, snap)
	return nil
}

// SetUnknown serves snap to the Envoys whose gateway was never Set (their
// node.cluster names no Gateway), as Set does. Their gateways leave no
// state behind once their streams close; Known tells them apart.
func (p *Publisher) SetUnknown(snap *cachev3.Snapshot) error {
	if _, err := Prepare(snap); err != nil {
		return err
	}
	p.ads.setUnknown(snap)
	return nil
}

// Known reports whether gateway was Set.
func (p *Publisher) Known(gateway string) bool { return p.ads.known(gateway) }

// Connected lists the connected Envoys.
func (p *Publisher) Connected() []NodeStatus { return p.tracker.connected() }

// ConnectionChanges counts the streams opened and closed so far: the
// dashboard's live updates watch it.
func (p *Publisher) ConnectionChanges() uint64 { return p.tracker.conns.Load() }

// AllAt reports whether every connected Envoy of gateway has taken
// version.
func (p *Publisher) AllAt(gateway, version string) bool { return p.tracker.allAt(gateway, version) }
