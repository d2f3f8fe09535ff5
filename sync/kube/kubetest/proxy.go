package kubetest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
)

// Proxy forwards TCP connections to the API server until it is Cut, which
// closes its listener and every connection, as a lost network would.
type Proxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	lis   net.Listener
	conns []net.Conn
}

// NewProxy forwards a loopback port to the host of URL target; it is
// closed on t.Cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{t: t, target: u.Host, addr: "127.0.0.1:0"}
	p.Restore()
	t.Cleanup(p.Cut)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// Restore listens again, on the same port.
func (p *Proxy) Restore() {
	p.t.Helper()
	lis, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.mu.Lock()
	p.lis, p.addr = lis, lis.Addr().String()
	p.mu.Unlock()
	go p.accept(lis)
}

func (p *Proxy) accept(lis net.Listener) {
	for {
		c, err := lis.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		go func() { _, _ = io.Copy(c, up); c.Close() }()
	}
}

// Cut closes the listener and every connection.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lis != nil {
		p.lis.Close()
		p.lis = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// ProxiedConfig is the administrator's client config through a new Proxy
// to s, which the test cuts and restores.
func (s *Server) ProxiedConfig(t testing.TB) (*Proxy, *rest.Config) {
	t.Helper()
	p := NewProxy(t, s.Host)
	c := s.Config("admin")
	c.Host = "https://" + p.Addr()
	return p, c
}
