package heal

// Revocation: the sweep of replaced tokens and the one guard every
// revocation passes (mayRevoke).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// sweep revokes the pending tokens whose grace is over (all of them when
// force) with the first authority that may. It never revokes the current
// token, nor one another local address holds as current (it drops those:
// spared). It saves the state when it changed and returns it.
func (h *Healer) sweep(ctx context.Context, sess *store.Session, st store.State, auth []string, force bool) (store.State, []string, []string) {
	if len(st.Pending) == 0 {
		return st, nil, nil
	}
	var warnings, spared []string
	var keep []store.Pending
	changed := false
	for _, p := range st.Pending {
		if st.Current != nil && p.Accessor == st.Current.Accessor {
			changed = true // never revoke the current token
			continue
		}
		if !force && !p.Due(h.now()) {
			keep = append(keep, p) // still in its grace
			continue
		}
		var err error
		if p.Token != "" {
			// An erased token revokes itself; one Vault no longer knows
			// is gone already.
			if err = h.revokeSelf(ctx, p.Token, p.Accessor); errors.Is(err, ErrInvalidToken) {
				err = nil
			}
		} else {
			err = h.revokeAccessor(ctx, auth, p.Accessor)
		}
		if errors.Is(err, ErrHeldElsewhere) {
			changed = true
			spared = append(spared, p.Accessor)
			h.log(ctx, slog.LevelInfo, EventSpared, "accessor", p.Accessor, "display_name", p.DisplayName, "reason", err.Error())
			continue
		}
		if err == nil || errors.Is(err, ErrUnknownAccessor) {
			changed = true
			h.log(ctx, slog.LevelInfo, EventRevoked, "accessor", p.Accessor, "display_name", p.DisplayName, "reason", p.Reason)
			continue
		}
		p.Attempts++
		p.LastError = err.Error()
		keep = append(keep, p)
		changed = true
		warnings = append(warnings, fmt.Sprintf("could not revoke stale token %s: %v", p.Accessor, err))
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "revoke stale token", "accessor", p.Accessor, "error", err.Error())
	}
	if !changed {
		return st, nil, nil
	}
	st.Pending = keep
	if err := sess.Save(st); err != nil {
		warnings = append(warnings, "could not save after the sweep: "+err.Error())
	}
	return st, warnings, spared
}

// ErrHeldElsewhere: the revocation guard spared a token another local
// address holds (two keys can name one Vault: 127.0.0.1 and localhost).
var ErrHeldElsewhere = errors.New("held by another local address")

// ErrUnattributed: the revocation guard spared a token --scan found
// that no metadata attributes to this installation (made by hand and
// perhaps adopted by another installation, minted by another
// installation, or for another address); a scan revokes it only when
// the user names it (--revoke ACCESSOR).
var ErrUnattributed = errors.New("no metadata attributes it to this installation")

// revocation is what the revocation guard is told of a token to revoke.
type revocation struct {
	accessor string
	// found is the token's lookup when --scan found it: no address
	// recorded it, so only its metadata can say it is this
	// installation's. nil for a recorded revocation (pending, journaled,
	// the stored token, a login token).
	found *TokenInfo
	// named: the user named the accessor (--revoke), which stands in for
	// the metadata.
	named bool
}

// recorded is the revocation of a token some record of this address
// names (pending, journal, the stored token, the login).
func recorded(accessor string) revocation { return revocation{accessor: accessor} }

// mayRevoke is the one revocation guard, passed by every revocation
// (sweep, rotation, erase, recovery, undo, revoke_login_token, --scan):
// nil when the token may be revoked; an error wrapping ErrHeldElsewhere
// when another local address holds it as its current token. A token
// --scan found (r.found), which no address recorded, is also spared when
// another address has it pending or journaled (that address settles
// those), and, unless the user named it, when no metadata attributes it
// to this installation (ErrUnattributed).
func (h *Healer) mayRevoke(ctx context.Context, r revocation) error {
	if r.accessor == "" {
		return nil
	}
	scanned := r.found != nil
	states, errs := h.Files.List()
	for _, err := range errs {
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "list the store for the revocation guard", "error", err.Error())
	}
	for _, st := range states {
		if st.Key() == h.Key {
			continue
		}
		how := ""
		switch {
		case st.Current != nil && st.Current.Accessor == r.accessor:
			how = "current"
		case !scanned:
		case slices.ContainsFunc(st.Pending, func(p store.Pending) bool { return p.Accessor == r.accessor }):
			how = "pending"
		case slices.ContainsFunc(st.Journal, func(in store.Intent) bool { return in.Accessor == r.accessor }):
			how = "journaled"
		}
		if how != "" {
			return fmt.Errorf("%w: %s holds %s as its %s token", ErrHeldElsewhere, st.Key(), r.accessor, how)
		}
	}
	if scanned && !r.named {
		if why := h.unattributed(r.found.Meta); why != "" {
			return fmt.Errorf("%w: %s", ErrUnattributed, why)
		}
	}
	return nil
}

// unattributed says why a token's metadata does not attribute it to this
// installation and this address, or "" when it does: created by this
// tool with this installation's id (or, minted before install ids, on
// this host for this user), for this address.
func (h *Healer) unattributed(meta map[string]string) string {
	switch {
	case meta["created_by"] != "vault-token-helper":
		return "it carries no metadata of vault-token-helper (made by hand, and perhaps adopted by another installation)"
	case h.foreignMeta(meta):
		return "its metadata says another installation (or another host or user) minted it"
	case meta["install_id"] == "" && (meta["host"] != h.Host || meta["user"] != h.User):
		return "its metadata names no installation, host and user"
	case otherAddress(meta, h.Key.Addr):
		return fmt.Sprintf("this installation minted it for %s", meta["address"])
	}
	return ""
}

// revokeSelf revokes token (with accessor) with its own authority, past
// the revocation guard.
func (h *Healer) revokeSelf(ctx context.Context, token, accessor string) error {
	if err := h.mayRevoke(ctx, recorded(accessor)); err != nil {
		return err
	}
	return h.Vault.RevokeSelf(ctx, token)
}

// revokeAccessor tries each authority in turn until one is allowed, past
// the revocation guard.
func (h *Healer) revokeAccessor(ctx context.Context, auth []string, accessor string) error {
	return h.revoke(ctx, auth, recorded(accessor))
}

// revoke is revokeAccessor for any revocation the guard is told of.
func (h *Healer) revoke(ctx context.Context, auth []string, r revocation) error {
	if err := h.mayRevoke(ctx, r); err != nil {
		return err
	}
	if len(auth) == 0 {
		return fmt.Errorf("no token with the authority to revoke accessor %s", r.accessor)
	}
	var err error
	for _, a := range auth {
		err = h.Vault.RevokeAccessor(ctx, a, r.accessor)
		if err == nil || errors.Is(err, ErrUnknownAccessor) || !errors.Is(err, ErrDenied) {
			return err
		}
	}
	return err
}
