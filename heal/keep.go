package heal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// ErrStoredAlready: KeepTokenUnchecked's check found another token
// stored for the address and left both alone.
var ErrStoredAlready = errors.New("another token is stored for the address")

// KeepResult is what KeepToken did with a token found in ~/.vault-token.
type KeepResult struct {
	Result
	// Info is what Vault said of the token; zero when it was not asked.
	Info TokenInfo
	// WhyNotOurs says why a periodic token is not ours under the current
	// configuration ("" when it is ours or not periodic): a config edit
	// and `vault-token-helper adopt` would take it over.
	WhyNotOurs string
}

// KeepToken is setup's answer to "the Vault CLI is about to ask the helper
// instead of reading ~/.vault-token": the token in that file must stay
// usable. A periodic token of ours is adopted; any other token Vault
// accepts is stored as a passed-through token, exactly as a first login
// that cannot mint would be (never renewed, never revoked, never
// mirrored; the next admin login mints the periodic token). KeepToken
// never mints, even with a token that could: setup is not a login. That
// includes a root token: unlike a root login, which mints and is never
// stored, it stays usable, since ~/.vault-token holds it anyway. When a valid
// periodic token is stored already, the store is refused as a weak
// login's would be (a *RefusedError) and the CLI goes on with that token.
// An error from Vault (ErrInvalidToken, ErrUnavailable...) changes
// nothing.
func (h *Healer) KeepToken(ctx context.Context, token string) (KeepResult, error) {
	sess, st, warn, err := h.begin(ctx)
	if err != nil {
		return KeepResult{}, err
	}
	defer sess.Close()
	var res KeepResult
	res.Warnings = append(res.Warnings, warn...)
	if st.Current != nil && st.Current.Token == token {
		res.Event, res.Accessor = EventUnchanged, st.Current.Accessor
		return res, nil
	}
	info, err := h.Vault.LookupSelf(ctx, token)
	if err != nil {
		return res, fmt.Errorf("check the token in ~/.vault-token: %w", err)
	}
	res.Info = info
	ok, err := h.adoptable(ctx, st, info)
	if err != nil {
		r, err := h.refusePending(ctx, st, info, err, res.Result)
		res.Result = r
		return res, err
	}
	if ok {
		r, err := h.adopt(ctx, sess, st, token, info, res.Result)
		res.Result = r
		return res, err
	}
	if info.Period > 0 {
		res.WhyNotOurs = h.Spec.WhyNotOurs(info)
	}
	r, err := h.cannotMint(ctx, sess, st, token, info, errors.New("kept from ~/.vault-token by setup; not a login"), res.Result)
	res.Result = r
	return res, err
}

// KeepTokenUnchecked stores token as passed through without asking Vault,
// for setup when Vault cannot be reached or no address is set, and only
// when nothing is stored for the address (ErrStoredAlready otherwise).
//
// It is safe because a passed-through token is only ever handed back to
// the CLI for this address, which is what the CLI's built-in helper did
// with the same file: it is never renewed unless Vault later says it is
// ours, never revoked (only minted tokens are), never mirrored, and the
// first login replaces it. Its record has no accessor, display name or
// policies, since nobody asked Vault.
func (h *Healer) KeepTokenUnchecked(ctx context.Context, token string) (Result, error) {
	sess, st, err := h.lock(ctx)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()
	if st.Current != nil {
		if st.Current.Token == token {
			return Result{Event: EventUnchanged, Accessor: st.Current.Accessor}, nil
		}
		return Result{}, fmt.Errorf("%w: %s (%s, accessor %s)", ErrStoredAlready, h.Key, st.Current.Source, st.Current.Accessor)
	}
	st.Current = &store.Token{Token: token, Source: store.SourcePassthrough, StoredAt: h.now().UTC()}
	if err := sess.Save(st); err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "save", "error", err.Error())
		return Result{}, err
	}
	h.log(ctx, slog.LevelWarn, EventPassthrough, "accessor", "", "cause", "kept from ~/.vault-token by setup without Vault's check")
	return Result{Event: EventPassthrough}, nil
}
