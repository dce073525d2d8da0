package heal_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// TestAnswerError holds the one classification of Vault's answers.
func TestAnswerError(t *testing.T) {
	t.Parallel()
	post := http.MethodPost
	tests := []struct {
		name        string
		op, method  string
		answer      heal.Answer
		wantKind    error
		wantUnknown bool
		wantDetail  string
	}{
		{"403 invalid token on lookup-self: the token is gone", heal.OpLookupSelf, http.MethodGet, heal.Answer{Status: 403, Errors: []string{"2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"}}, heal.ErrInvalidToken, false, "token is not valid (revoked, expired or unknown)"},
		{"403 permission denied alone on lookup-self: a valid token its policy denies", heal.OpLookupSelf, http.MethodGet, heal.Answer{Status: 403, Errors: []string{"1 error occurred:\n\t* permission denied\n\n"}}, heal.ErrDenied, false, "permission denied: the token may not look itself up (auth/token/lookup-self)"},
		{"403 on renew-self", heal.OpRenewSelf, post, heal.Answer{Status: 403}, heal.ErrInvalidToken, false, "permission denied"},
		{"403 on revoke-self", heal.OpRevokeSelf, post, heal.Answer{Status: 403}, heal.ErrInvalidToken, false, "permission denied"},
		{"403 on create-orphan: denied", heal.OpCreateOrphan, post, heal.Answer{Status: 403, Errors: []string{"1 error occurred:\n\t* permission denied\n\n"}}, heal.ErrDenied, false, "permission denied"},
		{"400 subset on create-orphan: denied", heal.OpCreateOrphan, post, heal.Answer{Status: 400, Errors: []string{"child policies must be subset of parent"}}, heal.ErrDenied, false, "child policies must be subset of parent"},
		{"400 invalid accessor on revoke-accessor", heal.OpRevokeAccessor, post, heal.Answer{Status: 400, Errors: []string{"invalid accessor"}}, heal.ErrUnknownAccessor, false, "invalid accessor"},
		{"400 invalid token on lookup-accessor", heal.OpLookupAccessor, post, heal.Answer{Status: 400, Errors: []string{"invalid token"}}, heal.ErrUnknownAccessor, false, "invalid token"},
		{"400 other on lookup-accessor", heal.OpLookupAccessor, post, heal.Answer{Status: 400, Errors: []string{"missing accessor"}}, heal.ErrDenied, false, "missing accessor"},
		{"sealed: nothing done", heal.OpCreateOrphan, post, heal.Answer{Status: 503, Errors: []string{"Vault is sealed"}}, heal.ErrUnavailable, false, "Vault is sealed"},
		{"503 of a proxy: maybe done", heal.OpCreateOrphan, post, heal.Answer{Status: 503, Errors: []string{"<html>Service Unavailable</html>"}, Raw: true}, heal.ErrUnavailable, true, "<html>Service Unavailable</html>"},
		{"500 on a read", heal.OpLookupSelf, http.MethodGet, heal.Answer{Status: 500}, heal.ErrUnavailable, false, "Internal Server Error"},
		{"429: nothing done", heal.OpRevokeAccessor, post, heal.Answer{Status: 429}, heal.ErrUnavailable, false, "Too Many Requests"},
		{"404 of a misrouted address", heal.OpLookupSelf, http.MethodGet, heal.Answer{Status: 404}, heal.ErrUnavailable, false, "Not Found"},
		{"a long raw body is cut before a word, never inside one (a token it echoes)", heal.OpLookupSelf, http.MethodGet,
			heal.Answer{Status: 502, Errors: []string{strings.Repeat("x ", 90) + "token hvs.0123456789abcdefghijklmnopqrstuvwxyz"}, Raw: true},
			heal.ErrUnavailable, false, strings.Repeat("x ", 90) + "token ..."},
		{"only the first line of a raw body", heal.OpLookupSelf, http.MethodGet,
			heal.Answer{Status: 502, Errors: []string{"bad gateway\nX-Vault-Token: hvs.0123456789abcdefghijklmnop"}, Raw: true},
			heal.ErrUnavailable, false, "bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := heal.AnswerError("http://v", tt.op, tt.method, tt.answer)
			if !errors.Is(e, tt.wantKind) {
				t.Errorf("kind: got %v, want %v", e.Kind, tt.wantKind)
			}
			if got := errors.Is(e, heal.ErrOutcomeUnknown); got != tt.wantUnknown {
				t.Errorf("outcome unknown: got %v, want %v", got, tt.wantUnknown)
			}
			if e.Detail != tt.wantDetail {
				t.Errorf("detail: got %q, want %q", e.Detail, tt.wantDetail)
			}
		})
	}
}

func TestTransportError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		method      string
		err         error
		wantUnknown bool
		wantDetail  string
	}{
		{"refused write: nothing sent", http.MethodPost, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false, "connection refused"},
		{"timed out write: maybe done", http.MethodPost, context.DeadlineExceeded, true, "no answer in time (timed out)"},
		{"reset write", http.MethodPost, syscall.ECONNRESET, true, "connection reset"},
		{"timed out read", http.MethodGet, context.DeadlineExceeded, false, "no answer in time (timed out)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := heal.TransportError("http://v", heal.OpCreateOrphan, tt.method, 0, tt.err)
			if !errors.Is(e, heal.ErrUnavailable) {
				t.Errorf("kind: got %v, want ErrUnavailable", e.Kind)
			}
			if got := errors.Is(e, heal.ErrOutcomeUnknown); got != tt.wantUnknown {
				t.Errorf("outcome unknown: got %v, want %v", got, tt.wantUnknown)
			}
			if e.Detail != tt.wantDetail {
				t.Errorf("detail: got %q, want %q", e.Detail, tt.wantDetail)
			}
		})
	}
}

// TestStatusBeforeAResetIsJudged: a 403 whose body never arrives (a reset
// mid-response) is retried like any broken answer, then judged as
// Vault's 403: revoke-self's token is gone.
func TestStatusBeforeAResetIsJudged(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"err")
		buf.Flush()
		conn.Close()
	}))
	defer srv.Close()
	fast := heal.RetryPolicy{Budget: 300 * time.Millisecond, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	v, err := heal.NewAPIVault(srv.URL, "", heal.ClientOptions{Timeout: 5 * time.Second, Retry: fast})
	if err != nil {
		t.Fatal(err)
	}
	err = v.RevokeSelf(context.Background(), "hvs.x")
	if !errors.Is(err, heal.ErrInvalidToken) {
		t.Errorf("RevokeSelf: got %v, want ErrInvalidToken", err)
	}
	if n := calls.Load(); n < 3 {
		t.Errorf("%d requests, want several (retried as a broken answer within the budget)", n)
	}
}
