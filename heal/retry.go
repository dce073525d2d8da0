package heal

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// RetryPolicy says how long an idempotent call (lookup, renew, revoke,
// list, capabilities) keeps trying after a transient failure: a
// connection refused, reset or timed out, HTTP 429, a 5xx, or a node
// that knows no active node (a raft election, a rolling restart, a load
// balancer draining a node). Pauses grow exponentially from Base to Max,
// each with jitter, so that many clients do not retry in step; no retry
// starts later than Budget after the call began, nor when the caller's
// deadline would end before the pause does.
//
// Never retried: a mint (create-orphan: a repeat could mint twice; its
// journal decides what happened), Vault's sealed answer (unsealing takes
// a person or an auto-unseal, and a load balancer's health check keeps
// traffic off a sealed node), and Vault's judgement of the request (403,
// 400, 404...).
type RetryPolicy struct {
	Budget time.Duration // no retry starts later than this after the first attempt
	Base   time.Duration // the first pause; each next one doubles
	Max    time.Duration // the longest pause
}

var (
	// InteractiveRetry is for store, adopt, erase and status: a person is
	// waiting, so a call gives up after about 10 seconds (a raft election
	// usually takes a few).
	InteractiveRetry = RetryPolicy{Budget: 10 * time.Second, Base: 250 * time.Millisecond, Max: 2 * time.Second}
	// UnattendedRetry is for vault-token-renew, which nobody watches: a
	// call outlasts an election, a rolling restart or a load balancer's
	// failover, about a minute.
	UnattendedRetry = RetryPolicy{Budget: 60 * time.Second, Base: 500 * time.Millisecond, Max: 8 * time.Second}
)

// CallBound is the longest one idempotent call can take when every
// request runs into timeout: the last retry starts before Budget and
// takes at most timeout. A mint, never retried, takes at most timeout.
func (p RetryPolicy) CallBound(timeout time.Duration) time.Duration {
	return p.Budget + timeout
}

// pause is the wait before retry n (1 for the first): Base doubled n-1
// times, at most Max, of which the upper half is random ("equal
// jitter"). rnd returns a number in [0, 1).
func (p RetryPolicy) pause(n int, rnd func() float64) time.Duration {
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	return d/2 + time.Duration(rnd()*float64(d/2))
}

// retry calls attempt until it succeeds, fails in a way again cannot
// mend, or the policy's budget or ctx runs out; it returns the last
// failure and how many attempts were made.
func retry[E error](ctx context.Context, p RetryPolicy, again func(E) bool, attempt func() E) (E, int) {
	start := time.Now()
	for n := 1; ; n++ {
		err := attempt()
		if !again(err) {
			return err, n
		}
		wait := p.pause(n, rand.Float64)
		if time.Since(start)+wait > p.Budget {
			return err, n
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			return err, n
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err, n
		case <-t.C:
		}
	}
}

// retryable reports whether a failed idempotent call is worth another
// attempt: no complete answer (connection refused, reset, timeout), HTTP
// 429, a 5xx other than Vault's sealed answer and 501 (not initialised),
// 412 (a standby that has not caught up yet), or a node that knows no
// active node, whatever the status it says it with.
func retryable(e *VaultError) bool {
	switch {
	case e.Broken, noActiveNode(e.Detail):
		return true
	case sealed(e), e.Status == http.StatusNotImplemented:
		return false
	case e.Status == http.StatusTooManyRequests, e.Status == http.StatusPreconditionFailed, e.Status >= 500:
		return true
	}
	return false
}

// noActiveNode recognises a standby's answers while the cluster has no
// active node (Vault's http/handler.go).
func noActiveNode(detail string) bool {
	for _, s := range []string{"active cluster node not found", "no active Vault instance found", "node is not active"} {
		if strings.Contains(detail, s) {
			return true
		}
	}
	return false
}

// FreshLookup is how the check of a just-minted token retries Vault's
// 403. On a cluster that serves reads from standbys (Vault's performance
// standbys, OpenBao's standby reads) the lookup can reach a node that has
// not seen the new token yet; a token Vault has just handed us is given
// these few seconds before the mint is called failed.
var FreshLookup = RetryPolicy{Budget: 3 * time.Second, Base: 100 * time.Millisecond, Max: time.Second}

// lookupFresh is LookupSelf of a token Vault just minted, retrying an
// ErrInvalidToken answer within FreshLookup (transient failures are
// retried by the client itself).
func lookupFresh(ctx context.Context, v Vault, token string) (TokenInfo, error) {
	var info TokenInfo
	err, _ := retry(ctx, FreshLookup, func(err error) bool { return errors.Is(err, ErrInvalidToken) }, func() error {
		var err error
		info, err = v.LookupSelf(ctx, token)
		return err
	})
	return info, err
}
