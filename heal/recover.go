package heal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// recover finishes or undoes what an interrupted mint left in the
// journal, with the first of auth allowed to. A token minted and never
// stored is revoked; an intent whose answer never arrived is looked up
// by its intent ID among all tokens (which needs list on
// auth/token/accessors) and revoked when found. Entries it cannot settle
// stay for the next run. The state is saved when it changed.
func (h *Healer) recover(ctx context.Context, sess *store.Session, st store.State, auth []string) (store.State, []string) {
	if len(st.Journal) == 0 {
		return st, nil
	}
	// Recovery has its own budget: on a Vault with many tokens the scan for
	// an intent may not finish, and the operation must still run.
	budget := h.RecoveryBudget
	if budget <= 0 {
		budget = DefaultRecoveryBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var warnings []string
	var keep []store.Intent
	for _, in := range st.Journal {
		switch {
		case in.Accessor != "" && st.Current != nil && st.Current.Accessor == in.Accessor:
			// It was stored: the mint completed.
			h.log(ctx, slog.LevelInfo, EventRecovered, "intent_id", in.ID, "accessor", in.Accessor, "outcome", "completed")
		case in.Accessor != "":
			err := h.revokeAccessor(ctx, auth, in.Accessor)
			if errors.Is(err, ErrHeldElsewhere) {
				h.log(ctx, slog.LevelInfo, EventSpared, "intent_id", in.ID, "accessor", in.Accessor, "reason", err.Error())
				continue
			}
			if err != nil && !errors.Is(err, ErrUnknownAccessor) {
				keep = append(keep, in)
				warnings = append(warnings, fmt.Sprintf("could not revoke token %s minted by an interrupted run: %v", in.Accessor, err))
				h.log(ctx, slog.LevelWarn, EventWarn, "op", "recover", "intent_id", in.ID, "accessor", in.Accessor, "error", err.Error())
				continue
			}
			h.log(ctx, slog.LevelInfo, EventRecovered, "intent_id", in.ID, "accessor", in.Accessor, "outcome", "revoked unstored token")
		default:
			found, err := h.findByMeta(ctx, auth, func(info TokenInfo) bool { return info.Meta["intent_id"] == in.ID })
			if err != nil {
				keep = append(keep, in)
				warnings = append(warnings, fmt.Sprintf("could not look for the token of an interrupted mint (intent %s): %v", in.ID, err))
				h.log(ctx, slog.LevelWarn, EventWarn, "op", "recover", "intent_id", in.ID, "error", err.Error())
				continue
			}
			failed := false
			for _, acc := range found {
				if st.Current != nil && acc == st.Current.Accessor {
					continue
				}
				if err := h.revokeAccessor(ctx, auth, acc); errors.Is(err, ErrHeldElsewhere) {
					h.log(ctx, slog.LevelInfo, EventSpared, "intent_id", in.ID, "accessor", acc, "reason", err.Error())
					continue
				} else if err != nil && !errors.Is(err, ErrUnknownAccessor) {
					failed = true
					warnings = append(warnings, fmt.Sprintf("could not revoke token %s minted by an interrupted run: %v", acc, err))
					continue
				}
				h.log(ctx, slog.LevelInfo, EventRecovered, "intent_id", in.ID, "accessor", acc, "outcome", "revoked unstored token")
			}
			if failed {
				keep = append(keep, in)
				continue
			}
			if len(found) == 0 {
				h.log(ctx, slog.LevelInfo, EventRecovered, "intent_id", in.ID, "outcome", "nothing was minted")
			}
		}
	}
	st.Journal = keep
	if err := sess.Save(st); err != nil {
		warnings = append(warnings, "could not save the journal: "+err.Error())
	}
	if u := Unsettled(st); u != "" {
		warnings = append(warnings, u)
	}
	return st, warnings
}

// Unsettled says, in one line ending with the command that settles it,
// that st's journal holds interrupted mints: each may have left a live
// admin token that nothing here records. "" when the journal is empty.
// status shows it as a reason to be unhealthy, renew as an ERROR, store
// and erase as a warning after their recovery.
func Unsettled(st store.State) string {
	if len(st.Journal) == 0 {
		return ""
	}
	return fmt.Sprintf("%d interrupted mint(s) not settled: Vault may hold a live token one of them minted that nothing here records; %s",
		len(st.Journal), settleRemedy(st))
}

// settleRemedy is what settles the journal of st: a recovery with the
// authority of a token that may list accessors (auth/token/accessors)
// and revoke. The stored periodic token is one, which renew uses; with
// none stored only a login hands the tool one.
func settleRemedy(st store.State) string {
	if st.Current != nil && st.Current.Source.Periodic() {
		return "the next renew (run `vault-token-renew` now) or admin login (`vault login -method=oidc`) looks for it with its authority (list on auth/token/accessors) and revokes it"
	}
	return "log in with an admin method (`vault login -method=oidc`): the login looks for it with its authority (list on auth/token/accessors) and revokes it; nothing stored here has the authority to"
}

// findByMeta lists every token (with the first authority allowed to) and
// returns the accessors of those match accepts.
func (h *Healer) findByMeta(ctx context.Context, auth []string, match func(TokenInfo) bool) ([]string, error) {
	var found []string
	_, err := h.scan(ctx, auth, func(acc string, info TokenInfo) {
		if match(info) {
			found = append(found, acc)
		}
	})
	return found, err
}

// scan calls fn for every live token, looked up by accessor with the
// first authority that may list accessors. It returns how many it
// looked at.
func (h *Healer) scan(ctx context.Context, auth []string, fn func(accessor string, info TokenInfo)) (int, error) {
	var accs []string
	var authority string
	var err error = errors.New("no token to list accessors with")
	for _, a := range auth {
		accs, err = h.Vault.ListAccessors(ctx, a)
		if err == nil {
			authority = a
			break
		}
		if !errors.Is(err, ErrDenied) && !errors.Is(err, ErrInvalidToken) {
			return 0, err
		}
	}
	if err != nil {
		return 0, err
	}
	looked := 0
	for _, acc := range accs {
		info, err := h.Vault.LookupAccessor(ctx, authority, acc)
		if errors.Is(err, ErrUnknownAccessor) {
			continue // revoked or expired since the list
		}
		if err != nil {
			return looked, err
		}
		looked++
		fn(acc, info)
	}
	return looked, nil
}
