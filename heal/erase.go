package heal

// Erase: forget the stored token, revoking it when this tool minted it.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// Erase is the `erase` verb: forget the stored token, revoking it when
// this tool minted it.
func (h *Healer) Erase(ctx context.Context) (Result, error) {
	sess, st, warn, err := h.begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()
	res := Result{Warnings: warn}

	cur := st.Current
	if cur == nil {
		res.Event = EventErased
		h.log(ctx, slog.LevelInfo, EventErased, "accessor", "", "note", "nothing stored")
		return res, nil
	}
	// Sweep with the erased token's authority while we still have it;
	// a logout ends every grace.
	st, warn, _ = h.sweep(ctx, sess, st, authorities(st), true)
	res.Warnings = append(res.Warnings, warn...)

	// Forget first, keeping the accessor as pending: a failure after this
	// point never leaves a revoked token stored.
	st.Current = nil
	if cur.Source == store.SourceMinted {
		st.AddPending(store.Pending{Accessor: cur.Accessor, DisplayName: cur.DisplayName,
			Reason: "erased", Since: h.now().UTC()})
	}
	if err := sess.Save(st); err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "save", "error", err.Error())
		return res, err
	}
	revoked := false
	if cur.Source == store.SourceMinted {
		err := h.revokeSelf(ctx, cur.Token, cur.Accessor)
		switch {
		case errors.Is(err, ErrHeldElsewhere):
			st.Pending = slices.DeleteFunc(slices.Clone(st.Pending), func(p store.Pending) bool { return p.Accessor == cur.Accessor })
			if err := sess.Save(st); err != nil {
				res.Warnings = append(res.Warnings, "could not save: "+err.Error())
			}
			h.log(ctx, slog.LevelInfo, EventSpared, "accessor", cur.Accessor, "reason", err.Error())
			res.Warnings = append(res.Warnings, fmt.Sprintf("did not revoke the erased token (accessor %s): %v", cur.Accessor, err))
		case err == nil, errors.Is(err, ErrInvalidToken):
			revoked = true
			st.Pending = slices.DeleteFunc(slices.Clone(st.Pending), func(p store.Pending) bool { return p.Accessor == cur.Accessor })
			if err := sess.Save(st); err != nil {
				res.Warnings = append(res.Warnings, "could not save after revoking: "+err.Error())
			}
			h.log(ctx, slog.LevelInfo, EventRevoked, "accessor", cur.Accessor, "display_name", cur.DisplayName, "reason", "erased")
		default:
			// Kept pending with the token itself, which can revoke itself
			// when Vault answers again: nothing else stored may have the
			// authority.
			for i := range st.Pending {
				if st.Pending[i].Accessor == cur.Accessor {
					st.Pending[i].Attempts, st.Pending[i].LastError = 1, err.Error()
					st.Pending[i].Token = cur.Token
				}
			}
			if serr := sess.Save(st); serr != nil {
				res.Warnings = append(res.Warnings, "could not save: "+serr.Error())
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("could not revoke the erased token (accessor %s): %v; its revocation is pending: the next vault-token-renew or `%s login` retries it (status lists it until then)", cur.Accessor, err, h.cli()))
			h.log(ctx, slog.LevelWarn, EventWarn, "op", "revoke erased token", "accessor", cur.Accessor, "error", err.Error())
		}
	}
	h.log(ctx, slog.LevelInfo, EventErased, "accessor", cur.Accessor, "display_name", cur.DisplayName, "source", string(cur.Source), "revoked", revoked)
	res.Event, res.Accessor = EventErased, cur.Accessor
	res.Warnings = append(res.Warnings, h.syncMirror(ctx, st, cur.Token)...)
	return res, nil
}
