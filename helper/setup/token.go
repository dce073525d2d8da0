package setup

// The token in ~/.vault-token: kept at install, written back at uninstall.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// keepToken keeps the token in ~/.vault-token usable through the helper
// (see heal.Healer.KeepToken). It fails, before any CLI config changes, only
// when keeping it is impossible and configuring the CLI would lose it.
func (r *run) keepToken(ctx context.Context) error {
	p := r.env.Paths.TokenFile
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		r.say("no %s to keep; the next %s mints the periodic token", p, r.login())
		return nil
	}
	if len(r.oursIn) > 0 {
		// A CLI asks the helper already: the file is the helper's mirror
		// of mirror_address's periodic token, not a CLI's token. Keeping
		// it would send that token to whatever VAULT_ADDR is now set.
		r.say("%s runs %s already; left %s to the helper", strings.Join(r.oursIn, " and "), r.bin, p)
		return nil
	}
	if len(r.foreignIn) > 0 {
		// The CLI's token is in the other helper's store; the file is
		// whatever the built-in helper left there, maybe for another server.
		r.say("left %s alone: %s named another token helper, which holds the CLI's token; the next %s stores one with %s",
			p, strings.Join(r.foreignIn, " and "), r.login(), r.bin)
		return nil
	}
	tok, err := heal.NewMirror(p).Read()
	if err != nil {
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	}
	if tok == "" {
		r.say("%s holds no token; the next %s mints the periodic token", p, r.login())
		return nil
	}
	if key, ok := r.env.Tool.StoredFor(tok); ok {
		// Our mirror (a CLI config named the helper before): never sent
		// anywhere, and never stored for another address.
		r.say("%s holds the token stored for %s already; left %s to the helper", p, key, p)
		return nil
	}
	raw, key, err := r.env.Tool.Addr()
	if err != nil {
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	}
	if raw == "" {
		return r.keepUnchecked(ctx, p, key, tok, "no address is set (VAULT_ADDR)")
	}
	res, err := r.env.Tool.Keep(ctx, tok)
	for _, w := range res.Warnings {
		fmt.Fprintf(r.errOut, "vault-token-helper setup: warning: %s\n", oneLine(w))
	}
	var refused *heal.RefusedError
	switch {
	case errors.As(err, &refused):
		r.say("%s holds %s (accessor %s), not the periodic token; the CLI now uses the periodic token stored for %s (accessor %s)",
			p, refused.Login.DisplayName, refused.Login.Accessor, key, refused.Kept.Accessor)
		return nil
	case errors.Is(err, heal.ErrInvalidToken):
		r.say("left %s alone: Vault at %s does not accept its token (revoked or expired); the next %s mints the periodic token", p, key, r.login())
		return nil
	case errors.Is(err, heal.ErrUnavailable):
		return r.keepUnchecked(ctx, p, key, tok, "Vault cannot be reached ("+oneLine(err.Error())+")")
	case err != nil:
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	}
	switch res.Event {
	case heal.EventUnchanged:
		r.say("%s holds the token stored for %s already", p, key)
	case heal.EventAdopted:
		r.say("adopted the periodic token in %s for %s (%s, accessor %s)", p, key, res.Info.DisplayName, res.Accessor)
	default:
		risk := "it expires and is never renewed"
		if res.Info.TTL == 0 && res.Info.ExpireTime.IsZero() {
			risk = "it never expires, so nothing is at risk"
		}
		r.say("kept the token in %s for %s (%s, accessor %s) as passed through: no periodic token yet, %s; the next admin login mints the periodic token: %s",
			p, key, res.Info.DisplayName, res.Accessor, risk, LoginHint(strings.TrimSuffix(r.login(), " login"), res.Info.Path))
		if res.WhyNotOurs != "" {
			r.hints = append(r.hints, fmt.Sprintf("%s holds the periodic token %s (accessor %s), which is not ours (%s); to have it renewed instead, edit periodic_token in %s to match it and run: %s adopt < %s",
				p, res.Info.DisplayName, res.Accessor, res.WhyNotOurs, r.env.Paths.Config, r.bin, p))
		}
	}
	return nil
}

func (r *run) keepUnchecked(ctx context.Context, p string, key store.Key, tok, why string) error {
	res, err := r.env.Tool.KeepUnchecked(ctx, tok)
	switch {
	case errors.Is(err, heal.ErrStoredAlready):
		r.say("left %s alone: %s and a token is stored for %s already, so the CLI goes on with that one", p, why, key)
		return nil
	case err != nil:
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	case res.Event == heal.EventUnchanged:
		r.say("%s holds the token stored for %s already", p, key)
		return nil
	}
	r.say("%s: kept the token in %s for %s without checking it, as passed through; the CLI uses it as before, and the next admin login mints the periodic token", why, p, key)
	if r.env.getenv("VAULT_ADDR") == "" {
		r.hints = append(r.hints, fmt.Sprintf("if your Vault is not at %s, log in to it with VAULT_ADDR set: a setup run again does not keep %s, which is the helper's mirror by now", key, p))
	}
	return nil
}

// saveToken writes the stored token of the mirrored address to
// ~/.vault-token, where the CLI's built-in helper reads it.
func (r *run) saveToken(context.Context) error {
	paths := []string{r.env.Paths.TokenFile}
	if bp := r.baoTokenPath(); bp != "" && bp != paths[0] {
		paths = append(paths, bp) // the file bao's built-in helper reads instead
	}
	for _, p := range paths {
		if fi, err := os.Lstat(p); err == nil {
			if fi.Mode()&fs.ModeSymlink != 0 {
				return r.fail("%s is a symlink; refusing to write through it. Remove it and run setup --uninstall again", p)
			}
			if !fi.Mode().IsRegular() {
				return r.fail("%s is not a regular file; remove it and run setup --uninstall again", p)
			}
		}
	}
	key, tok, err := r.env.Tool.UninstallToken()
	if err != nil {
		return r.fail("read the stored token: %w; nothing was uninstalled", err)
	}
	if tok == "" {
		r.say("no token stored for %s; left %s as it is", key, strings.Join(paths, " and "))
		return nil
	}
	for _, p := range paths {
		if cur, err := heal.NewMirror(p).Read(); err == nil && cur == tok {
			r.say("%s holds the token stored for %s already", p, key)
			continue
		}
		if err := disk.WriteFileAtomic(p, []byte(tok)); err != nil {
			return r.fail("cannot write %q: %w; nothing was uninstalled", p, err)
		}
		r.say("wrote the token stored for %s to %s", key, p)
	}
	return nil
}

// baoTokenPath is the file bao's built-in helper reads when the bao CLI
// is among those setup configures and BAO_TOKEN_PATH (OpenBao 2.6; else
// VAULT_TOKEN_PATH, as OpenBao's ReadBaoVariable falls back) names one:
// uninstall writes the token there too, or bao would lose it. "" when
// there is none.
func (r *run) baoTokenPath() string {
	bao := false
	for _, c := range r.clis() {
		bao = bao || strings.Contains(c.Name, "bao")
	}
	if !bao || r.env.LookupEnv == nil {
		return ""
	}
	v, ok := r.env.LookupEnv("BAO_TOKEN_PATH")
	if !ok {
		v, _ = r.env.LookupEnv("VAULT_TOKEN_PATH")
	}
	if v == "" {
		return ""
	}
	if !filepath.IsAbs(v) {
		v = filepath.Join(r.env.Cwd, v)
	}
	return filepath.Clean(v)
}
