package vaulttest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fault proxy against a real dev Vault: each fault, limited to one
// path or not, forwarded or not, as a client sees it.
func TestProxy(t *testing.T) {
	Need(t, BinPath)
	s := Start(t)
	p := StartProxy(t, s)
	const (
		lookup = "/v1/auth/token/lookup-self"
		mint   = "/v1/auth/token/create-orphan"
	)
	// minted counts the live tokens the requests of this test created.
	minted := func(t *testing.T) int {
		t.Helper()
		return len(s.Tokens(t, "token-proxy-test"))
	}
	do := func(path string, timeout time.Duration) (int, string, error) {
		method, body := http.MethodGet, ""
		if path == mint {
			method, body = http.MethodPost, `{"display_name":"proxy-test","period":"1h"}`
		}
		req, err := http.NewRequest(method, p.Addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Vault-Token", s.RootToken)
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}

	tests := []struct {
		name       string
		rules      []Rule
		path       string
		wantStatus int    // 0: no answer
		wantBody   string // in the body
		wantErr    error  // errors.Is the client's error
		wantMinted int    // tokens created by the request
		minTime    time.Duration
	}{
		{"pass", nil, lookup, 200, `"id":"root-`, nil, 0, 0},
		{"pass mint", nil, mint, 200, `"client_token"`, nil, 1, 0},
		{"503 sealed, not forwarded", []Rule{{Fault: Status, Status: 503}}, mint, 503, "Vault is sealed", nil, 0, 0},
		{"500 after forwarding", []Rule{{Fault: Status, Status: 500, Forward: true}}, mint, 500, "Internal Server Error", nil, 1, 0},
		{"429 with a body", []Rule{{Fault: Status, Status: 429, Body: `{"errors":["rate limit quota exceeded"]}`}}, lookup, 429, "quota", nil, 0, 0},
		{"rule for another path passes", []Rule{{Fault: Status, Status: 500, Path: mint}}, lookup, 200, `"id"`, nil, 0, 0},
		{"rule for this path", []Rule{{Fault: Status, Status: 500, Path: mint}}, mint, 500, "", nil, 0, 0},
		{"reset mid-response", []Rule{{Fault: Reset}}, mint, 200, "", syscall.ECONNRESET, 1, 0},
		{"hang", []Rule{{Fault: Hang}}, mint, 0, "", context.DeadlineExceeded, 0, 0},
		{"hang after forwarding", []Rule{{Fault: Hang, Forward: true}}, mint, 0, "", context.DeadlineExceeded, 1, 0},
		{"slow", []Rule{{Fault: Slow, Delay: 300 * time.Millisecond}}, lookup, 200, `"id"`, nil, 0, 300 * time.Millisecond},
		{"echo the token", []Rule{{Fault: Echo}}, lookup, 502, "X-Vault-Token: root-", nil, 0, 0},
		{"echo after forwarding", []Rule{{Fault: Echo, Status: 500, Forward: true}}, mint, 500, "X-Vault-Token: root-", nil, 1, 0},
		{"first rule wins", []Rule{{Fault: Status, Status: 503, Path: lookup}, {Fault: Status, Status: 500}}, lookup, 503, "sealed", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Set(tt.rules...)
			defer p.Set()
			before, count := minted(t), p.Count(tt.path)
			start := time.Now()
			status, body, err := do(tt.path, time.Second)
			elapsed := time.Since(start)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("client error = %v, want %v", err, tt.wantErr)
			}
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Errorf("got HTTP %d %q, want HTTP %d with %q", status, body, tt.wantStatus, tt.wantBody)
			}
			if got := p.Count(tt.path) - count; got != 1 {
				t.Errorf("count of %s went up by %d, want 1", tt.path, got)
			}
			if elapsed < tt.minTime {
				t.Errorf("answered after %s, want at least the delay %s", elapsed, tt.minTime)
			}
			// Vault carries out a forwarded request even when the client
			// never hears back; give it a moment.
			deadline := time.Now().Add(5 * time.Second)
			for minted(t)-before != tt.wantMinted && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if got := minted(t) - before; got != tt.wantMinted {
				t.Errorf("tokens minted = %d, want %d", got, tt.wantMinted)
			}
		})
	}

	t.Run("times", func(t *testing.T) {
		p.Set(Rule{Fault: Status, Status: 500, Times: 2})
		defer p.Set()
		var got []int
		for i := 0; i < 3; i++ {
			status, _, err := do(lookup, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, status)
		}
		if want := []int{500, 500, 200}; !equalInts(got, want) {
			t.Errorf("statuses = %v, want %v", got, want)
		}
	})

	t.Run("after", func(t *testing.T) {
		q := StartProxy(t, s)
		q.Set(Rule{Fault: Status, Status: 403, Path: lookup, After: "/v1/sys/health", Times: 1})
		get := func(path string) int {
			t.Helper()
			req, err := http.NewRequest(http.MethodGet, q.Addr+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Vault-Token", s.RootToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		got := []int{get(lookup), get("/v1/sys/health"), get(lookup), get(lookup)}
		if want := []int{200, 200, 403, 200}; !equalInts(got, want) {
			t.Errorf("statuses = %v, want %v", got, want)
		}
	})

	t.Run("refuse and resume", func(t *testing.T) {
		p.Refuse()
		_, _, err := do(lookup, 2*time.Second)
		p.Resume(t)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("while refusing: error %v, want connection refused", err)
		}
		if status, _, err := do(lookup, 2*time.Second); err != nil || status != 200 {
			t.Errorf("after Resume: HTTP %d, %v; want 200", status, err)
		}
	})

	t.Run("close releases a hung request", func(t *testing.T) {
		q := StartProxy(t, s)
		q.Set(Rule{Fault: Hang})
		done := make(chan error, 1)
		go func() {
			resp, err := http.Post(q.Addr+lookup, "application/json", bytes.NewReader(nil))
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		deadline := time.Now().Add(5 * time.Second)
		for q.Count(lookup) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		q.Close()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("a hung request got an answer after Close")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not release the hung request")
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
