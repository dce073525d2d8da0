package helper

// store and adopt: a token on stdin, kept as heal decides.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
)

func storeVerb(ctx context.Context, verb string, stdin io.Reader, stderr io.Writer, env Env) int {
	// The bound holds from here, the read of stdin included: setup
	// (config, log, store) never blocks.
	bound := env.operationBound()
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	tok, err := readTokenWithin(ctx, stdin, bound)
	if err != nil {
		return fail(stderr, verb+": nothing changed: ", err)
	}
	env.red.Add(tok, "")
	if verb == "store" && caller.DevServer(callerOf(env, verb)) {
		return devServerStore(stderr, env)
	}
	s, err := newSetup(env, stderr, verb, false)
	if err != nil {
		return fail(stderr, verb+": nothing changed: ", err)
	}
	defer s.close()
	var res heal.Result
	if verb == "adopt" {
		res, err = s.healer.Adopt(ctx, tok)
	} else {
		res, err = s.healer.Store(ctx, tok)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(w))
	}
	if err == nil && verb == "store" {
		fmt.Fprintln(stderr, inUseLine(s, res, env.Now()))
	}
	if err != nil {
		var refused *heal.RefusedError
		if errors.As(err, &refused) {
			return fail(stderr, "", err)
		}
		return fail(stderr, verb+": nothing stored changed: ", withHint(err))
	}
	if verb == "adopt" {
		what := "adopted the periodic token"
		if res.Event == heal.EventUnchanged {
			what = "nothing changed: already stored is the periodic token"
		}
		fmt.Fprintf(stderr, "vault-token-helper: %s (accessor %s) for %s\n", what, res.Accessor, s.key)
	}
	return ExitOK
}

// readTokenWithin is ReadToken inside the operation's bound: ctx, whose
// deadline is bound from now. A stdin that never reaches its end
// (`sleep 70 | vault-token-helper store`) ends the command when ctx
// does, with an error saying what to do; the read goes on in a
// goroutine that the process's exit ends.
func readTokenWithin(ctx context.Context, stdin io.Reader, bound time.Duration) (string, error) {
	type read struct {
		tok string
		err error
	}
	done := make(chan read, 1)
	go func() {
		tok, err := ReadToken(stdin)
		done <- read{tok, err}
	}()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%w: stdin was not closed within %s (the bound of a store); whatever runs this must write the token and close stdin, as the vault CLI does", ErrBadToken, bound)
		}
		return "", fmt.Errorf("%w: stdin was not closed: %w", ErrBadToken, ctx.Err())
	}
}

// inUseLine is store's one line on success: which token the CLI uses
// from now on, by display name, accessor and TTL. `vault login` prints
// the login token it got, whatever the helper kept.
func inUseLine(s *setup, res heal.Result, now time.Time) string {
	name, ttl := "", res.TTL
	if st, err := s.healer.Files.Peek(s.key); err == nil && st.Current != nil && st.Current.Accessor == res.Accessor {
		name = st.Current.DisplayName + " "
		if res.Event != heal.EventKept {
			ttl = st.Current.ExpireTime.Sub(now).Round(time.Second)
			if st.Current.ExpireTime.IsZero() {
				ttl = 0
			}
		}
	}
	life := "ttl " + ttl.String()
	if ttl <= 0 {
		life = "no expiry"
	}
	tok := fmt.Sprintf("%s(accessor %s, %s)", name, res.Accessor, life)
	var what string
	switch res.Event {
	case heal.EventMinted:
		what = "now uses the periodic token " + tok + ", just minted; the login token is not kept"
	case heal.EventKept:
		what = "still uses the periodic token " + tok + ", which matches the configuration: renewed, nothing minted, nothing revoked; the login token is not kept"
	case heal.EventAdopted:
		what = "now uses the periodic token " + tok + ", adopted"
	case heal.EventPassthrough:
		what = "uses the login token " + tok + " as the built-in helper would: it cannot mint a periodic token; an admin login mints one"
	case heal.EventUnchanged:
		what = "still uses the periodic token " + tok + "; nothing changed"
	default:
		what = "uses the token " + tok
	}
	return fmt.Sprintf("vault-token-helper: %s: the CLI for %s %s", res.Event, s.key, what)
}
