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
//   - redactVault registers every token the command hands to Vault (the
//     login token, the stored one, the one found in ~/.vault-token) and
//     every token Vault mints, and redacts every error Vault's answers
//     make, before heal sees it (so no state file keeps one);
//   - store.Files registers every stored token it reads and redacts the
//     error texts of every state it saves;
//   - redactHandler redacts every log record;
//   - Run and RunRenew wrap stderr, and stdout of every verb but get.

// redactVault is the Vault client as the command uses it: it learns every
// token it carries and redacts every error it returns.
type redactVault struct {
	v   heal.Vault
	red *store.Redactor
}

var _ heal.Vault = redactVault{}

// err redacts a Vault error: a *heal.VaultError's detail is scrubbed in
// place (it may quote the server's answer), anything else is wrapped.
func (r redactVault) err(err error) error {
	if err == nil {
		return nil
	}
	var ve *heal.VaultError
	if errors.As(err, &ve) {
		ve.Detail = r.red.String(ve.Detail)
	}
	return r.red.Error(err)
}

func (r redactVault) Addr() string { return r.v.Addr() }

func (r redactVault) LookupSelf(ctx context.Context, token string) (heal.TokenInfo, error) {
	r.red.Add(token, "")
	info, err := r.v.LookupSelf(ctx, token)
	if err == nil {
		r.red.Add(token, info.Accessor)
	}
	return info, r.err(err)
}

func (r redactVault) LookupAccessor(ctx context.Context, token, accessor string) (heal.TokenInfo, error) {
	r.red.Add(token, "")
	info, err := r.v.LookupAccessor(ctx, token, accessor)
	return info, r.err(err)
}

func (r redactVault) CreateOrphan(ctx context.Context, token string, req heal.MintRequest) (heal.Minted, error) {
	r.red.Add(token, "")
	m, err := r.v.CreateOrphan(ctx, token, req)
	r.red.Add(m.Token, m.Accessor)
	return m, r.err(err)
}

func (r redactVault) RenewSelf(ctx context.Context, token string, inc time.Duration) (time.Duration, error) {
	r.red.Add(token, "")
	ttl, err := r.v.RenewSelf(ctx, token, inc)
	return ttl, r.err(err)
}

func (r redactVault) RevokeSelf(ctx context.Context, token string) error {
	r.red.Add(token, "")
	return r.err(r.v.RevokeSelf(ctx, token))
}

func (r redactVault) RevokeAccessor(ctx context.Context, token, accessor string) error {
	r.red.Add(token, "")
	return r.err(r.v.RevokeAccessor(ctx, token, accessor))
}

func (r redactVault) ListAccessors(ctx context.Context, token string) ([]string, error) {
	r.red.Add(token, "")
	a, err := r.v.ListAccessors(ctx, token)
	return a, r.err(err)
}

func (r redactVault) CanMint(ctx context.Context, token string) (bool, error) {
	r.red.Add(token, "")
	ok, err := r.v.CanMint(ctx, token)
	return ok, r.err(err)
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
