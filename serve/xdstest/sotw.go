package xdstest

import (
	"slices"
	"time"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Repeated NACKs of the same version are delayed, because go-control-plane's
// SotW server answers a NACK by sending the same version again at once.
const (
	minNackDelay = 20 * time.Millisecond
	maxNackDelay = time.Second
)

// onSotw answers one state-of-the-world response with an ACK or a NACK and
// then updates the EDS or RDS subscription it implies.
func (c *Client) onSotw(resp *discoveryv3.DiscoveryResponse) error {
	typeURL := resp.GetTypeUrl()
	ts := c.typeState(typeURL)
	ts.nonce = resp.GetNonce()

	rs := resp.GetResources()
	names, msgs, err := c.check(typeURL, len(rs), func(i int) (*anypb.Any, string) { return rs[i], "" })
	if err != nil {
		return c.nackSotw(ts, resp, err.Error())
	}

	ts.nacked, ts.nackDelay = nil, 0
	ts.acked = resp.GetVersionInfo()
	ack := &discoveryv3.DiscoveryRequest{
		TypeUrl:       typeURL,
		VersionInfo:   resp.GetVersionInfo(),
		ResponseNonce: resp.GetNonce(),
		ResourceNames: ts.names,
	}
	if err := c.sendSotw(ack); err != nil {
		return err
	}
	sent := &Ack{TypeURL: typeURL, Version: resp.GetVersionInfo(), Nonce: resp.GetNonce(), At: time.Now()}

	var depType string
	var depNames []string
	var hasDep bool
	c.update(func(s State) {
		if wildcard(typeURL) {
			prune(s, typeURL, nil)
		}
		for i, m := range msgs {
			s.put(names[i], m)
		}
		if !wildcard(typeURL) {
			prune(s, typeURL, ts.names)
		}
		s.Versions[typeURL] = resp.GetVersionInfo()
		depType, depNames, hasDep = dependent(typeURL, s)
	}, sent, "")
	if !hasDep {
		return nil
	}
	return c.resubscribeSotw(depType, depNames)
}

// nackSotw rejects resp: same resource names, the version last accepted and
// the reason in error_detail.
func (c *Client) nackSotw(ts *typeState, resp *discoveryv3.DiscoveryResponse, detail string) error {
	version := resp.GetVersionInfo()
	if ts.nacked != nil && *ts.nacked == version {
		ts.nackDelay = min(max(2*ts.nackDelay, minNackDelay), maxNackDelay)
	} else {
		ts.nackDelay = 0
	}
	ts.nacked = &version
	req := &discoveryv3.DiscoveryRequest{
		TypeUrl:       resp.GetTypeUrl(),
		VersionInfo:   ts.acked,
		ResponseNonce: resp.GetNonce(),
		ResourceNames: ts.names,
		ErrorDetail:   &status.Status{Code: int32(codes.Internal), Message: detail},
	}
	if ts.nackDelay == 0 {
		if err := c.sendSotw(req); err != nil {
			return err
		}
		c.update(nil, nil, detail)
		return nil
	}
	c.later(ts.nackDelay, func() {
		if err := c.sendSotw(req); err != nil {
			c.fail(err)
			return
		}
		c.update(nil, nil, detail)
	})
	return nil
}

// resubscribeSotw sends a request for names of typeURL when they changed,
// dropping held resources that are no longer named. Like Envoy, it does not
// subscribe to a type until there is a name to ask for.
func (c *Client) resubscribeSotw(typeURL string, names []string) error {
	ts := c.typeState(typeURL)
	if slices.Equal(ts.names, names) && (ts.requested || len(names) == 0) {
		return nil
	}
	ts.requested = true
	ts.names = names
	c.update(func(s State) { prune(s, typeURL, names) }, nil, "")
	return c.sendSotw(&discoveryv3.DiscoveryRequest{
		TypeUrl:       typeURL,
		VersionInfo:   ts.acked,
		ResponseNonce: ts.nonce,
		ResourceNames: names,
	})
}

// check decodes the n resources of a response (at gives each one and the
// name the response states for it, if any; a nil resource is skipped) and
// asks Options.Reject about them. A non-nil error is the NACK's detail.
func (c *Client) check(typeURL string, n int, at func(int) (*anypb.Any, string)) ([]string, []proto.Message, error) {
	names := make([]string, 0, n)
	msgs := make([]proto.Message, 0, n)
	for i := range n {
		a, stated := at(i)
		if a == nil {
			continue // a TTL heartbeat or a name-only entry carries nothing to apply
		}
		name, m, err := decode(typeURL, a)
		if err != nil {
			return nil, nil, err
		}
		if stated != "" {
			name = stated
		}
		names = append(names, name)
		msgs = append(msgs, m)
	}
	if c.opts.Reject != nil {
		if err := c.opts.Reject(typeURL, msgs); err != nil {
			return nil, nil, err
		}
	}
	return names, msgs, nil
}
