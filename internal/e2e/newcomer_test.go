package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// The README's "What the Vault side needs" is what a newcomer copies:
// its policies and commands are taken from README.md as written and
// applied with the real CLI to a dev Vault, so they cannot drift from
// what Vault and the helper do.

// readmeSnippets is what TestREADMEVaultSide takes from README.md: the
// fenced block after each marker comment, and the configuration example.
type readmeSnippets struct {
	mint, periodic string   // the policies vth-mint and vth-periodic
	commands       []string // the vault commands, one per line, comments dropped
	config         string   // the configuration example
}

func readREADME(t *testing.T) readmeSnippets {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	block := func(marker string) string {
		t.Helper()
		_, rest, ok := strings.Cut(s, marker)
		if !ok {
			t.Fatalf("README.md has no %q", marker)
		}
		_, rest, ok = strings.Cut(rest, "```")
		if !ok {
			t.Fatalf("README.md has no fenced block after %q", marker)
		}
		_, rest, _ = strings.Cut(rest, "\n") // the fence's language
		body, _, ok := strings.Cut(rest, "```")
		if !ok {
			t.Fatalf("README.md's block after %q does not end", marker)
		}
		return body
	}
	r := readmeSnippets{
		mint:     block("<!-- policy vth-mint:"),
		periodic: block("<!-- policy vth-periodic:"),
		config:   block("\n## Configuration\n"),
	}
	for _, l := range strings.Split(block("<!-- vault commands:"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			r.commands = append(r.commands, l)
		}
	}
	return r
}

// command is the README's command that starts with prefix.
func (r readmeSnippets) command(t *testing.T, prefix string) string {
	t.Helper()
	for _, c := range r.commands {
		if strings.HasPrefix(c, prefix) {
			return c
		}
	}
	t.Fatalf("README.md's vault commands have none starting %q: %q", prefix, r.commands)
	return ""
}

// harmlessAdmin stands for the reader's own admin policy (vault-admin in
// the README): here it has no power over tokens, so that only the
// README's vth-mint can let a login mint. The dev server's fixture of the
// same name may do everything.
const harmlessAdmin = `path "secret/*" { capabilities = ["read", "list"] }`

// TestREADMEVaultSide applies the README's policies and its OIDC role
// command to a dev Vault: a login with the role mints a periodic token
// with the README's configuration, the same login without vth-mint is
// passed through first and refused once a periodic token is stored, and
// the periodic token can revoke the token it replaced only with
// vth-periodic. The identity group command lets a member's login mint.
func TestREADMEVaultSide(t *testing.T) {
	t.Parallel()
	r := readREADME(t)
	s := vaulttest.Start(t)
	o := s.EnableOIDC(t)
	if err := s.Root(t).Sys().PutPolicy("vault-admin", harmlessAdmin); err != nil {
		t.Fatal(err)
	}

	// The administrator's shell: the root token, the policy files next to
	// the commands, as the README writes them.
	admin := vaulttest.NewHome(t, s, "")
	admin.Setenv("VAULT_TOKEN", s.RootToken)
	for name, body := range map[string]string{"vth-mint.hcl": r.mint, "vth-periodic.hcl": r.periodic} {
		if err := os.WriteFile(filepath.Join(admin.Dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sh := func(t *testing.T, line string) {
		t.Helper()
		args := strings.Fields(line)
		if len(args) == 0 || args[0] != "vault" {
			t.Fatalf("README.md's command %q is not a vault command", line)
		}
		mustExit(t, line, admin.Vault(t, args[1:]...), 0)
	}
	for _, c := range r.commands {
		if strings.HasPrefix(c, "vault policy write ") {
			sh(t, c)
		}
	}
	// The README's callback is the CLI's default port; the harness gives
	// each server its own.
	role := strings.ReplaceAll(r.command(t, "vault write auth/oidc/role/"),
		"http://localhost:8250/oidc/callback", fmt.Sprintf("http://localhost:%d/oidc/callback", o.Port))
	roleName := strings.TrimPrefix(strings.Fields(role)[2], "auth/oidc/role/")
	withoutMint := strings.Replace(role, ",vth-mint", "", 1)
	if withoutMint == role {
		t.Fatalf("README.md's role command %q does not give vth-mint after another policy", role)
	}

	t.Run("a login with vth-mint mints, one without it is refused", func(t *testing.T) {
		h := vaulttest.NewHome(t, s, bins.Helper)
		writeConfig(t, h, r.config)
		if res := h.Run(t, "", bins.Helper, "check-config"); res.Code != 0 {
			t.Fatalf("README.md's configuration example does not check:\n%s", res)
		}

		sh(t, withoutMint)
		mustExit(t, "a first login without vth-mint", h.LoginOIDC(t, roleName, "-no-print"), 0)
		if n := countEvents(logText(t, h), "PASSTHROUGH"); n != 1 {
			t.Fatalf("a first login without vth-mint: got %d PASSTHROUGH events, want 1 (it cannot mint)", n)
		}

		sh(t, role)
		mustExit(t, "a login with vth-mint", h.LoginOIDC(t, roleName, "-no-print"), 0)
		first, err := s.LookupToken(t, helperGet(t, h))
		if err != nil {
			t.Fatalf("the stored token does not work: %v", err)
		}
		for _, p := range []string{"vault-admin", "vth-periodic"} {
			if !slices.Contains(first.Policies, p) {
				t.Errorf("the periodic token has policies %v, want %s among them", first.Policies, p)
			}
		}
		if first.DisplayName != "token-devvm-wizard" || first.Period == 0 {
			t.Fatalf("stored token %q (period %s), want the periodic token-devvm-wizard", first.DisplayName, first.Period)
		}

		sh(t, withoutMint)
		res := h.LoginOIDC(t, roleName, "-no-print")
		if res.Code != 2 || !strings.Contains(res.Stderr+res.Stdout, "cannot mint a periodic token") {
			t.Fatalf("a login without vth-mint while the periodic token is stored: got\n%s\nwant exit 2 and a refusal", res)
		}
		if got := helperGet(t, h); got == "" {
			t.Fatal("the refusal lost the periodic token")
		} else if info, err := s.LookupToken(t, got); err != nil || info.Accessor != first.Accessor {
			t.Errorf("after the refusal the stored token is %s (%v), want %s", info.Accessor, err, first.Accessor)
		}
	})

	// A login under rotate_on_login with no grace mints a successor and
	// revokes the replaced token at once, with the authority of the
	// tokens at hand: the new periodic token (vth-periodic's
	// revoke-accessor) and the login token (vault-admin and vth-mint,
	// neither of which may revoke). (`vault-token-helper rotate` mints
	// with the periodic token's own authority, which needs vth-mint.)
	rotateWith := func(t *testing.T, config string) (replaced string, res vaulttest.Result) {
		t.Helper()
		h := vaulttest.NewHome(t, s, bins.Helper)
		writeConfig(t, h, config+"rotate_on_login = true\n")
		sh(t, role)
		mustExit(t, "login", h.LoginOIDC(t, roleName, "-no-print"), 0)
		before, err := s.LookupToken(t, helperGet(t, h))
		if err != nil || before.DisplayName != wizard {
			t.Fatalf("the first login stored %q (%v), want the periodic %s", before.DisplayName, err, wizard)
		}
		res = h.LoginOIDC(t, roleName, "-no-print")
		mustExit(t, "a login that rotates", res, 0)
		if after, err := s.LookupToken(t, helperGet(t, h)); err != nil || after.Accessor == before.Accessor {
			t.Fatalf("a login under rotate_on_login stored %s (%v), want a successor of %s", after.Accessor, err, before.Accessor)
		}
		return before.Accessor, res
	}
	noGrace := strings.Replace(r.config, `rotate_grace   = "1h"`, `rotate_grace   = "0s"`, 1)
	if noGrace == r.config {
		t.Fatalf("README.md's configuration example has no rotate_grace = \"1h\" to change:\n%s", r.config)
	}
	t.Run("with vth-periodic the periodic token revokes the one it replaced", func(t *testing.T) {
		old, res := rotateWith(t, noGrace)
		if _, err := s.Lookup(t, old); err == nil {
			t.Errorf("the replaced token %s is still valid after a rotation with rotate_grace 0s:\n%s", old, res)
		}
	})
	t.Run("without vth-periodic it cannot", func(t *testing.T) {
		without := strings.Replace(noGrace, `, "vth-periodic"]`, `]`, 1)
		if without == noGrace {
			t.Fatalf("README.md's configuration example does not list vth-periodic last in policies:\n%s", r.config)
		}
		old, res := rotateWith(t, without)
		if _, err := s.Lookup(t, old); err != nil {
			t.Errorf("the replaced token %s was revoked without vth-periodic (%v), want it kept pending:\n%s", old, err, res)
		}
	})

	t.Run("the identity group command lets a member mint", func(t *testing.T) {
		root := s.Root(t)
		const user = "newcomer"
		if _, err := root.Logical().Write("auth/userpass/users/"+user, map[string]any{
			"password": vaulttest.Password, "token_policies": "vault-admin", "token_max_ttl": "168h",
		}); err != nil {
			t.Fatal(err)
		}
		auths, err := root.Sys().ListAuth()
		if err != nil {
			t.Fatal(err)
		}
		sec, err := root.Logical().Write("identity/entity", map[string]any{"name": user})
		if err != nil {
			t.Fatal(err)
		}
		entity, _ := sec.Data["id"].(string)
		if _, err := root.Logical().Write("identity/entity-alias", map[string]any{
			"name": user, "canonical_id": entity, "mount_accessor": auths["userpass/"].Accessor,
		}); err != nil {
			t.Fatal(err)
		}
		h := vaulttest.NewHome(t, s, bins.Helper)
		writeConfig(t, h, r.config)
		mustExit(t, "a login before the group", h.LoginUserpass(t, user), 0)
		if n := countEvents(logText(t, h), "MINTED"); n != 0 {
			t.Fatalf("a login before the group minted (%d MINTED events), want none: vault-admin here has no power over tokens", n)
		}
		sh(t, strings.ReplaceAll(r.command(t, "vault write identity/group "), "ENTITY_ID", entity))
		mustExit(t, "a login of a member", h.LoginUserpass(t, user), 0)
		if n := countEvents(logText(t, h), "MINTED"); n != 1 {
			t.Errorf("a member's login: got %d MINTED events, want 1\n%s", n, logText(t, h))
		}
		if info, err := s.LookupToken(t, helperGet(t, h)); err != nil || info.DisplayName != "token-devvm-wizard" {
			t.Errorf("the stored token is %q (%v), want token-devvm-wizard", info.DisplayName, err)
		}
	})
}

// TestNewcomerFrictions: what a newcomer tripped over, through the real
// CLI and the installed binaries.
func TestNewcomerFrictions(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)

	t.Run("a ~ in token_helper is named by doctor", func(t *testing.T) {
		t.Parallel()
		h := vaulttest.NewHome(t, s, bins.Helper)
		const written = "~/.local/bin/vault-token-helper"
		if err := os.WriteFile(h.VaultCfg, []byte(`token_helper = "`+written+`"`+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		res := h.Vault(t, "token", "lookup")
		if res.Code == 0 || !strings.Contains(res.Stderr, "external helper path") {
			t.Fatalf("vault token lookup with a ~ in token_helper: got\n%s\nwant the CLI's external helper path error", res)
		}
		res = h.Run(t, "", bins.Helper, "doctor")
		want := fmt.Sprintf("%q has token_helper = %q: the vault CLI does not expand ~", h.VaultCfg, written)
		fix := fmt.Sprintf("token_helper = %q", filepath.Join(h.Dir, ".local", "bin", "vault-token-helper"))
		if res.Code != 1 || !strings.Contains(res.Stdout, want) || !strings.Contains(res.Stdout, fix) {
			t.Errorf("doctor: got\n%s\nwant exit 1 saying %q with the fix %q", res, want, fix)
		}
	})

	t.Run("an unknown verb lists the verbs", func(t *testing.T) {
		t.Parallel()
		h := vaulttest.NewHome(t, s, bins.Helper)
		res := h.Run(t, "", bins.Helper, "login")
		for _, want := range []string{"`vault login`", "commands: get, store, erase, rotate, adopt, status, doctor, renew,"} {
			if res.Code != 2 || !strings.Contains(res.Stderr, want) {
				t.Errorf("vault-token-helper login: got\n%s\nwant exit 2 and %q", res, want)
			}
		}
	})

	t.Run("store names the token in use; vault login shows the login token", func(t *testing.T) {
		t.Parallel()
		h := vaulttest.NewHome(t, s, bins.Helper)
		writeConfig(t, h, wizardConfig)
		mustExit(t, "first login", h.LoginUserpass(t, "admin"), 0)
		stored, err := s.LookupToken(t, helperGet(t, h))
		if err != nil {
			t.Fatal(err)
		}
		// What the README explains: the CLI's own words stand above the
		// login token it got, not the periodic token the helper kept.
		res := h.LoginUserpass(t, "admin")
		mustExit(t, "second login", res, 0)
		if !strings.Contains(res.Stdout, "already stored in the token helper") || strings.Contains(res.Stdout, stored.Accessor) {
			t.Errorf("vault login: got\n%s\nwant the CLI's \"already stored in the token helper\" above the login token, not accessor %s", res, stored.Accessor)
		}
		res = h.Run(t, s.Login(t, "admin"), bins.Helper, "store")
		want := fmt.Sprintf("KEPT: the CLI for %s still uses the periodic token %s (accessor %s, ttl ", s.Addr, wizard, stored.Accessor)
		if res.Code != 0 || !strings.Contains(res.Stderr, want) {
			t.Errorf("store by hand: got\n%s\nwant exit 0 and %q", res, want)
		}
	})
}
