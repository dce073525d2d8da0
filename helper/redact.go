package helper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// The command's store.Redactor is fed and applied at its edges:
//   - edgeVault registers every token the command hands to Vault (the
//     login token, the stored one, the one found in ~/.vault-token) and
//     every token Vault mints, and redacts every error Vault's answers
//     make, before heal sees it (so no state file keeps one);
//   - store.Files registers every stored token it reads and redacts the
//     error texts of every state it saves;
//   - redactHandler redacts every log record;
//   - Run and RunRenew wrap stderr, and stdout of every verb but get.

// edgeVault is the Vault client as the command uses it, the one
// decorator of heal.Vault: it learns every token it carries and every
// token Vault mints, redacts every error it returns, and, with a log,
// logs every call at debug level (operation, accessor when there is one,
// duration, outcome; never a token).
type edgeVault struct {
	v   heal.Vault
	red *store.Redactor
	log *slog.Logger // nil: no debug lines
	now func() time.Time
}

var _ heal.Vault = edgeVault{}

// call is the edge of one call: token is learnt before it goes out; the
// returned done learns what Vault minted, redacts err and logs the call.
func (e edgeVault) call(op, token string) func(err error, attrs ...any) error {
	e.red.Add(token, "")
	start := e.now()
	return func(err error, attrs ...any) error {
		err = e.err(err)
		if e.log != nil && e.log.Enabled(context.Background(), slog.LevelDebug) {
			attrs = append([]any{"op", op, "address", e.v.Addr(), "duration", e.now().Sub(start).String()}, attrs...)
			if err != nil {
				attrs = append(attrs, "error", err.Error())
			}
			e.log.Debug(heal.EventVault, attrs...)
		}
		return err
	}
}

// err redacts a Vault error: a *heal.VaultError's detail is scrubbed in
// place (it may quote the server's answer), anything else is wrapped.
func (e edgeVault) err(err error) error {
	if err == nil {
		return nil
	}
	var ve *heal.VaultError
	if errors.As(err, &ve) {
		ve.Detail = e.red.String(ve.Detail)
	}
	return e.red.Error(err)
}

func (e edgeVault) Addr() string { return e.v.Addr() }

func (e edgeVault) LookupSelf(ctx context.Context, token string) (heal.TokenInfo, error) {
	done := e.call("lookup-self", token)
	info, err := e.v.LookupSelf(ctx, token)
	if err == nil {
		e.red.Add(token, info.Accessor)
	}
	return info, done(err, "accessor", info.Accessor)
}

func (e edgeVault) LookupAccessor(ctx context.Context, token, accessor string) (heal.TokenInfo, error) {
	done := e.call("lookup-accessor", token)
	info, err := e.v.LookupAccessor(ctx, token, accessor)
	return info, done(err, "accessor", accessor)
}

func (e edgeVault) CreateOrphan(ctx context.Context, token string, req heal.MintRequest) (heal.Minted, error) {
	done := e.call("create-orphan", token)
	m, err := e.v.CreateOrphan(ctx, token, req)
	e.red.Add(m.Token, m.Accessor)
	return m, done(err, "accessor", m.Accessor, "policies", req.Policies)
}

func (e edgeVault) RenewSelf(ctx context.Context, token string, inc time.Duration) (time.Duration, error) {
	done := e.call("renew-self", token)
	ttl, err := e.v.RenewSelf(ctx, token, inc)
	return ttl, done(err, "ttl", ttl.String())
}

func (e edgeVault) RevokeSelf(ctx context.Context, token string) error {
	done := e.call("revoke-self", token)
	return done(e.v.RevokeSelf(ctx, token))
}

func (e edgeVault) RevokeAccessor(ctx context.Context, token, accessor string) error {
	done := e.call("revoke-accessor", token)
	return done(e.v.RevokeAccessor(ctx, token, accessor), "accessor", accessor)
}

func (e edgeVault) ListAccessors(ctx context.Context, token string) ([]string, error) {
	done := e.call("list-accessors", token)
	a, err := e.v.ListAccessors(ctx, token)
	return a, done(err, "count", len(a))
}

func (e edgeVault) CanMint(ctx context.Context, token string) (bool, error) {
	done := e.call("capabilities-self", token)
	ok, err := e.v.CanMint(ctx, token)
	return ok, done(err, "can_mint", ok)
}

// redactHandler passes every log record through the Redactor: the
// message and every attribute value that is or prints as a string.
type redactHandler struct {
	h   slog.Handler
	red *store.Redactor
}

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.red.String(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return redactHandler{h: h.h.WithAttrs(red), red: h.red}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h: h.h.WithGroup(name), red: h.red}
}

func (h redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.red.String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = h.attr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		var s string
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		} else {
			s = fmt.Sprint(v.Any())
		}
		if red := h.red.String(s); red != s {
			return slog.String(a.Key, red)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
