package heal

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"
)

func TestRetryPause(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{Budget: time.Minute, Base: 500 * time.Millisecond, Max: 8 * time.Second}
	tests := []struct {
		n        int
		min, max time.Duration // the pause with rnd 0 and with rnd just under 1
	}{
		{1, 250 * time.Millisecond, 500 * time.Millisecond},
		{2, 500 * time.Millisecond, time.Second},
		{3, time.Second, 2 * time.Second},
		{5, 4 * time.Second, 8 * time.Second},
		{6, 4 * time.Second, 8 * time.Second}, // capped at Max
		{60, 4 * time.Second, 8 * time.Second},
	}
	for _, tt := range tests {
		if got := p.pause(tt.n, func() float64 { return 0 }); got != tt.min {
			t.Errorf("pause(%d) with no jitter: got %s, want %s", tt.n, got, tt.min)
		}
		if got := p.pause(tt.n, func() float64 { return 0.999999 }); got > tt.max || got < tt.max*99/100 {
			t.Errorf("pause(%d) with the most jitter: got %s, want just under %s", tt.n, got, tt.max)
		}
	}
}

// The documented policies keep their promises: the renew's outlasts an
// election of several seconds, the interactive one keeps a person
// waiting for seconds, not a minute.
func TestRetryPolicies(t *testing.T) {
	t.Parallel()
	if got := UnattendedRetry.CallBound(DefaultTimeout); got != 70*time.Second {
		t.Errorf("UnattendedRetry.CallBound(%s) = %s, want 70s (docs/reliability.md)", DefaultTimeout, got)
	}
	if got := InteractiveRetry.CallBound(DefaultTimeout); got != 20*time.Second {
		t.Errorf("InteractiveRetry.CallBound(%s) = %s, want 20s (docs/reliability.md)", DefaultTimeout, got)
	}
	for _, p := range []RetryPolicy{InteractiveRetry, UnattendedRetry, FreshLookup} {
		if p.Base <= 0 || p.Max < p.Base || p.Budget < p.Max {
			t.Errorf("policy %+v: want 0 < Base <= Max <= Budget", p)
		}
	}
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *VaultError
		want bool
	}{
		{"connection refused", &VaultError{Detail: "connection refused", Kind: ErrUnavailable, Broken: true}, true},
		{"timeout", &VaultError{Detail: "no answer in time (timed out)", Kind: ErrUnavailable, Broken: true}, true},
		{"a 403 whose body was cut short", &VaultError{Status: 403, Detail: "connection reset", Kind: ErrUnavailable, Broken: true}, true},
		{"a request that could not be built", &VaultError{Detail: "json: unsupported type", Kind: ErrUnavailable}, false},
		{"429", &VaultError{Status: 429, Kind: ErrUnavailable}, true},
		{"500", &VaultError{Status: 500, Detail: "internal error", Kind: ErrUnavailable}, true},
		{"502 from a load balancer", &VaultError{Status: 502, Kind: ErrUnavailable}, true},
		{"412 standby behind", &VaultError{Status: 412, Kind: ErrUnavailable}, true},
		{"no active node (500)", &VaultError{Status: 500, Detail: "local node not active but active cluster node not found", Kind: ErrUnavailable}, true},
		{"no active node (503)", &VaultError{Status: 503, Detail: "no active Vault instance found", Kind: ErrUnavailable}, true},
		{"sealed", &VaultError{Status: 503, Detail: sealedDetail, Kind: ErrUnavailable}, false},
		{"not initialised", &VaultError{Status: 501, Kind: ErrUnavailable}, false},
		{"403", &VaultError{Status: 403, Kind: ErrDenied}, false},
		{"400", &VaultError{Status: 400, Kind: ErrDenied}, false},
		{"404 misrouted", &VaultError{Status: 404, Kind: ErrUnavailable}, false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("%s: retryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetryStops(t *testing.T) {
	t.Parallel()
	fast := RetryPolicy{Budget: 200 * time.Millisecond, Base: 2 * time.Millisecond, Max: 10 * time.Millisecond}
	unavailable := &VaultError{Status: 500, Kind: ErrUnavailable}
	again := func(e *VaultError) bool { return e != nil && retryable(e) }
	tests := []struct {
		name      string
		ctx       func() (context.Context, context.CancelFunc)
		answers   []*VaultError // then unavailable forever
		wantErr   *VaultError
		wantCalls func(int) bool
	}{
		{"success at once", background, []*VaultError{nil}, nil, eq(1)},
		{"success after failures", background, []*VaultError{unavailable, unavailable, unavailable, nil}, nil, eq(4)},
		{"denied is final", background, []*VaultError{{Status: 403, Kind: ErrDenied}}, &VaultError{Status: 403, Kind: ErrDenied}, eq(1)},
		{"budget runs out", background, nil, unavailable, func(n int) bool { return n > 5 }},
		{"deadline shorter than a pause", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Millisecond)
		}, nil, unavailable, func(n int) bool { return n <= 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := tt.ctx()
			defer cancel()
			calls := 0
			err, n := retry(ctx, fast, again, func() *VaultError {
				calls++
				if calls <= len(tt.answers) {
					return tt.answers[calls-1]
				}
				return unavailable
			})
			if (err == nil) != (tt.wantErr == nil) || (err != nil && err.Status != tt.wantErr.Status) {
				t.Errorf("got error %v, want %v", err, tt.wantErr)
			}
			if n != calls || !tt.wantCalls(n) {
				t.Errorf("got %d attempts (reported %d), not what the case wants", calls, n)
			}
		})
	}
}

func background() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func eq(want int) func(int) bool { return func(n int) bool { return n == want } }

// staleVault answers 403 to the first stale lookups of a token, as a
// standby that has not seen a fresh token yet, then the token's info.
type staleVault struct {
	Vault
	stale, calls int
}

func (v *staleVault) LookupSelf(ctx context.Context, token string) (TokenInfo, error) {
	v.calls++
	if v.calls <= v.stale {
		return TokenInfo{}, &VaultError{Status: http.StatusForbidden, Kind: ErrInvalidToken, Detail: "permission denied"}
	}
	return TokenInfo{Accessor: "acc"}, nil
}

func TestLookupFresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		stale     int
		wantErr   error
		wantCalls func(int) bool
	}{
		{"seen at once", 0, nil, eq(1)},
		{"two stale reads", 2, nil, eq(3)},
		{"never seen: the mint failed", 1000, ErrInvalidToken, func(n int) bool { return n > 3 && n < 1000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := &staleVault{stale: tt.stale}
			info, err := lookupFresh(context.Background(), v, "t")
			if !errors.Is(err, tt.wantErr) || (err == nil && info.Accessor != "acc") {
				t.Errorf("got %+v, %v; want accessor acc or %v", info, err, tt.wantErr)
			}
			if !tt.wantCalls(v.calls) {
				t.Errorf("got %d lookups, not what the case wants", v.calls)
			}
		})
	}
}

func TestTransportErrorNamesARedirect(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Get", URL: "http://10.0.0.2:8200/v1/auth/token/lookup-self", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		addr string
		err  error
		want string
	}{
		{"the address itself", "http://10.0.0.2:8200", refused, "connection refused"},
		{"redirected by a standby", "http://vault.example.com:8200", refused,
			"connection refused (at http://10.0.0.2:8200, where http://vault.example.com:8200 redirected)"},
		{"no URL", "http://vault.example.com:8200", syscall.ECONNREFUSED, "connection refused"},
	}
	for _, tt := range tests {
		if got := TransportError(tt.addr, OpLookupSelf, http.MethodGet, 0, tt.err).Detail; got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
