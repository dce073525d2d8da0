package vaulttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Fault is what the fault proxy does to a request.
type Fault int

const (
	// Pass forwards the request to Vault and its answer to the client.
	Pass Fault = iota
	// Hang accepts the request and never answers (until the client gives
	// up or the proxy stops). With Rule.Forward, Vault gets the request
	// first, so a write happens that the client never hears about.
	Hang
	// Reset forwards the request, sends the headers and part of Vault's
	// answer, then resets the connection (RST, SO_LINGER 0).
	Reset
	// Status answers Rule.Status with Rule.Body instead of Vault. With
	// Rule.Forward, Vault gets the request first and its answer is
	// replaced: the write happened but the client sees a failure.
	Status
	// Slow forwards the request and waits Rule.Delay before answering.
	Slow
	// Echo answers Rule.Status (0 means 502) with a text/plain body that
	// quotes the request's X-Vault-Token header, as a misconfigured proxy
	// or a mistyped address may. With Rule.Forward, Vault gets the request
	// first.
	Echo
)

func (f Fault) String() string {
	switch f {
	case Pass:
		return "pass"
	case Hang:
		return "hang"
	case Reset:
		return "reset"
	case Status:
		return "status"
	case Slow:
		return "slow"
	case Echo:
		return "echo"
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// SealedBody is what a sealed Vault answers, with HTTP 503.
const SealedBody = `{"errors":["Vault is sealed"]}`

// Rule is one fault, for every request or only those to Path.
type Rule struct {
	Fault Fault
	// Path limits the rule to requests whose URL path is exactly this,
	// for example "/v1/auth/token/create-orphan". Empty: every path.
	Path string
	// Forward sends the request to Vault before a Hang or a Status.
	// Reset and Slow always forward; Pass always does.
	Forward bool
	// Status is the HTTP status of a Status fault; 0 means 503.
	Status int
	// Body is the body of a Status fault. Empty: SealedBody for 503,
	// otherwise {"errors":["<status text>"]}.
	Body string
	// Delay is how long a Slow fault waits before answering.
	Delay time.Duration
	// Times limits the rule to the next Times matching requests, after
	// which it no longer matches. Zero: no limit.
	Times int
	// After makes the rule match only once a request to this path has
	// reached the proxy, for example the lookups of a token that
	// "/v1/auth/token/create-orphan" just minted. Empty: from the start.
	After string
}

func (r Rule) status() int {
	if r.Status == 0 {
		return http.StatusServiceUnavailable
	}
	return r.Status
}

func (r Rule) body() string {
	switch {
	case r.Body != "":
		return r.Body
	case r.status() == http.StatusServiceUnavailable:
		return SealedBody
	}
	return fmt.Sprintf(`{"errors":[%q]}`, http.StatusText(r.status()))
}

// Proxy is a fault-injecting HTTP proxy in front of a Server. Faults are
// switched at run time with Set and Refuse; each request's path is
// counted, faulted or not.
//
// Refusing is for the whole proxy (a connection carries no path): the
// listener is closed, so connections are refused, until Resume listens
// on the same port again.
type Proxy struct {
	Addr string // http://127.0.0.1:PORT, for VAULT_ADDR

	port   int
	target string
	fwd    *http.Client
	stop   chan struct{} // closed when the proxy shuts down
	wg     sync.WaitGroup

	mu      sync.Mutex
	srv     *http.Server // nil while refusing
	rules   []*rule
	counts  map[string]int
	stopped bool
}

type rule struct {
	Rule
	used int
}

// StartProxy starts a proxy to target on a free 127.0.0.1 port, passing
// everything through until told otherwise. It stops in t.Cleanup,
// releasing hung requests.
func StartProxy(t testing.TB, target *Server) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fault proxy: listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p := &Proxy{
		Addr:   "http://127.0.0.1:" + strconv.Itoa(port),
		port:   port,
		target: target.Addr,
		// No timeout of its own: Hang and Slow end when the client or the
		// proxy goes away.
		// Redirects are passed to the client, as a reverse proxy does (a
		// standby that cannot forward redirects to the active node).
		fwd: &http.Client{
			Transport:     &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		stop:   make(chan struct{}),
		counts: map[string]int{},
	}
	p.serve(ln)
	t.Cleanup(p.Close)
	return p
}

func (p *Proxy) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(p.handle), ReadHeaderTimeout: 10 * time.Second}
	p.srv = srv
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = srv.Serve(ln)
	}()
}

// Set replaces the rules; the first rule that matches a request decides
// what happens to it. Set with no rules passes everything through. It
// does not end a Refuse: call Resume for that.
func (p *Proxy) Set(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = p.rules[:0]
	for _, r := range rules {
		p.rules = append(p.rules, &rule{Rule: r})
	}
}

// Refuse closes the listener and every open connection: new
// connections are refused until Resume.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Resume listens again on the proxy's port after Refuse. It fails the
// test when the port was taken in the meantime.
func (p *Proxy) Resume(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.srv != nil || p.stopped {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p.port))
	if err != nil {
		t.Fatalf("fault proxy: listen again on port %d: %v", p.port, err)
	}
	p.serve(ln)
}

// Count is how many requests for path reached the proxy (faulted or not).
func (p *Proxy) Count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[path]
}

// Counts is a copy of the request count of every path.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Close stops the proxy: hung and slow requests are released, open
// connections closed. It is idempotent; StartProxy registers it with
// t.Cleanup.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.stop)
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
	p.wg.Wait()
	p.fwd.CloseIdleConnections()
}

// match counts the request and returns the rule for it.
func (p *Proxy) match(path string) Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[path]++
	for _, r := range p.rules {
		if r.Path != "" && r.Path != path {
			continue
		}
		if r.After != "" && p.counts[r.After] == 0 {
			continue
		}
		if r.Times > 0 {
			if r.used >= r.Times {
				continue
			}
			r.used++
		}
		return r.Rule
	}
	return Rule{Fault: Pass}
}

// handle applies the first matching rule to one request. When Vault
// cannot be reached to forward a request, the client gets a 502.
func (p *Proxy) handle(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.wg.Add(1) // under mu, so never concurrent with Close's Wait
	p.mu.Unlock()
	defer p.wg.Done()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	rl := p.match(r.URL.Path)
	forward := rl.Fault == Pass || rl.Fault == Reset || rl.Fault == Slow || rl.Forward
	var resp *answer
	if forward {
		resp, err = p.forward(r, body)
		if err != nil {
			http.Error(w, fmt.Sprintf(`{"errors":[%q]}`, "fault proxy: "+err.Error()), http.StatusBadGateway)
			return
		}
	}
	switch rl.Fault {
	case Hang:
		p.wait(r.Context(), 0)
		panic(http.ErrAbortHandler) // close the connection without an answer
	case Reset:
		p.reset(w, resp)
	case Status:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rl.status())
		_, _ = io.WriteString(w, rl.body())
	case Echo:
		status := rl.Status
		if status == 0 {
			status = http.StatusBadGateway
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "bad gateway: upstream refused the request with X-Vault-Token: %s\n", r.Header.Get("X-Vault-Token"))
	case Slow:
		if !p.wait(r.Context(), rl.Delay) {
			panic(http.ErrAbortHandler)
		}
		resp.write(w)
	default:
		resp.write(w)
	}
}

// wait blocks for d (forever when d is 0) or until the client or the
// proxy goes away; it reports whether the whole delay passed.
func (p *Proxy) wait(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case <-timeout:
		return true
	case <-ctx.Done():
	case <-p.stop:
	}
	return false
}

// answer is Vault's answer to a forwarded request, read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// hopHeaders are not forwarded (RFC 9110, section 7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) forward(r *http.Request, body []byte) (*answer, error) {
	// Not r.Context(): once Vault has the request, it is carried out even
	// when the client gives up, as with a real network.
	req, err := http.NewRequestWithContext(context.Background(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	resp, err := p.fwd.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	h := resp.Header.Clone()
	for _, k := range hopHeaders {
		h.Del(k)
	}
	h.Del("Content-Length")
	return &answer{status: resp.StatusCode, header: h, body: b}, nil
}

func (a *answer) write(w http.ResponseWriter) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// reset sends the status line, the headers and the first half of the
// body of a (half of the headers when there is no body), then resets
// the connection.
func (p *Proxy) reset(w http.ResponseWriter, a *answer) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fault proxy: the response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "HTTP/1.1 %d %s\r\n", a.status, http.StatusText(a.status))
	_ = a.header.Write(&buf)
	fmt.Fprintf(&buf, "Content-Length: %d\r\n\r\n", len(a.body))
	cut := buf.Len() + len(a.body)/2
	if len(a.body) == 0 {
		cut = buf.Len() / 2
	}
	buf.Write(a.body)
	_, _ = conn.Write(buf.Bytes()[:cut])
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // Close sends RST instead of FIN
	}
	_ = conn.Close()
}
