package policies

import (
	"net/netip"
	"strconv"

	cncfcorev3 "github.com/cncf/xds/go/xds/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sluice-gitops/sluice/translate/ir"
)

// ruleActions are the actions of one rate limit of rule r (with method
// m, if any) and the descriptor entries they produce.
func ruleActions(r ir.RateLimitRule, method ir.RateLimitMatch) ([]*routev3.RateLimit_Action, []*ratelimitv3.RateLimitDescriptor_Entry) {
	var actions []*routev3.RateLimit_Action
	var entries []*ratelimitv3.RateLimitDescriptor_Entry
	key := func(what string) string { return "rule-" + strconv.Itoa(r.Index) + "-" + what }
	// valueMatch counts requests whose header matches (or not, inverted)
	// under key=key.
	valueMatch := func(k, header string, m ir.RateLimitMatch) {
		actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_HeaderValueMatch_{
			HeaderValueMatch: &routev3.RateLimit_Action_HeaderValueMatch{
				DescriptorKey: k, DescriptorValue: k, ExpectMatch: wrapperspb.Bool(!m.Invert),
				Headers: []*routev3.HeaderMatcher{{Name: header, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: rlStringMatcher(m)}}},
			},
		}})
		entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: k, Value: k})
	}
	for j, h := range r.Headers {
		k := key("match-" + strconv.Itoa(j))
		if !h.Distinct {
			valueMatch(k, h.Name, h)
			continue
		}
		actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RequestHeaders_{
			RequestHeaders: &routev3.RateLimit_Action_RequestHeaders{HeaderName: h.Name, DescriptorKey: k},
		}})
		entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: k})
	}
	if method.Exact != "" {
		valueMatch(key("method"), ":method", method)
	}
	if r.Path != nil {
		valueMatch(key("path"), ":path", *r.Path)
	}
	if c := r.SourceCIDR; c != nil {
		p := netip.MustParsePrefix(c.CIDR)
		addresses := &matcherv3.AddressMatcher{
			Ranges:      []*cncfcorev3.CidrRange{{AddressPrefix: p.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(p.Bits()))}},
			InvertMatch: c.Invert,
		}
		value := c.CIDR
		if c.Invert {
			value = "invert:" + c.CIDR
		}
		k := key("masked-remote-address")
		actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RemoteAddressMatch_{
			RemoteAddressMatch: &routev3.RateLimit_Action_RemoteAddressMatch{DescriptorKey: k, DescriptorValue: value, AddressMatcher: addresses},
		}})
		entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: k, Value: value})
		if c.Distinct {
			k := key("remote-address")
			actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RemoteAddressMatch_{
				RemoteAddressMatch: &routev3.RateLimit_Action_RemoteAddressMatch{DescriptorKey: k, DescriptorValue: distinctRemoteAddress, AddressMatcher: addresses},
			}})
			entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: k})
		}
	}
	for j, q := range r.QueryParams {
		k := key("match-" + strconv.Itoa(len(r.Headers)+j))
		if q.Distinct {
			actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_QueryParameters_{
				QueryParameters: &routev3.RateLimit_Action_QueryParameters{QueryParameterName: q.Name, DescriptorKey: k},
			}})
			entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: k})
			continue
		}
		actions = append(actions, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_QueryParameterValueMatch_{
			QueryParameterValueMatch: &routev3.RateLimit_Action_QueryParameterValueMatch{
				DescriptorKey: k, DescriptorValue: k, ExpectMatch: wrapperspb.Bool(!q.Invert),
				QueryParameters: []*routev3.QueryParameterMatcher{{Name: q.Name, QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: rlStringMatcher(q)}}},
			},
		}})
		entries = append(entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: k, Value: k})
	}
	return actions, entries
}

func rlStringMatcher(m ir.RateLimitMatch) *matcherv3.StringMatcher {
	switch {
	case m.Regex != "":
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: m.Regex}}}
	case m.Prefix != "":
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: m.Prefix}}
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: m.Exact}}
}
