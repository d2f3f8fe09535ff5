package xdstest

import (
	"slices"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// onDelta answers one delta response with an ACK or a NACK, applies its
// added and removed resources when accepted, and then updates the EDS or RDS
// subscription it implies.
func (c *Client) onDelta(resp *discoveryv3.DeltaDiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	ts := c.typeState(typeURL)
	ts.nonce = resp.GetNonce()

	names := make([]string, 0, len(resp.GetResources()))
	msgs := make([]proto.Message, 0, len(resp.GetResources()))
	var err error
	for _, r := range resp.GetResources() {
		if r.GetResource() == nil {
			continue // a TTL heartbeat or a name-only entry carries nothing to apply
		}
		var name string
		var m proto.Message
		if name, m, err = decode(typeURL, r.GetResource()); err != nil {
			break
		}
		if r.GetName() != "" {
			name = r.GetName()
		}
		names = append(names, name)
		msgs = append(msgs, m)
	}
	if err == nil && c.opts.Reject != nil {
		err = c.opts.Reject(typeURL, msgs)
	}
	if err != nil {
		detail := err.Error()
		if err := c.sendDelta(&discoveryv3.DeltaDiscoveryRequest{
			TypeUrl:       typeURL,
			ResponseNonce: resp.GetNonce(),
			ErrorDetail:   &status.Status{Code: int32(codes.Internal), Message: detail},
		}); err != nil {
			return err
		}
		c.update(nil, nil, detail)
		return nil
	}

	ts.acked = resp.GetSystemVersionInfo()
	if err := c.sendDelta(&discoveryv3.DeltaDiscoveryRequest{
		TypeUrl:       typeURL,
		ResponseNonce: resp.GetNonce(),
	}); err != nil {
		return err
	}
	sent := &Ack{TypeURL: typeURL, Version: resp.GetSystemVersionInfo(), Nonce: resp.GetNonce(), At: time.Now()}

	var depType string
	var depNames []string
	var hasDep bool
	c.update(func(s State) {
		for _, name := range resp.GetRemovedResources() {
			s.remove(typeURL, name)
		}
		for i, m := range msgs {
			s.put(names[i], m)
		}
		s.Versions[typeURL] = resp.GetSystemVersionInfo()
		depType, depNames, hasDep = dependent(typeURL, s)
	}, sent, "")
	if !hasDep {
		return nil
	}
	return c.resubscribeDelta(depType, depNames)
}

// resubscribeDelta subscribes to the names of typeURL not yet subscribed and
// unsubscribes from those no longer wanted, dropping their held resources.
func (c *Client) resubscribeDelta(typeURL string, names []string) error {
	ts := c.typeState(typeURL)
	var add, drop []string
	for _, n := range names {
		if !slices.Contains(ts.names, n) {
			add = append(add, n)
		}
	}
	for _, n := range ts.names {
		if !slices.Contains(names, n) {
			drop = append(drop, n)
		}
	}
	if len(add) == 0 && len(drop) == 0 {
		return nil
	}
	ts.requested = true
	ts.names = names
	if len(drop) > 0 {
		c.update(func(s State) { prune(s, typeURL, names) }, nil, "")
	}
	return c.sendDelta(&discoveryv3.DeltaDiscoveryRequest{
		TypeUrl:                  typeURL,
		ResourceNamesSubscribe:   add,
		ResourceNamesUnsubscribe: drop,
	})
}
