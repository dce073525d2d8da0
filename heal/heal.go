// Package heal decides what to keep, with Vault as the judge: whether a
// login token can mint the periodic token, whether a token is ours, what
// to revoke. It talks to Vault through the Vault interface and keeps
// state through package store; it never prints to a terminal.
//
// Contract:
//   - Every operation on an address holds that address's lock from its
//     first read to its last write.
//   - A token is "ours" when Spec.Ours says so (display name, periodic,
//     required policy). Only ours are renewed, adopted, or revoked as
//     stale; a foreign token is never revoked, a login token only when
//     the configuration asks for it.
//   - A login keeps a valid periodic token of ours that still matches the
//     configuration (KEPT): a mint happens only when none is stored, when
//     it no longer matches (a rotation), on Rotate, or with RotateOnLogin.
//     A replaced token stays valid for RotateGrace before a sweep revokes it.
//   - Every revocation passes one guard (mayRevoke): a token another
//     local address holds as current is never revoked, nor one --scan
//     found that no metadata attributes to this installation unless
//     the user names it.
//   - A mint is journaled: the intent is fsynced before the request, the
//     accessor as soon as Vault answers, and the journal is cleared in the
//     same atomic write that stores the token. Every operation first
//     finishes or undoes what an interrupted one left.
//   - Errors wrap the sentinels of this package (ErrWeakToken, ErrNotOurs,
//     ErrInvalidToken, ErrUnavailable...) and name the address and the
//     cause; no error, log line or result ever contains a token.
package heal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// Errors of the store decision.
var (
	// ErrWeakToken: the login token cannot mint and a valid periodic
	// token is stored; the store is refused.
	ErrWeakToken = errors.New("login token cannot mint the periodic token")
	// ErrNotOurs: the token Vault minted does not pass the drift guard.
	ErrNotOurs = errors.New("token is not ours")
	// ErrRootToken: a root token with nothing configured to mint.
	ErrRootToken = errors.New("root token")
)

// Healer runs the decisions for one address.
type Healer struct {
	Files    *store.Files
	Key      store.Key
	Vault    Vault
	Spec     Spec
	Log      *slog.Logger
	LockWait time.Duration

	// RevokeLogin revokes the login token after a successful mint (only a
	// token a login method issued; never a root or token-store token).
	RevokeLogin bool
	// RecoveryBudget bounds the settling of the journal before an
	// operation, so that a scan of a large Vault never eats the time of
	// the operation itself. Zero means DefaultRecoveryBudget.
	RecoveryBudget time.Duration
	// RotateOnLogin mints a fresh periodic token on every admin login
	// (rotate_on_login) instead of keeping a valid one that matches.
	RotateOnLogin bool
	// RotateGrace is how long a replaced periodic token stays valid
	// before a sweep revokes it (rotate_grace); 0 revokes it at once.
	RotateGrace time.Duration
	// Recorded checks stored tokens against the guard recorded with each
	// (RecordedSpec) instead of Spec: the configuration could not be read.
	Recorded bool
	// Mirror, when set, is kept equal to this address's periodic token.
	Mirror *Mirror
	// TLS are the client TLS settings Vault is reached with (nil: none
	// of the VAULT_* TLS variables), recorded with every token stored,
	// so that later commands reach the address the same way.
	TLS *store.TLS

	Now   func() time.Time
	NewID func() string
	Host  string
	User  string
	// InstallID is this installation's id (store.Files.InstallID), sent
	// in every mint's metadata; tokens carrying another id are not ours.
	InstallID string
	// CLI is the command line program that ran the helper, "vault" or
	// "bao": what to run next is said with its name ("" is vault).
	CLI string

	// Crash, when set, is called at each named step of a mint; test
	// builds use it to kill the process there. Nil in normal builds.
	Crash func(step string)
}

// DefaultRecoveryBudget bounds journal recovery in store and erase.
const DefaultRecoveryBudget = 10 * time.Second

// Result is what an operation did, for the caller to report.
type Result struct {
	Event    string
	Accessor string   // the token now stored, when there is one
	Warnings []string // things that went wrong but did not fail the operation
	// Replaced is the periodic token a mint replaced, revoked by the
	// first sweep after RevokeAfter (zero: at once).
	Replaced    string
	RevokeAfter time.Time
	TTL         time.Duration // KEPT: the stored token's TTL after its renewal

	// replacedDead: the token a mint replaces is known to be revoked or
	// expired, so it gets no grace.
	replacedDead bool
}

func (h *Healer) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Healer) crash(step string) {
	if h.Crash != nil {
		h.Crash(step)
	}
}

func (h *Healer) log(ctx context.Context, level slog.Level, event string, attrs ...any) {
	attrs = append([]any{"address", h.Key.Addr}, attrs...)
	if h.Key.Namespace != "" {
		attrs = append(attrs, "namespace", h.Key.Namespace)
	}
	h.Log.Log(ctx, level, event, attrs...)
}

func (h *Healer) lock(ctx context.Context) (*store.Session, store.State, error) {
	wait := h.LockWait
	if wait == 0 {
		wait = store.DefaultLockWait
	}
	sess, err := h.Files.Lock(ctx, h.Key, wait)
	if err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "lock", "error", err.Error())
		return nil, store.State{}, err
	}
	st, err := sess.Load()
	if err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "load", "error", err.Error())
		sess.Close()
		return nil, store.State{}, err
	}
	return sess, st, nil
}

// begin starts an operation that may change the state: it takes the
// address's lock and settles what an interrupted mint left (with the
// stored periodic token's authority, then more's). The caller closes the
// session.
func (h *Healer) begin(ctx context.Context, more ...string) (*store.Session, store.State, []string, error) {
	sess, st, err := h.lock(ctx)
	if err != nil {
		return nil, store.State{}, nil, err
	}
	st, warn := h.recover(ctx, sess, st, authorities(st, more...))
	return sess, st, warn, nil
}

// Store is the `store` verb: the decision for a new login token.
func (h *Healer) Store(ctx context.Context, incoming string) (Result, error) {
	sess, st, warn, err := h.begin(ctx, incoming)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()
	res := Result{Warnings: warn}

	if st.Current != nil && st.Current.Token == incoming {
		h.log(ctx, slog.LevelInfo, EventUnchanged, "accessor", st.Current.Accessor)
		res.Event, res.Accessor = EventUnchanged, st.Current.Accessor
		return res, nil
	}

	info, err := h.Vault.LookupSelf(ctx, incoming)
	blind := false // a valid login token that may not look itself up
	switch {
	case err == nil:
	case errors.Is(err, ErrDenied) && len(h.Spec.Policies) > 0:
		// Vault's 403 without "invalid token": the token is valid but its
		// policies deny lookup-self. With configured policies, the mint
		// decides what it may do.
		blind = true
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "lookup-self of the login token", "error", err.Error(),
			"note", "trying the mint with the configured policies")
	case errors.Is(err, ErrDenied):
		h.log(ctx, slog.LevelError, EventError, "op", "lookup-self of the login token", "error", err.Error())
		return res, fmt.Errorf("check the login token: %w; with no periodic_token.policies configured there is nothing to mint with it: configure them", err)
	default:
		h.log(ctx, slog.LevelError, EventError, "op", "lookup-self of the login token", "error", err.Error())
		return res, fmt.Errorf("check the login token: %w", err)
	}

	if !blind {
		ok, err := h.adoptable(ctx, st, info)
		if err != nil {
			return h.refusePending(ctx, st, info, err, res)
		}
		if ok {
			return h.adopt(ctx, sess, st, incoming, info, res)
		}
	}
	if info.Batch() {
		return h.cannotMint(ctx, sess, st, incoming, info, errBatch, res)
	}

	spec, err := h.Spec.guarded(st.Current).ForLogin(info)
	if err != nil {
		if info.HasPolicy("root") {
			h.log(ctx, slog.LevelError, EventError, "login_display_name", info.DisplayName, "error", err.Error())
			return res, fmt.Errorf("%w: not stored: %w", ErrRootToken, err)
		}
		return h.cannotMint(ctx, sess, st, incoming, info, err, res)
	}
	if !h.RotateOnLogin {
		var done bool
		if res, done, err = h.keepStored(ctx, sess, st, incoming, info, blind, res); done {
			return res, err
		}
	}
	res, err = h.mint(ctx, sess, st, incoming, info, spec, res)
	var cm *cannotMintError
	if errors.As(err, &cm) {
		if blind {
			h.log(ctx, slog.LevelError, EventError, "op", "create-orphan", "error", err.Error())
			return res, fmt.Errorf("%w: the login token may not look itself up and Vault refused the mint (%w); nothing stored changed", ErrWeakToken, cm.err)
		}
		st, lerr := sess.Load()
		if lerr != nil {
			return res, lerr
		}
		return h.cannotMint(ctx, sess, st, incoming, info, cm.err, res)
	}
	return res, err
}

// errBatch is why a batch login token cannot mint.
var errBatch = errors.New(`it is a batch token, and Vault lets no batch token create tokens (400 "batch tokens cannot create more tokens"); have the login role issue service tokens (token_type = "service")`)

// errNoPeriodic is why a login token Vault says may not create periodic
// tokens is not used to mint.
var errNoPeriodic = errors.New("Vault says it may not create periodic tokens (that needs update and sudo on auth/token/create-orphan)")

// keepStored is KEPT: a valid periodic token of ours that still matches
// the configuration stays, renewed to a full TTL; nothing is minted and
// nothing revoked (the login token only with revoke_login_token). done
// is false when there is nothing to keep and the caller mints: nothing
// valid is stored, or it no longer matches (a rotation).
func (h *Healer) keepStored(ctx context.Context, sess *store.Session, st store.State, incoming string, login TokenInfo, blind bool, res Result) (Result, bool, error) {
	cur := st.Current
	if cur == nil || !cur.Source.Periodic() {
		return res, false, nil
	}
	info, err := h.Vault.LookupSelf(ctx, cur.Token)
	switch {
	case errors.Is(err, ErrInvalidToken):
		res.replacedDead = true // no grace for a token Vault no longer knows
		return res, false, nil
	case err != nil:
		h.log(ctx, slog.LevelError, EventError, "op", "check the stored token", "accessor", cur.Accessor, "error", err.Error())
		return res, true, fmt.Errorf("check the stored token %s (accessor %s): %w", cur.DisplayName, cur.Accessor, err)
	}
	if ok, why := h.guardSpec(st).Matches(info); !ok {
		h.log(ctx, slog.LevelInfo, EventRotating, "accessor", cur.Accessor, "reason", why)
		return res, false, nil
	}
	if !blind {
		can, err := h.Vault.CanMint(ctx, incoming)
		if errors.Is(err, ErrDenied) {
			// Vault does not let it ask (no default policy): keeping the
			// valid stored token is right whatever the login may do.
			h.log(ctx, slog.LevelInfo, EventWarn, "op", "capabilities of the login token", "error", err.Error(), "note", "keeping the stored token")
			can, err = true, nil
		}
		if err != nil {
			h.log(ctx, slog.LevelError, EventError, "op", "capabilities of the login token", "error", err.Error())
			return res, true, fmt.Errorf("ask Vault what the login token may do: %w", err)
		}
		if !can {
			res, err := h.cannotMint(ctx, sess, st, incoming, login, errNoPeriodic, res)
			return res, true, err
		}
	}
	ttl, err := h.Vault.RenewSelf(ctx, cur.Token, time.Duration(cur.Period))
	if err != nil {
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "renew the kept token", "accessor", cur.Accessor, "error", err.Error())
		res.Warnings = append(res.Warnings, fmt.Sprintf("kept %s (accessor %s) but could not renew it: %v; vault-token-renew renews it tonight", cur.DisplayName, cur.Accessor, err))
	} else {
		cur.ExpireTime = h.now().Add(ttl).UTC()
		res.TTL = ttl
	}
	st.LastLogin = h.lastLogin(EventKept, cur.Accessor)
	if err := sess.Save(st); err != nil {
		res.Warnings = append(res.Warnings, "could not record the renewal: "+err.Error())
	}
	h.log(ctx, slog.LevelInfo, EventKept, "accessor", cur.Accessor, "display_name", cur.DisplayName, "ttl", ttl.String(),
		"login_accessor", login.Accessor, "login_display_name", login.DisplayName)
	res.Event, res.Accessor = EventKept, cur.Accessor
	res.Warnings = append(res.Warnings, h.syncMirror(ctx, st, "")...)
	_, warn, _ := h.sweep(ctx, sess, st, authorities(st, incoming), false)
	res.Warnings = append(res.Warnings, warn...)
	res.Warnings = append(res.Warnings, h.revokeLogin(ctx, incoming, login)...)
	return res, true, nil
}

// adoptable is the adoption rule: ours, and not minted by this tool on
// another host or for another user (two machines may share a display
// name; neither adopts, and so later revokes, the other's token). An
// error (wrapping ErrPendingRevocation) means the token must not be
// stored at all, as ours or otherwise: it is queued for revocation at
// some local address, and storing it again would undo a rotation.
func (h *Healer) adoptable(ctx context.Context, st store.State, info TokenInfo) (bool, error) {
	if err := h.notPending(ctx, st, info); err != nil {
		return false, err
	}
	return h.Spec.Ours(info) && !h.foreignMeta(info.Meta), nil
}

// ErrPendingRevocation: the token is queued for revocation (a rotation,
// an adoption or an erase replaced it); it is never stored again.
var ErrPendingRevocation = errors.New("token is queued for revocation")

// notPending is nil unless info's accessor is pending at this address
// or at another local one.
func (h *Healer) notPending(ctx context.Context, st store.State, info TokenInfo) error {
	acc := info.Accessor
	if acc == "" {
		return nil
	}
	isIt := func(p store.Pending) bool { return p.Accessor == acc }
	if i := slices.IndexFunc(st.Pending, isIt); i >= 0 {
		return fmt.Errorf("%w: %s (accessor %s) was %s; it is revoked when its grace ends", ErrPendingRevocation, info.DisplayName, acc, st.Pending[i].Reason)
	}
	states, errs := h.Files.List()
	for _, err := range errs {
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "list the store for the adoption rule", "error", err.Error())
	}
	for _, o := range states {
		if o.Key() != h.Key && slices.ContainsFunc(o.Pending, isIt) {
			return fmt.Errorf("%w: %s (accessor %s) is pending revocation at %s", ErrPendingRevocation, info.DisplayName, acc, o.Key())
		}
	}
	return nil
}

// refusePending refuses to store a token queued for revocation: as a
// weak login is refused (a *RefusedError) while a valid periodic token
// is stored, otherwise with cause; nothing stored changes either way.
func (h *Healer) refusePending(ctx context.Context, st store.State, info TokenInfo, cause error, res Result) (Result, error) {
	h.log(ctx, slog.LevelWarn, EventRefused, "login_accessor", info.Accessor, "login_display_name", info.DisplayName, "cause", cause.Error())
	if _, valid, err := h.storedValid(ctx, st); err == nil && valid {
		res.Event, res.Accessor = EventRefused, st.Current.Accessor
		return res, &RefusedError{Login: info, Kept: *st.Current, Cause: cause, CLI: h.CLI}
	}
	return res, fmt.Errorf("%w; nothing stored: log in with an admin method (%s login -method=oidc)", cause, h.cli())
}

// cannotMintError is Vault's refusal of a mint (403 or 400), which the
// callers of mint turn into a refusal, a passthrough or a DRIFT.
type cannotMintError struct{ err error }

func (e *cannotMintError) Error() string { return e.err.Error() }
func (e *cannotMintError) Unwrap() error { return e.err }

// authorities lists the tokens whose authority may repair or sweep:
// the stored periodic token first, then the given ones.
func authorities(st store.State, more ...string) []string {
	var out []string
	if st.Current != nil && st.Current.Source.Periodic() {
		out = append(out, st.Current.Token)
	}
	for _, t := range more {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func (h *Healer) adopt(ctx context.Context, sess *store.Session, st store.State, incoming string, info TokenInfo, res Result) (Result, error) {
	old := st.Current
	st.Current = h.tokenRecord(incoming, info, store.SourceAdopted, h.Spec.WithDefaults().RequiredPolicy)
	st.LastLogin = h.lastLogin(EventAdopted, info.Accessor)
	if old != nil && old.Source.Periodic() && old.Accessor != info.Accessor {
		st.AddPending(store.Pending{Accessor: old.Accessor, DisplayName: old.DisplayName,
			Reason: "replaced by adopted " + info.Accessor, Since: h.now(), RevokeAfter: h.graceEnd()})
		res.Replaced, res.RevokeAfter = old.Accessor, h.graceEnd()
	}
	if err := sess.Save(st); err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "save", "error", err.Error())
		return res, err
	}
	h.log(ctx, slog.LevelInfo, EventAdopted, "accessor", info.Accessor, "display_name", info.DisplayName, "policies", info.Policies)
	res.Event, res.Accessor = EventAdopted, info.Accessor
	res.Warnings = append(res.Warnings, h.syncMirror(ctx, st, "")...)
	_, warn, _ := h.sweep(ctx, sess, st, authorities(st), false)
	res.Warnings = append(res.Warnings, warn...)
	return res, nil
}

// lastLogin records what a login (or rotate, adopt) did, for status.
func (h *Healer) lastLogin(event, accessor string) *store.Login {
	return &store.Login{Time: h.now().UTC(), Event: event, Accessor: accessor}
}

// graceEnd is when a token replaced now may be revoked: RotateGrace from
// now, or the zero time (at once).
func (h *Healer) graceEnd() time.Time {
	if h.RotateGrace <= 0 {
		return time.Time{}
	}
	return h.now().Add(h.RotateGrace).UTC()
}

func (h *Healer) tokenRecord(token string, info TokenInfo, src store.Source, required string) *store.Token {
	return &store.Token{
		Token:            token,
		Accessor:         info.Accessor,
		DisplayName:      info.DisplayName,
		Policies:         info.Policies,
		IdentityPolicies: info.IdentityPolicies,
		Source:           src,
		RequiredPolicy:   required,
		Period:           store.Duration(info.Period),
		StoredAt:         h.now().UTC(),
		ExpireTime:       info.ExpireTime,
		TLS:              h.TLS,
	}
}

// storedValid reports whether the stored token is a periodic token of
// ours that Vault still accepts. An unreachable Vault is an error.
func (h *Healer) storedValid(ctx context.Context, st store.State) (TokenInfo, bool, error) {
	cur := st.Current
	if cur == nil || !cur.Source.Periodic() {
		return TokenInfo{}, false, nil
	}
	info, err := h.Vault.LookupSelf(ctx, cur.Token)
	if errors.Is(err, ErrInvalidToken) {
		return info, false, nil
	}
	if err != nil {
		return info, false, err
	}
	if h.guardSpec(st).Ours(info) {
		return info, true, nil
	}
	if h.Recorded {
		return info, false, nil
	}
	// Still the token this tool stored, under the guard it was stored with:
	// a config change must not let a weak login drop a live periodic token.
	return info, RecordedSpec(cur).Ours(info), nil
}

// cannotMint handles a login token that cannot mint: refuse it while a
// valid periodic token is stored, otherwise keep it as it is.
func (h *Healer) cannotMint(ctx context.Context, sess *store.Session, st store.State, incoming string, info TokenInfo, cause error, res Result) (Result, error) {
	_, valid, err := h.storedValid(ctx, st)
	if err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "check the stored token", "error", err.Error())
		return res, fmt.Errorf("the login token cannot mint (%v) and the stored token could not be checked: %w", cause, err)
	}
	if valid {
		h.log(ctx, slog.LevelWarn, EventRefused, "login_display_name", info.DisplayName, "login_policies", info.Policies,
			"login_accessor", info.Accessor, "kept_accessor", st.Current.Accessor, "cause", cause.Error())
		res.Event, res.Accessor = EventRefused, st.Current.Accessor
		return res, &RefusedError{Login: info, Kept: *st.Current, Cause: cause, CLI: h.CLI}
	}
	old := st.Current
	st.Current = h.tokenRecord(incoming, info, store.SourcePassthrough, "")
	st.LastLogin = h.lastLogin(EventPassthrough, info.Accessor)
	if err := sess.Save(st); err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "save", "error", err.Error())
		return res, err
	}
	attrs := []any{"accessor", info.Accessor, "display_name", info.DisplayName, "policies", info.Policies, "cause", cause.Error()}
	if old != nil {
		attrs = append(attrs, "replaced_accessor", old.Accessor)
	}
	h.log(ctx, slog.LevelWarn, EventPassthrough, attrs...)
	res.Event, res.Accessor = EventPassthrough, info.Accessor
	res.Warnings = append(res.Warnings, h.syncMirror(ctx, st, "")...)
	return res, nil
}

// RefusedError is the refusal of a weak login token. It wraps
// ErrWeakToken and names both tokens by display name and accessor.
type RefusedError struct {
	Login TokenInfo
	Kept  store.Token
	Cause error
	CLI   string // the CLI named in what to do ("" is vault)
}

// cliName is the CLI a message names: "vault" unless cli is "bao".
func cliName(cli string) string {
	if cli == "bao" {
		return "bao"
	}
	return "vault"
}

// cli is the CLI that ran the helper, for messages.
func (h *Healer) cli() string { return cliName(h.CLI) }

func (e *RefusedError) Error() string {
	if errors.Is(e.Cause, ErrPendingRevocation) {
		return fmt.Sprintf("refused to store the token %s (accessor %s): %v; keeping periodic token %s (accessor %s)",
			e.Login.DisplayName, e.Login.Accessor, e.Cause, e.Kept.DisplayName, e.Kept.Accessor)
	}
	cli := cliName(e.CLI)
	return fmt.Sprintf("refused to store the login token %s (policies %v): it cannot mint a periodic token (%v); keeping periodic token %s (accessor %s); to use the login token once, run `%s login -no-store` and pass it as %s_TOKEN",
		e.Login.DisplayName, e.Login.Policies, e.Cause, e.Kept.DisplayName, e.Kept.Accessor, cli, strings.ToUpper(cli))
}

// Unwrap makes errors.Is(err, ErrWeakToken) true, and
// errors.Is(err, ErrPendingRevocation) for a token queued for revocation.
func (e *RefusedError) Unwrap() []error {
	if errors.Is(e.Cause, ErrPendingRevocation) {
		return []error{ErrWeakToken, e.Cause}
	}
	return []error{ErrWeakToken}
}

// Adopt is the `adopt` verb: it stores incoming only when it is a
// periodic token of ours; it never mints. That includes the token stored
// already as passed through (kept by setup from ~/.vault-token, or a
// first login), which becomes the adopted periodic token once the
// configuration matches it: `vault-token-helper adopt < ~/.vault-token`,
// the command setup prints, takes it over. A replaced periodic token
// stays valid for RotateGrace, as in a rotation.
func (h *Healer) Adopt(ctx context.Context, incoming string) (Result, error) {
	sess, st, err := h.lock(ctx)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()
	if st.Current != nil && st.Current.Token == incoming && st.Current.Source.Periodic() {
		return Result{Event: EventUnchanged, Accessor: st.Current.Accessor}, nil
	}
	info, err := h.Vault.LookupSelf(ctx, incoming)
	if err != nil {
		return Result{}, fmt.Errorf("check the token: %w", err)
	}
	if err := h.notPending(ctx, st, info); err != nil {
		return h.refusePending(ctx, st, info, err, Result{})
	}
	if !h.Spec.Ours(info) {
		return Result{}, fmt.Errorf("%w: %s (accessor %s): %s; nothing stored", ErrNotOurs, info.DisplayName, info.Accessor, h.Spec.WhyNotOurs(info))
	}
	return h.adopt(ctx, sess, st, incoming, info, Result{})
}
