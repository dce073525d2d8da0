package heal

// The mint: journal the intent, ask Vault, journal the accessor, check
// the token against the drift guard, store it, tidy up; and its undo.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// Steps of a mint at which a test build can crash.
const (
	StepBeforeMint   = "before-mint"   // intent journaled, request not sent
	StepMintAnswered = "mint-answered" // Vault minted, the answer not yet journaled
	StepMintRecorded = "mint-recorded" // accessor journaled, token not checked
	StepChecked      = "checked"       // token checked, not yet stored
	StepStored       = "stored"        // stored, stale tokens not yet revoked
)

// mint runs a journaled mint with incoming's authority, in steps: journal
// the intent, ask Vault, journal the accessor, check the token against
// the drift guard, store it, then tidy up (mirror, sweep, login token).
func (h *Healer) mint(ctx context.Context, sess *store.Session, st store.State, incoming string, login TokenInfo, spec Spec, res Result) (Result, error) {
	st, intent, err := h.journalIntent(ctx, sess, st)
	if err != nil {
		return res, err
	}
	h.crash(StepBeforeMint)
	minted, err := h.Vault.CreateOrphan(ctx, incoming, h.mintRequest(spec, intent.ID))
	h.crash(StepMintAnswered)
	if err != nil {
		return res, h.mintFailed(ctx, sess, st, intent.ID, err)
	}
	st.Journal = setIntent(st.Journal, intent.ID, store.StepMinted, minted.Accessor)
	if err := sess.Save(st); err != nil {
		// Not journaled: undo now, while we still can.
		h.undoMint(ctx, sess, st, minted, incoming, intent.ID)
		return res, fmt.Errorf("minted token not stored: %w", err)
	}
	h.crash(StepMintRecorded)
	info, err := h.checkMinted(ctx, sess, st, minted, incoming, intent.ID, spec)
	if err != nil {
		return res, err
	}
	h.crash(StepChecked)
	prev := st.Current
	st, err = h.storeMinted(ctx, sess, st, minted, info, incoming, intent.ID, spec, res.replacedDead)
	if err != nil {
		return res, err
	}
	if prev != nil && prev.Source.Periodic() && prev.Accessor != "" && prev.Accessor != minted.Accessor {
		res.Replaced = prev.Accessor
		if !res.replacedDead {
			res.RevokeAfter = h.graceEnd()
		}
	}
	h.crash(StepStored)
	h.log(ctx, slog.LevelInfo, EventMinted, "accessor", info.Accessor, "display_name", info.DisplayName,
		"policies", info.Policies, "period", info.Period.String(),
		"login_accessor", login.Accessor, "login_display_name", login.DisplayName,
		"replaced_accessor", res.Replaced, "revoke_after", res.RevokeAfter)
	res.Event, res.Accessor = EventMinted, info.Accessor
	res.Warnings = append(res.Warnings, h.afterMint(ctx, sess, st, incoming, login)...)
	return res, nil
}

// journalIntent records, fsynced, that a mint is about to be asked for.
func (h *Healer) journalIntent(ctx context.Context, sess *store.Session, st store.State) (store.State, store.Intent, error) {
	intent := store.Intent{ID: h.NewID(), Step: store.StepMinting, Started: h.now().UTC(), PID: os.Getpid()}
	st.Journal = append(st.Journal, intent)
	if err := sess.Save(st); err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "journal", "error", err.Error())
		return st, intent, fmt.Errorf("nothing minted: %w", err)
	}
	return st, intent, nil
}

// mintRequest is what create-orphan is asked for: the spec, and metadata
// that names this host, user, address and intent.
func (h *Healer) mintRequest(spec Spec, intentID string) MintRequest {
	return MintRequest{
		Policies:    spec.Policies,
		Period:      spec.Period,
		DisplayName: spec.DisplayName,
		Meta: map[string]string{"created_by": "vault-token-helper", "host": h.Host, "user": h.User,
			"address": h.Key.Addr, "intent_id": intentID, "install_id": h.InstallID},
	}
}

// mintFailed settles the journal after create-orphan failed. An unknown
// outcome keeps the intent for the next run; Vault's refusal becomes a
// cannotMintError.
func (h *Healer) mintFailed(ctx context.Context, sess *store.Session, st store.State, intentID string, err error) error {
	if errors.Is(err, ErrOutcomeUnknown) {
		// Keep the intent: the next run looks for a token carrying its ID.
		h.log(ctx, slog.LevelError, EventError, "op", "create-orphan", "intent_id", intentID, "error", err.Error())
		return fmt.Errorf("mint: %w; Vault may have minted the token all the same: %s", err, settleRemedy(st))
	}
	st.Journal = dropIntent(st.Journal, intentID)
	if serr := sess.Save(st); serr != nil {
		return serr
	}
	if errors.Is(err, ErrDenied) {
		return &cannotMintError{err}
	}
	h.log(ctx, slog.LevelError, EventError, "op", "create-orphan", "error", err.Error())
	return fmt.Errorf("mint: %w", err)
}

// checkMinted looks the minted token up and holds it to the drift guard;
// a token that fails is revoked.
func (h *Healer) checkMinted(ctx context.Context, sess *store.Session, st store.State, minted Minted, incoming, intentID string, spec Spec) (TokenInfo, error) {
	info, err := lookupFresh(ctx, h.Vault, minted.Token)
	if err != nil {
		h.undoMint(ctx, sess, st, minted, incoming, intentID)
		h.log(ctx, slog.LevelError, EventError, "op", "lookup-self of the minted token", "accessor", minted.Accessor, "error", err.Error())
		return info, fmt.Errorf("check the minted token: %w", err)
	}
	if !spec.Ours(info) {
		h.undoMint(ctx, sess, st, minted, incoming, intentID)
		why := spec.WhyNotOurs(info)
		h.log(ctx, slog.LevelError, EventError, "op", "drift guard", "accessor", info.Accessor, "display_name", info.DisplayName,
			"policies", info.Policies, "error", why)
		return info, fmt.Errorf("%w: the minted token fails the drift guard (%s) and was revoked; check periodic_token in the config", ErrNotOurs, why)
	}
	return info, nil
}

// storeMinted stores the checked token and clears its intent in one
// atomic write; the replaced periodic token becomes pending.
func (h *Healer) storeMinted(ctx context.Context, sess *store.Session, st store.State, minted Minted, info TokenInfo, incoming, intentID string, spec Spec, oldDead bool) (store.State, error) {
	before := st // journal holds the minted accessor
	old := st.Current
	st.Current = h.tokenRecord(minted.Token, info, store.SourceMinted, spec.RequiredPolicy)
	st.LastLogin = h.lastLogin(EventMinted, minted.Accessor)
	st.Pending = slices.Clone(st.Pending)
	if old != nil && old.Source.Periodic() && old.Accessor != "" && old.Accessor != minted.Accessor {
		p := store.Pending{Accessor: old.Accessor, DisplayName: old.DisplayName,
			Reason: "replaced by " + minted.Accessor, Since: h.now().UTC(), RevokeAfter: h.graceEnd()}
		if oldDead {
			p.RevokeAfter = time.Time{}
		}
		st.AddPending(p)
	}
	st.Journal = dropIntent(st.Journal, intentID)
	if err := sess.Save(st); err != nil {
		// Back to the state before the attempt, journal included, so the
		// mint stays recorded until it is revoked.
		h.undoMint(ctx, sess, before, minted, incoming, intentID)
		h.log(ctx, slog.LevelError, EventError, "op", "save", "error", err.Error())
		return before, fmt.Errorf("minted token not stored, revoked it: %w", err)
	}
	return st, nil
}

// afterMint mirrors the new token, revokes the stale ones and, when
// configured, the login token. It returns warnings.
func (h *Healer) afterMint(ctx context.Context, sess *store.Session, st store.State, incoming string, login TokenInfo) []string {
	warnings := h.syncMirror(ctx, st, "")
	_, warn, _ := h.sweep(ctx, sess, st, authorities(st, incoming), false)
	warnings = append(warnings, warn...)
	return append(warnings, h.revokeLogin(ctx, incoming, login)...)
}

// revokeLogin revokes the login token when revoke_login_token asks for
// it and it is a token a login method issued. It returns warnings.
func (h *Healer) revokeLogin(ctx context.Context, incoming string, login TokenInfo) []string {
	if !h.RevokeLogin || !revocableLogin(login) {
		return nil
	}
	err := h.revokeSelf(ctx, incoming, login.Accessor)
	switch {
	case errors.Is(err, ErrHeldElsewhere):
		h.log(ctx, slog.LevelInfo, EventSpared, "accessor", login.Accessor, "reason", err.Error())
		return nil
	case err != nil && !errors.Is(err, ErrInvalidToken):
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "revoke login token", "login_accessor", login.Accessor, "error", err.Error())
		return []string{"could not revoke the login token: " + err.Error()}
	}
	h.log(ctx, slog.LevelInfo, EventRevoked, "accessor", login.Accessor, "display_name", login.DisplayName, "reason", "revoke_login_token")
	return nil
}

// revocableLogin: revoke_login_token applies only to a token a login
// method issued (auth/<method>/...), never to a root token or one the
// token store created (a CI token, a shared admin token).
func revocableLogin(login TokenInfo) bool {
	return strings.HasPrefix(login.Path, "auth/") && !strings.HasPrefix(login.Path, "auth/token/") && !login.HasPolicy("root")
}

// undoMint revokes a minted token that will not be stored. When the
// revocation fails, the journal keeps its accessor for the next run.
func (h *Healer) undoMint(ctx context.Context, sess *store.Session, st store.State, m Minted, authority, intentID string) store.State {
	err := h.revokeSelf(ctx, m.Token, m.Accessor)
	if err != nil && !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrHeldElsewhere) {
		err = h.revokeAccessor(ctx, []string{authority}, m.Accessor)
	}
	if errors.Is(err, ErrHeldElsewhere) {
		st.Journal = dropIntent(st.Journal, intentID)
		h.log(ctx, slog.LevelInfo, EventSpared, "accessor", m.Accessor, "reason", err.Error())
	} else if err == nil || errors.Is(err, ErrUnknownAccessor) || errors.Is(err, ErrInvalidToken) {
		st.Journal = dropIntent(st.Journal, intentID)
		h.log(ctx, slog.LevelInfo, EventRevoked, "accessor", m.Accessor, "reason", "minted but not stored")
	} else {
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "revoke unstored mint", "accessor", m.Accessor, "error", err.Error())
	}
	if serr := sess.Save(st); serr != nil {
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "save journal", "error", serr.Error())
	}
	return st
}

func dropIntent(j []store.Intent, id string) []store.Intent {
	return slices.DeleteFunc(slices.Clone(j), func(i store.Intent) bool { return i.ID == id })
}

func setIntent(j []store.Intent, id, step, accessor string) []store.Intent {
	j = slices.Clone(j)
	for i := range j {
		if j[i].ID == id {
			j[i].Step, j[i].Accessor = step, accessor
		}
	}
	return j
}
