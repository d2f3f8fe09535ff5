package publish

import (
	"context"
	"fmt"
	"net"
	"sync"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// What one client can make sluice keep is bounded: the text it sends is
// clipped before it is kept or logged, and the streams it may open are
// limited (StreamLimits).
const (
	// MaxErrorDetail bounds the error_detail of a NACK as kept (tracker,
	// revision store, admin API): Envoy's messages name the resource and
	// the field within their first few hundred bytes.
	MaxErrorDetail = 4 << 10
	// MaxNodeName bounds a node id (or cluster) as kept and logged.
	MaxNodeName = 256
)

// Clip returns s cut to at most n bytes on a rune boundary, saying how
// long it was when it is cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	note := fmt.Sprintf("… [%d bytes]", len(s))
	cut := n - len(note)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:max(cut, 0)] + note
}

// Defaults of StreamLimits.
const (
	DefaultMaxStreams      = 10000
	DefaultMaxStreamsPerIP = 1000
)

// StreamLimits bound the xDS streams open at once: Total in all, PerIP
// from one remote address. 0 is no limit. A stream over a limit is refused
// with ResourceExhausted before it is read; Envoy retries with backoff.
type StreamLimits struct {
	Total int
	PerIP int
}

// ServerOption returns the gRPC option that enforces l on every stream of
// the server (ADS and the per-type services).
func (l StreamLimits) ServerOption() grpc.ServerOption {
	c := &streamCounter{limits: l, perIP: map[string]int{}}
	return grpc.ChainStreamInterceptor(c.intercept)
}

type streamCounter struct {
	limits StreamLimits

	mu    sync.Mutex
	total int
	perIP map[string]int
}

func (c *streamCounter) intercept(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ip := remoteIP(ss.Context())
	if err := c.open(ip); err != nil {
		return err
	}
	defer c.close(ip)
	return handler(srv, ss)
}

func (c *streamCounter) open(ip string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limits.Total > 0 && c.total >= c.limits.Total {
		return status.Errorf(codes.ResourceExhausted, "sluice serves at most %d xDS streams at once (xds.maxStreams)", c.limits.Total)
	}
	if c.limits.PerIP > 0 && c.perIP[ip] >= c.limits.PerIP {
		return status.Errorf(codes.ResourceExhausted, "sluice serves at most %d xDS streams at once from one address (xds.maxStreamsPerIP)", c.limits.PerIP)
	}
	c.total++
	c.perIP[ip]++
	return nil
}

func (c *streamCounter) close(ip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.perIP[ip]--; c.perIP[ip] <= 0 {
		delete(c.perIP, ip)
	}
}

// remoteIP is the client's address without its port.
func remoteIP(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		return host
	}
	return p.Addr.String()
}
