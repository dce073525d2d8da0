package helper

// rotate: a successor of the stored periodic token.

import (
	"context"
	"fmt"
	"io"
	"time"
)

// rotate is `vault-token-helper rotate`: a new periodic token minted with
// the stored one's authority; the old one revoked after rotate_grace.
func rotate(ctx context.Context, stderr io.Writer, env Env) int {
	// The bound holds from here: setup (config, log, store) never blocks.
	ctx, cancel := context.WithTimeout(ctx, env.operationBound())
	defer cancel()
	s, err := newSetup(env, stderr, "rotate", false)
	if err != nil {
		return fail(stderr, "rotate: nothing changed: ", err)
	}
	defer s.close()
	res, err := s.healer.Rotate(ctx)
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(w))
	}
	if err != nil {
		return fail(stderr, "rotate: ", withHint(err))
	}
	when := "revoked at once"
	if !res.RevokeAfter.IsZero() {
		when = "stays valid until " + res.RevokeAfter.Format(time.RFC3339) + ", then the first sweep (vault-token-renew or a login) revokes it"
	}
	fmt.Fprintf(stderr, "vault-token-helper: rotated: new periodic token (accessor %s); the old one (accessor %s) %s\n", res.Accessor, res.Replaced, when)
	return ExitOK
}
