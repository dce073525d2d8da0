// Package fakevault is an in-memory Vault token store for heal's unit
// tests. It implements heal.Vault and follows the rules of Vault's token
// store (vault/token_store.go of Vault 1.21) that matter to
// vault-token-helper:
//
//   - Every call is judged by the ACL of the calling token: its policies
//     and its identity policies, each a set of path rules as in Vault's
//     HCL (Policy); the "root" policy may do anything and "default"
//     grants the self paths (lookup-self, renew-self, revoke-self,
//     capabilities-self). An unknown or expired token gets 403 "permission
//     denied" and "invalid token"; a valid token its policies refuse gets
//     403 "permission denied" alone.
//   - A batch token can create no token: 400 "batch tokens cannot create
//     more tokens".
//   - create-orphan needs update on auth/token/create-orphan; a period,
//     or policies that are not a subset of the caller's own, need sudo
//     there too (400 otherwise, as Vault answers); root policies need a
//     root parent. The display name becomes token-<name>, sanitized; the
//     policies are sorted, deduplicated and get default.
//   - A periodic token's TTL is its period, renewed to the period; other
//     tokens renew by the increment up to their max TTL.
//   - lookup-accessor of an unknown accessor is 400 "invalid accessor";
//     revoke-accessor of one succeeds (Vault warns and answers 204).
//     Both need update on their path; listing accessors needs list and
//     sudo on auth/token/accessors. Revoking a token revokes its
//     children (orphans have none).
//
// Answers go through heal.AnswerError and heal.TransportError, the
// classification the real client uses. Faults (Fail) inject what a real
// server cannot be made to do on cue: a denial, an unavailable or sealed
// Vault, a lost answer after the write happened, a slow answer.
//
// internal/e2e's TestFakeVaultMatchesVault runs one scenario table
// against this fake and against a real dev server and compares them; a
// behaviour added here gets a row there.
package fakevault

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// Policy is a Vault ACL policy: path → capabilities ("read", "update",
// "create", "list", "sudo", "deny"...). A path ending in "*" is a prefix.
type Policy map[string][]string

// HCL is the policy in Vault's policy language, for a real server.
func (p Policy) HCL() string {
	paths := make([]string, 0, len(p))
	for path := range p {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, path := range paths {
		fmt.Fprintf(&b, "path %q {\n  capabilities = [%s]\n}\n", path, quoteList(p[path]))
	}
	return b.String()
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// Admin may do everything this tool asks Vault for, mint included (as
// the tests' admin policy on a real server: path "*" with sudo).
var Admin = Policy{"*": {"create", "read", "update", "delete", "list", "sudo"}}

// defaultPolicy is the part of Vault's default policy this tool uses.
var defaultPolicy = Policy{
	"auth/token/lookup-self": {"read"},
	"auth/token/renew-self":  {"update"},
	"auth/token/revoke-self": {"update"},
	"sys/capabilities-self":  {"update"},
}

// Paths of the calls, as the ACL sees them.
const (
	pathCreateOrphan   = "auth/token/create-orphan"
	pathLookupAccessor = "auth/token/lookup-accessor"
	pathRevokeAccessor = "auth/token/revoke-accessor"
	pathAccessors      = "auth/token/accessors"
)

// FaultKind is what an injected fault does to a call.
type FaultKind int

const (
	// Denied: 403 permission denied, nothing done.
	Denied FaultKind = iota + 1
	// InvalidToken: the calling token is unknown to Vault for this call
	// (403), nothing done.
	InvalidToken
	// Unavailable: connection refused, nothing reached Vault.
	Unavailable
	// Sealed: Vault's own sealed answer (503), nothing done.
	Sealed
	// OutcomeUnknown: the request timed out; with Applied it was done
	// before the answer was lost.
	OutcomeUnknown
	// Slow: the answer takes Delay; a context that ends first is a
	// timeout and nothing is done.
	Slow
)

// Fault is an injected failure of calls to one operation.
type Fault struct {
	Op      string // heal.Op*
	Kind    FaultKind
	Applied bool          // OutcomeUnknown: the call took effect
	Delay   time.Duration // Slow
	// Skip lets that many calls through before the fault applies.
	Skip int
	// Times is how many calls it affects; 0 means every call.
	Times int
}

type entry struct {
	id, accessor, displayName, path, parent string
	policies, identityPolicies              []string
	period, maxTTL                          time.Duration
	expire                                  time.Time // zero: never
	renewable, batch                        bool
	meta                                    map[string]string
}

// Vault is the fake. Its zero value is not usable; call New.
type Vault struct {
	mu       sync.Mutex
	addr     string
	now      func() time.Time
	seq      int
	tokens   map[string]*entry // by token
	byAcc    map[string]*entry // by accessor
	policies map[string]Policy
	faults   []*Fault
	calls    map[string]int
	sealed   bool
}

var _ heal.Vault = (*Vault)(nil)

// New returns an empty, unsealed Vault at addr with the default policy
// and the Admin policy named "admin".
func New(addr string) *Vault {
	return &Vault{
		addr:     addr,
		now:      time.Now,
		tokens:   map[string]*entry{},
		byAcc:    map[string]*entry{},
		policies: map[string]Policy{"default": defaultPolicy, "admin": Admin},
		calls:    map[string]int{},
	}
}

// SetClock makes the fake tell time with now (token expiry and TTLs).
func (v *Vault) SetClock(now func() time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now = now
}

// SetPolicy writes a policy, as `vault policy write` does.
func (v *Vault) SetPolicy(name string, p Policy) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.policies[name] = p
}

// Fail injects a fault.
func (v *Vault) Fail(f Fault) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.faults = append(v.faults, &f)
}

// Seal seals (or unseals) the Vault: every call gets Vault's sealed answer.
func (v *Vault) Seal(sealed bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.sealed = sealed
}

// Calls is how many calls to op reached the fake (faults included).
func (v *Vault) Calls(op string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls[op]
}

// TokenSpec describes a token made behind the tool's back.
type TokenSpec struct {
	DisplayName      string // as Vault shows it (no token- added)
	Path             string // default auth/token/create
	Policies         []string
	IdentityPolicies []string
	Period           time.Duration
	TTL              time.Duration // 0 with no period: never expires
	Parent           string        // a token; "" for an orphan
	Meta             map[string]string
	NoDefaultPolicy  bool
	Batch            bool // a batch token (as an OIDC role with token_type = batch issues)
}

// Token creates a token as an operator would, with no checks, and
// returns it and its accessor.
func (v *Vault) Token(s TokenSpec) (token, accessor string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e := &entry{displayName: s.DisplayName, path: s.Path, parent: s.Parent, period: s.Period,
		identityPolicies: sanitize(s.IdentityPolicies, false), meta: cloneMeta(s.Meta), renewable: !s.Batch, batch: s.Batch}
	if e.path == "" {
		e.path = "auth/token/create"
	}
	e.policies = sanitize(s.Policies, !s.NoDefaultPolicy)
	ttl := s.TTL
	if s.Period > 0 {
		ttl = s.Period
	}
	if ttl > 0 {
		e.expire = v.now().Add(ttl)
		e.maxTTL = ttl
	} else {
		e.renewable = false
	}
	v.add(e)
	return e.id, e.accessor
}

// Root returns a new root token, as `vault server -dev` makes it (a
// token-store token with the root policy).
func (v *Vault) Root() string {
	t, _ := v.Token(TokenSpec{DisplayName: "token", Path: "auth/token/create", Policies: []string{"root"}})
	return t
}

// Login returns the token a userpass login of user would: display name
// userpass-<user>, the given policies plus default, metadata naming the
// user, orphan, renewable up to ttl.
func (v *Vault) Login(user string, policies, identityPolicies []string, ttl time.Duration) string {
	t, _ := v.Token(TokenSpec{DisplayName: "userpass-" + user, Path: "auth/userpass/login/" + user,
		Policies: policies, IdentityPolicies: identityPolicies, TTL: ttl, Meta: map[string]string{"username": user}})
	return t
}

// Revoke revokes a token behind the tool's back; it reports whether the
// token existed.
func (v *Vault) Revoke(token string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	e := v.live(token)
	if e != nil {
		v.revoke(e)
	}
	return e != nil
}

// Info is what lookup-accessor would say about accessor; false when no
// live token has it.
func (v *Vault) Info(accessor string) (heal.TokenInfo, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e := v.byAcc[accessor]
	if e == nil || v.expired(e) {
		return heal.TokenInfo{}, false
	}
	return v.info(e), true
}

// Accessors lists the accessors of the live tokens, sorted.
func (v *Vault) Accessors() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.accessors()
}

func (v *Vault) accessors() []string {
	var out []string
	for acc, e := range v.byAcc {
		if !v.expired(e) {
			out = append(out, acc)
		}
	}
	sort.Strings(out)
	return out
}

func (v *Vault) add(e *entry) {
	v.seq++
	e.id = fmt.Sprintf("hvs.fake%016d", v.seq)
	e.accessor = fmt.Sprintf("acc%021d", v.seq)
	v.tokens[e.id] = e
	v.byAcc[e.accessor] = e
}

func (v *Vault) expired(e *entry) bool { return !e.expire.IsZero() && !v.now().Before(e.expire) }

// live is the entry of a token Vault still knows.
func (v *Vault) live(token string) *entry {
	e := v.tokens[token]
	if e == nil {
		return nil
	}
	if v.expired(e) {
		v.revoke(e)
		return nil
	}
	return e
}

// revoke removes e and, as Vault does, every token created under it.
func (v *Vault) revoke(e *entry) {
	delete(v.tokens, e.id)
	delete(v.byAcc, e.accessor)
	for _, c := range v.tokens {
		if c.parent == e.id {
			v.revoke(c)
		}
	}
}

// capabilities of e on path: the union over its policies and identity
// policies of the longest matching rule, as Vault's ACL does; root may
// do anything.
func (v *Vault) capabilities(e *entry, path string) []string {
	pols := append(slices.Clone(e.policies), e.identityPolicies...)
	if slices.Contains(pols, "root") {
		return []string{"root"}
	}
	var caps []string
	for _, name := range pols {
		best, bestLen := []string(nil), -1
		for rule, c := range v.policies[name] {
			prefix, glob := strings.CutSuffix(rule, "*")
			if (glob && strings.HasPrefix(path, prefix) || rule == path) && len(rule) > bestLen {
				best, bestLen = c, len(rule)
			}
		}
		for _, c := range best {
			if !slices.Contains(caps, c) {
				caps = append(caps, c)
			}
		}
	}
	if slices.Contains(caps, "deny") {
		return []string{"deny"}
	}
	sort.Strings(caps)
	return caps
}

func (v *Vault) may(e *entry, path string, need ...string) bool {
	caps := v.capabilities(e, path)
	if slices.Contains(caps, "root") {
		return true
	}
	for _, n := range need {
		if !slices.Contains(caps, n) {
			return false
		}
	}
	return true
}

func (v *Vault) mayWrite(e *entry, path string) bool {
	return v.may(e, path, "update") || v.may(e, path, "create")
}

func (v *Vault) info(e *entry) heal.TokenInfo {
	info := heal.TokenInfo{
		Accessor:         e.accessor,
		DisplayName:      e.displayName,
		Policies:         slices.Clone(e.policies),
		IdentityPolicies: slices.Clone(e.identityPolicies),
		Period:           e.period,
		Orphan:           e.parent == "",
		Renewable:        e.renewable,
		Meta:             cloneMeta(e.meta),
		Path:             e.path,
		Type:             "service",
	}
	if e.batch {
		info.Type = "batch"
	}
	if info.Meta == nil {
		info.Meta = map[string]string{}
	}
	if !e.expire.IsZero() {
		info.ExpireTime = e.expire
		info.TTL = e.expire.Sub(v.now()).Truncate(time.Second)
	}
	return info
}

// call is the frame of every operation: count it, apply the faults and
// the seal, then run do with the lock held. do returns an HTTP status and
// Vault's message when Vault refuses.
func (v *Vault) call(ctx context.Context, op, method string, do func() (int, string)) error {
	v.mu.Lock()
	v.calls[op]++
	f := v.fault(op)
	sealed := v.sealed
	v.mu.Unlock()

	if err := ctx.Err(); err != nil {
		return heal.TransportError(v.addr, op, method, 0, err)
	}
	if f != nil {
		switch f.Kind {
		case Denied:
			return heal.AnswerError(v.addr, op, method, heal.Answer{Status: http.StatusForbidden, Errors: []string{denied}})
		case InvalidToken:
			return heal.AnswerError(v.addr, op, method, heal.Answer{Status: http.StatusForbidden, Errors: []string{invalid}})
		case Unavailable:
			return heal.TransportError(v.addr, op, method, 0, fmt.Errorf("dial tcp: %w", syscall.ECONNREFUSED))
		case Sealed:
			sealed = true
		case OutcomeUnknown:
			if f.Applied {
				v.mu.Lock()
				do()
				v.mu.Unlock()
			}
			return heal.TransportError(v.addr, op, method, 0, context.DeadlineExceeded)
		case Slow:
			t := time.NewTimer(f.Delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return heal.TransportError(v.addr, op, method, 0, ctx.Err())
			case <-t.C:
			}
		}
	}
	if sealed {
		return heal.AnswerError(v.addr, op, method, heal.Answer{Status: http.StatusServiceUnavailable, Errors: []string{"Vault is sealed"}})
	}
	v.mu.Lock()
	status, msg := do()
	v.mu.Unlock()
	if status == 0 {
		return nil
	}
	return heal.AnswerError(v.addr, op, method, heal.Answer{Status: status, Errors: []string{msg}})
}

// fault takes the next fault for op, if any.
func (v *Vault) fault(op string) *Fault {
	for i, f := range v.faults {
		if f.Op != op {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			return nil
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				v.faults = slices.Delete(v.faults, i, i+1)
			}
		}
		return f
	}
	return nil
}

// Vault's 403 messages: a known token without the capability, and a
// token Vault does not know.
const (
	denied  = "permission denied"
	invalid = "permission denied; invalid token"
)

// caller is the live entry of token when may allows it the call;
// otherwise nil and Vault's 403: "invalid token" for a token it does not
// know, "permission denied" for one without the capability.
func (v *Vault) caller(token string, may func(*entry) bool) (*entry, int, string) {
	e := v.live(token)
	switch {
	case e == nil:
		return nil, http.StatusForbidden, invalid
	case !may(e):
		return nil, http.StatusForbidden, denied
	}
	return e, 0, ""
}
