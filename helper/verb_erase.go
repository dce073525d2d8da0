package helper

// erase: forget the stored token.

import (
	"context"
	"fmt"
	"io"

	"github.com/vault-token-helper/vault-token-helper/store"
)

func erase(ctx context.Context, stderr io.Writer, env Env) int {
	// The bound holds from here: setup (config, log, store) never blocks.
	ctx, cancel := context.WithTimeout(ctx, env.operationBound())
	defer cancel()
	s, err := newSetup(env, stderr, "erase", true)
	if err != nil {
		return fail(stderr, "erase: nothing changed: ", err)
	}
	defer s.close()
	minted := false
	states, _ := s.healer.Files.List()
	for _, st := range states {
		if st.Key() == s.key && st.Current != nil {
			minted = st.Current.Source == store.SourceMinted
		}
	}
	res, err := s.healer.Erase(ctx)
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(w))
	}
	if err != nil {
		return fail(stderr, "erase: nothing stored changed: ", withHint(err))
	}
	switch {
	case res.Accessor == "":
		fmt.Fprintf(stderr, "vault-token-helper: nothing was stored for %s; nothing changed\n", s.key)
	case minted && len(res.Warnings) == 0:
		fmt.Fprintf(stderr, "vault-token-helper: erased and revoked the periodic token (accessor %s) of %s\n", res.Accessor, s.key)
	default:
		fmt.Fprintf(stderr, "vault-token-helper: erased the token (accessor %s) of %s\n", res.Accessor, s.key)
	}
	return ExitOK
}
