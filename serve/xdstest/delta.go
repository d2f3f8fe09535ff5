package xdstest

import (
	"slices"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/anypb"
)

// onDelta answers one delta response with an ACK or a NACK, applies its
// added and removed resources when accepted, and then updates the EDS or RDS
// subscription it implies.
func (c *Client) onDelta(resp *discoveryv3.DeltaDiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	ts := c.typeState(typeURL)
	ts.nonce = resp.GetNonce()

	rs := resp.GetResources()
	names, msgs, err := c.check(typeURL, len(rs), func(i int) (*anypb.Any, string) {
		return rs[i].GetResource(), rs[i].GetName()
	})
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
