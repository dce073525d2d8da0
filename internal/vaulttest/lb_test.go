package vaulttest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The load balancer spreads new connections over the backends in turn,
// skips a backend that refuses connections, and closes the client's
// connection when none accepts.
func TestLB(t *testing.T) {
	t.Parallel()
	backend := func(name string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, name)
		}))
		t.Cleanup(s.Close)
		return s
	}
	a, b, c := backend("a"), backend("b"), backend("c")
	lb := StartLB(t, a.URL, b.URL, c.URL)
	get := func() (string, error) {
		cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := cl.Get(lb.Addr)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}
	seen := func(n int) map[string]int {
		t.Helper()
		got := map[string]int{}
		for i := 0; i < n; i++ {
			name, err := get()
			if err != nil {
				t.Fatalf("request %d through the load balancer: %v", i, err)
			}
			got[name]++
		}
		return got
	}

	if got := seen(6); got["a"] != 2 || got["b"] != 2 || got["c"] != 2 {
		t.Errorf("6 connections over 3 backends: got %v, want 2 each", got)
	}
	b.Close() // refuses connections from now on
	if got := seen(6); got["b"] != 0 || got["a"]+got["c"] != 6 {
		t.Errorf("with b down: got %v, want every connection on a or c", got)
	}
	a.Close()
	c.Close()
	if name, err := get(); err == nil {
		t.Errorf("with every backend down: got an answer %q, want a connection error", name)
	}
}
