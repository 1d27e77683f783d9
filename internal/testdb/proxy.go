package testdb

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to the database and can be cut (the
// listener and every connection closed: the database seems to die) and
// started again on the same address.
type Proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
	// open is closed while traffic flows; during a blackhole it is a fresh
	// channel that Restore closes.
	open chan struct{}
}

// NewProxy starts a proxy in front of dbURL's host and returns it with
// the URL that goes through it. It skips t when the URL has no TCP host.
func NewProxy(t testing.TB, dbURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || u.Host == "" {
		t.Skipf("DATABASE_URL has no TCP host to put a proxy in front of (%v)", err)
	}
	p := &Proxy{addr: "127.0.0.1:0", target: u.Host, open: make(chan struct{})}
	close(p.open)
	p.Start(t)
	t.Cleanup(p.Cut)
	through := *u
	through.Host = p.addr
	return p, through.String()
}

// Start listens on the proxy's address (the first time, a free port).
func (p *Proxy) Start(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.holed() {
				// A connection attempted during a partition is lost, as a
				// dropped SYN is: the client hears nothing, not even after
				// the partition ends, until its own timeout.
				p.mu.Lock()
				p.conns = append(p.conns, c)
				p.mu.Unlock()
				continue
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { p.copy(up, c); up.Close() }()
			go func() { p.copy(c, up); c.Close() }()
		}
	}()
}

// Blackhole stops all traffic without closing anything, as a network
// partition does: open connections stay open and their bytes wait for
// Restore; a connection attempted meanwhile is lost for good (its client
// waits for an answer that never comes). Nobody gets an error.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default: // already blackholed
	}
}

// Restore ends a blackhole: what waited is delivered.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
	default:
		close(p.open)
	}
}

// holed reports whether the proxy is blackholed.
func (p *Proxy) holed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		return false
	default:
		return true
	}
}

// wait blocks while the proxy is blackholed.
func (p *Proxy) wait() {
	p.mu.Lock()
	open := p.open
	p.mu.Unlock()
	<-open
}

// copy forwards src to dst, holding each chunk while blackholed.
func (p *Proxy) copy(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Cut closes the listener and every connection through it.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
