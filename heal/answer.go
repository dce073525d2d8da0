package heal

// What Vault answered, judged in one place: AnswerError for an HTTP
// answer, TransportError for no answer, classified with the Err sentinels.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Errors that classify what Vault answered. Check them with errors.Is.
var (
	// ErrInvalidToken: Vault does not know the token (revoked, expired,
	// never existed): HTTP 403 on lookup-self.
	ErrInvalidToken = errors.New("token is not valid")
	// ErrDenied: the token is valid but Vault refused the operation
	// (HTTP 403, or 400 for a policy set the token may not grant).
	ErrDenied = errors.New("permission denied")
	// ErrUnavailable: no usable answer: connection refused or reset, a
	// timeout, 429, 5xx, a sealed Vault.
	ErrUnavailable = errors.New("vault unavailable")
	// ErrUnknownAccessor: the accessor names no live token.
	ErrUnknownAccessor = errors.New("no token with this accessor")
	// ErrOutcomeUnknown: a write may or may not have happened (timeout or
	// reset after the request was sent, or a 5xx).
	ErrOutcomeUnknown = errors.New("outcome unknown")
)

// VaultError is an error from one Vault call. Its message names the
// address, the operation and the cause, and never a token.
type VaultError struct {
	Addr   string
	Op     string
	Status int    // HTTP status, 0 when there was no answer
	Detail string // Vault's error messages or the transport error
	Kind   error  // one of the sentinel errors above
	// Unknown marks a write whose outcome is unknown.
	Unknown bool
	// Broken marks a call that got no complete answer (refused, reset,
	// timed out, a body cut short), whatever status line arrived.
	Broken bool
	// Attempts is how many requests the call sent, in Took, when it was
	// retried (see RetryPolicy).
	Attempts int
	Took     time.Duration
}

func (e *VaultError) Error() string {
	status := ""
	if e.Status != 0 {
		status = fmt.Sprintf("HTTP %d ", e.Status)
	}
	retried := ""
	if e.Attempts > 1 {
		retried = fmt.Sprintf(" (%d attempts in %s)", e.Attempts, e.Took.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("vault at %s: %s: %s%s%s", e.Addr, e.Op, status, e.Detail, retried)
}

// Unwrap lets errors.Is see the kind (and ErrOutcomeUnknown).
func (e *VaultError) Unwrap() []error {
	if e.Unknown {
		return []error{e.Kind, ErrOutcomeUnknown}
	}
	return []error{e.Kind}
}

// sealedDetail is the cause of a VaultError for Vault's own sealed answer.
const sealedDetail = "Vault is sealed"

func sealed(e *VaultError) bool {
	return e.Status == http.StatusServiceUnavailable && e.Detail == sealedDetail
}

// Answer is Vault's HTTP answer to a call that failed.
type Answer struct {
	Status int
	Errors []string // Vault's "errors", or the raw body when Raw
	Raw    bool     // the body was not Vault's JSON (a proxy's page...)
}

// AnswerError is the one place that judges Vault's HTTP answers: what
// kind of failure an answer to op (sent with method) is, and whether a
// write may have happened. Fakes of Vault answer through it too.
func AnswerError(addr, op, method string, a Answer) *VaultError {
	e := &VaultError{Addr: addr, Op: op, Status: a.Status}
	if a.Raw {
		e.Detail = firstLine(strings.Join(a.Errors, "; "), 200)
	} else {
		e.Detail = vaultErrors(a.Errors)
	}
	switch {
	case a.Status == http.StatusForbidden:
		e.Kind = ErrDenied
		if e.Detail == "" {
			e.Detail = "permission denied"
		}
	case a.Status == http.StatusTooManyRequests || a.Status >= 500:
		e.Kind = ErrUnavailable
		isSealed := a.Status == http.StatusServiceUnavailable && !a.Raw && strings.Contains(e.Detail, "sealed")
		if isSealed {
			e.Detail = sealedDetail
		}
		// Vault answers 429 (rate limit) and 503 sealed before it
		// handles a request: nothing was done. Any other 5xx, a 503
		// from a load balancer in front of Vault included, may come
		// after Vault did it.
		e.Unknown = method != http.MethodGet && a.Status != http.StatusTooManyRequests && !isSealed
	case a.Status == http.StatusBadRequest:
		// Vault refused the request as asked ("child policies must be
		// subset of parent", an unknown accessor...).
		e.Kind = ErrDenied
	default:
		// 404, 405, 412... from a proxy or a misrouted address: not
		// Vault's judgement of the token.
		e.Kind = ErrUnavailable
	}
	if e.Detail == "" {
		e.Detail = http.StatusText(a.Status)
	}
	judge(e)
	return e
}

// TransportError is a call to op (sent with method) that got no complete
// answer: err is the transport's error, status the HTTP status when one
// arrived.
func TransportError(addr, op, method string, status int, err error) *VaultError {
	// A status that arrived before the body broke is judged by call, once
	// the retries are over (a 403 to revoke-self: the token is gone).
	e := &VaultError{Addr: addr, Op: op, Status: status, Kind: ErrUnavailable, Detail: transportCause(err), Broken: true,
		// Refused before anything was sent: nothing happened server-side.
		// Anything else (timeout, reset, EOF) may have reached Vault.
		Unknown: method != http.MethodGet && !errors.Is(err, syscall.ECONNREFUSED) && !isDNS(err)}
	// A standby that cannot forward redirects to the active node, which
	// may be the one that is down: say where the failure was.
	if where := redirectedTo(addr, err); where != "" {
		e.Detail += " (at " + where + ", where " + addr + " redirected)"
	}
	return e
}

// redirectedTo is the scheme and host a failed request went to when it
// is not addr's (vault/api follows Vault's redirects), else "".
func redirectedTo(addr string, err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return ""
	}
	to, err1 := url.Parse(ue.URL)
	from, err2 := url.Parse(addr)
	if err1 != nil || err2 != nil || to.Host == "" || strings.EqualFold(to.Host, from.Host) {
		return ""
	}
	return to.Scheme + "://" + to.Host
}

// Operations, as VaultError.Op names them.
const (
	OpLookupSelf     = "lookup-self"
	OpLookupAccessor = "lookup-accessor"
	OpCreateOrphan   = "create-orphan"
	OpRenewSelf      = "renew-self"
	OpRevokeSelf     = "revoke-self"
	OpRevokeAccessor = "revoke-accessor"
	OpListAccessors  = "list accessors"
	OpCapabilities   = "capabilities-self"
)

// judge refines the kind of Vault's answer by what was asked: a 403 on
// a call with the token's own authority (lookup-self, renew-self,
// revoke-self) means Vault does not know the token; a 400 naming an
// invalid accessor or token on an accessor call means no such token.
func judge(e *VaultError) {
	switch {
	case e.Status == http.StatusForbidden && e.Op == OpLookupSelf && deniedOnly(e.Detail):
		// A valid token whose policies deny lookup-self: Vault says
		// "permission denied" and not "invalid token". It may still mint.
		e.Kind = ErrDenied
		e.Detail = "permission denied: the token may not look itself up (auth/token/lookup-self)"
	case e.Status == http.StatusForbidden && e.Op == OpLookupSelf:
		e.Kind = ErrInvalidToken
		e.Detail = "token is not valid (revoked, expired or unknown)"
	case e.Status == http.StatusForbidden && (e.Op == OpRenewSelf || e.Op == OpRevokeSelf):
		// an invalid token cannot be renewed or revoked: it is already gone
		e.Kind = ErrInvalidToken
	case e.Status == http.StatusBadRequest && (e.Op == OpLookupAccessor || e.Op == OpRevokeAccessor) &&
		(strings.Contains(e.Detail, "invalid accessor") || strings.Contains(e.Detail, "invalid token")):
		e.Kind = ErrUnknownAccessor
	}
}

// deniedOnly: Vault's 403 names a refusal by policy ("permission
// denied") and not an unknown token ("invalid token", which Vault adds
// for a token it does not know).
func deniedOnly(detail string) bool {
	return strings.Contains(detail, "permission denied") && !strings.Contains(detail, "invalid token")
}

// vaultErrors joins Vault's error messages on one line, unwrapping
// go-multierror's "1 error occurred:\n\t* permission denied\n\n" into
// "permission denied".
func vaultErrors(errs []string) string {
	var out []string
	for _, e := range errs {
		lines := strings.Split(strings.TrimSpace(e), "\n")
		if len(lines) > 1 && strings.HasSuffix(lines[0], " occurred:") {
			for _, l := range lines[1:] {
				if l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*")); l != "" {
					out = append(out, l)
				}
			}
			continue
		}
		out = append(out, strings.TrimSpace(e))
	}
	return strings.Join(out, "; ")
}

func isDNS(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de)
}

// transportCause describes a transport failure in a few words.
func transportCause(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer in time (timed out)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed before a complete answer"
	}
	return firstLine(err.Error(), 200)
}

func firstLine(s string, max int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > max {
		// Never keep part of a word: it may be the start of a token (a
		// server echoing the request), which redaction only knows whole.
		cut := max
		for cut > 0 && wordByte(s[cut-1]) && wordByte(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// wordByte: the characters a token is made of.
func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}
