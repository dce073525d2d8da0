package heal

// Rotate: a successor minted with the stored token's own authority.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
)

// ErrNothingToRotate: rotate needs a valid periodic token of ours.
var ErrNothingToRotate = errors.New("no periodic token to rotate")

// Rotate is `vault-token-helper rotate`: mint a successor of the stored
// periodic token with its own authority. The old one stays valid for
// RotateGrace; the first sweep after that revokes it.
func (h *Healer) Rotate(ctx context.Context) (Result, error) {
	sess, st, warn, err := h.begin(ctx)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()
	res := Result{Warnings: warn}
	cur := st.Current
	if cur == nil || !cur.Source.Periodic() {
		return res, fmt.Errorf("%w: none is stored for %s; log in with an admin method (%s login -method=oidc) first", ErrNothingToRotate, h.Key, h.cli())
	}
	info, err := h.Vault.LookupSelf(ctx, cur.Token)
	if err != nil {
		h.log(ctx, slog.LevelError, EventError, "op", "rotate: check the stored token", "accessor", cur.Accessor, "error", err.Error())
		return res, fmt.Errorf("check the stored token %s (accessor %s): %w", cur.DisplayName, cur.Accessor, err)
	}
	if !h.guardSpec(st).Ours(info) {
		return res, fmt.Errorf("%w: the stored token %s (accessor %s) is not ours (%s); log in with an admin method", ErrNothingToRotate, info.DisplayName, info.Accessor, h.guardSpec(st).WhyNotOurs(info))
	}
	spec, err := h.Spec.guarded(cur).ForLogin(info)
	if err != nil {
		return res, err
	}
	res, err = h.mint(ctx, sess, st, cur.Token, info, spec, res)
	var cm *cannotMintError
	if errors.As(err, &cm) {
		h.log(ctx, slog.LevelError, EventError, "op", "rotate", "accessor", cur.Accessor, "error", cm.err.Error())
		return res, fmt.Errorf("the stored token %s (accessor %s) may not mint its successor (%w); set rotate_on_login = true and log in with an admin method instead", cur.DisplayName, cur.Accessor, cm.err)
	}
	return res, err
}
