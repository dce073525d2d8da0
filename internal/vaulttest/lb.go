package vaulttest

import (
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// LB is a TCP load balancer on loopback, as a cloud load balancer in
// front of a Vault cluster: each new connection goes to the next backend
// in turn that accepts a connection; a backend that refuses is skipped.
// When none accepts, the client's connection is closed without an
// answer. A connection stays with its backend until either side closes
// it; a killed backend takes its connections with it.
type LB struct {
	Addr string // http://127.0.0.1:PORT, for VAULT_ADDR

	ln       net.Listener
	backends []string // host:port
	next     atomic.Uint64
	wg       sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// StartLB starts a load balancer over the given addresses (as in
// VAULT_ADDR) on a free 127.0.0.1 port. It stops in t.Cleanup.
func StartLB(t T, addrs ...string) *LB {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("load balancer: listen: %v", err)
	}
	lb := &LB{
		Addr:  "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port),
		ln:    ln,
		conns: map[net.Conn]struct{}{},
	}
	for _, a := range addrs {
		u, err := url.Parse(a)
		if err != nil || u.Host == "" {
			_ = ln.Close()
			t.Fatalf("load balancer: backend %q is not a URL", a)
		}
		lb.backends = append(lb.backends, u.Host)
	}
	lb.wg.Add(1)
	go lb.serve()
	t.Cleanup(lb.Close)
	return lb
}

func (lb *LB) serve() {
	defer lb.wg.Done()
	for {
		c, err := lb.ln.Accept()
		if err != nil {
			return
		}
		if !lb.track(c) {
			_ = c.Close()
			return
		}
		lb.wg.Add(1)
		go func() {
			defer lb.wg.Done()
			defer lb.untrack(c)
			lb.handle(c)
		}()
	}
}

// handle connects client to the next backend that accepts and copies
// both ways until one side closes.
func (lb *LB) handle(client net.Conn) {
	first := lb.next.Add(1) - 1
	var backend net.Conn
	for i := range lb.backends {
		addr := lb.backends[(first+uint64(i))%uint64(len(lb.backends))]
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			backend = c
			break
		}
	}
	if backend == nil {
		_ = client.Close()
		return
	}
	if !lb.track(backend) {
		_ = backend.Close()
		_ = client.Close()
		return
	}
	defer lb.untrack(backend)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(backend, client)
	go pipe(client, backend)
	<-done
	// One side is done: end both, as a proxy does when a peer goes away.
	_ = client.Close()
	_ = backend.Close()
	<-done
}

func (lb *LB) track(c net.Conn) bool {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.closed {
		return false
	}
	lb.conns[c] = struct{}{}
	return true
}

func (lb *LB) untrack(c net.Conn) {
	lb.mu.Lock()
	delete(lb.conns, c)
	lb.mu.Unlock()
	_ = c.Close()
}

// Close stops accepting and closes every connection. It is idempotent.
func (lb *LB) Close() {
	lb.mu.Lock()
	if lb.closed {
		lb.mu.Unlock()
		return
	}
	lb.closed = true
	conns := make([]net.Conn, 0, len(lb.conns))
	for c := range lb.conns {
		conns = append(conns, c)
	}
	lb.mu.Unlock()
	_ = lb.ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	lb.wg.Wait()
}
