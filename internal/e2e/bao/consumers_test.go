package bao

import (
	"os"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// The consumers of the token our users keep (docs/consumers.md). The
// user has periodic tokens for A (the shared server, mirror_address), for
// B (a second server) and for namespace team of A.
type consumers struct {
	u                   *user
	b                   *vaulttest.Server
	team                string
	accA, accB, accTeam string
	tokA, tokB, tokTeam string
}

func newConsumers(t *testing.T) *consumers {
	t.Helper()
	c := &consumers{b: vaulttest.StartBao(t), team: unique("team")}
	srv.CreateNamespace(t, c.team)
	c.u = newUser(t, `mirror_address = "`+srv.Addr+`"`)
	h := c.u.h
	h.UseHelper(t, bins.Helper) // ~/.vault too, for what reads the Vault CLI's config
	mustExit(t, "bao login on A", h.BaoLoginUserpass(t, "admin"), 0)
	mustExit(t, "bao login -address=B", h.BaoLoginUserpass(t, "admin", "-address="+c.b.Addr), 0)
	mustExit(t, "bao login -namespace=team on A", h.BaoLoginUserpass(t, "admin", "-namespace="+c.team), 0)
	c.accA, c.accB, c.accTeam = c.u.only(t, srv, ""), c.u.only(t, c.b, ""), c.u.only(t, srv, c.team)
	c.tokA = getWith(t, h, map[string]string{"BAO_ADDR": srv.Addr})
	c.tokB = getWith(t, h, map[string]string{"BAO_ADDR": c.b.Addr})
	c.tokTeam = getWith(t, h, map[string]string{"BAO_ADDR": srv.Addr, "BAO_NAMESPACE": c.team})
	return c
}

// getWith is `vault-token-helper get` by hand with env set for it alone.
func getWith(t *testing.T, h *vaulttest.Home, env map[string]string) string {
	t.Helper()
	for k, v := range env {
		h.Setenv(k, v)
	}
	defer func() {
		for k := range env {
			h.Unsetenv(k)
		}
		h.Setenv("BAO_ADDR", srv.Addr)
	}()
	tok := get(t, h)
	if tok == "" {
		t.Fatalf("get with %v: no token", env)
	}
	return tok
}

// A Go program that gets its token as terraform-provider-vault does
// (vault/api cliconfig.DefaultTokenHelper, `get` with VAULT_ADDR from the
// environment or set to the provider's address by add_address_to_env,
// the output trimmed) gets the periodic token of the address and
// namespace it asks for; a VAULT_ADDR and a BAO_ADDR that disagree give
// it no token at all, never one of the two.
func TestConsumerTerraformProvider(t *testing.T) {
	t.Parallel()
	c := newConsumers(t)
	h := c.u.h
	tests := []struct {
		name string
		env  map[string]string // besides the home's, BAO_ADDR unset
		args []string
		want string // accessor=... namespace_path=..., or "" for no token
		code int
	}{
		{"VAULT_ADDR=A", map[string]string{"VAULT_ADDR": srv.Addr}, nil, "accessor=" + c.accA + " namespace_path=", 0},
		{"VAULT_ADDR=B", map[string]string{"VAULT_ADDR": c.b.Addr}, nil, "accessor=" + c.accB + " namespace_path=", 0},
		{"add_address_to_env: VAULT_ADDR=A, provider address B", map[string]string{"VAULT_ADDR": srv.Addr}, []string{"-address=" + c.b.Addr}, "accessor=" + c.accB + " namespace_path=", 0},
		{"VAULT_NAMESPACE=team", map[string]string{"VAULT_ADDR": srv.Addr, "VAULT_NAMESPACE": c.team}, []string{"-namespace=" + c.team}, "accessor=" + c.accTeam + " namespace_path=" + c.team + "/", 0},
		{"VAULT_ADDR=B, stray BAO_ADDR=A", map[string]string{"VAULT_ADDR": c.b.Addr, "BAO_ADDR": srv.Addr}, nil, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.Unsetenv("BAO_ADDR")
			defer h.Setenv("BAO_ADDR", srv.Addr)
			for k, v := range tt.env {
				h.Setenv(k, v)
			}
			defer func() {
				for k := range tt.env {
					h.Unsetenv(k)
				}
			}()
			res := h.Run(t, "", consumer, tt.args...)
			if res.Code != tt.code || strings.TrimSpace(res.Stdout) != tt.want {
				t.Errorf("got exit %d, %q; want exit %d, %q\n%s", res.Code, strings.TrimSpace(res.Stdout), tt.code, tt.want, res)
			}
			for _, tok := range []string{c.tokA, c.tokB, c.tokTeam} {
				if strings.Contains(res.Stdout+res.Stderr, tok) {
					t.Errorf("the consumer's output holds a token")
				}
			}
		})
	}
	// Nothing of B's reached A, nor A's or team's B.
	if audit.Contains(t, c.tokB) {
		t.Errorf("A's audit log holds B's token")
	}
	assertOwnNamespace(t, audit, map[string]string{c.tokA: "", c.tokTeam: c.team + "/"})
}

// Tools that read ~/.vault-token themselves (sops, consul-template,
// envconsul, Vault Agent's token_file auto-auth) get the periodic token
// of mirror_address in its root namespace, never B's nor team's, and the
// next one after a rotation. The test does what they do: it reads the
// file and uses the token against the mirrored address.
func TestConsumerTokenFileReaders(t *testing.T) {
	t.Parallel()
	c := newConsumers(t)
	h := c.u.h
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(h.TokenFile())
		if err != nil {
			t.Fatalf("read ~/.vault-token as sops would: %v", err)
		}
		return strings.TrimSpace(string(b))
	}
	tok := read()
	switch tok {
	case c.tokB:
		t.Fatalf("~/.vault-token holds B's token, want A's (mirror_address)")
	case c.tokTeam:
		t.Fatalf("~/.vault-token holds the token of namespace %s, want A's root namespace's", c.team)
	}
	info, err := srv.LookupToken(t, tok)
	if err != nil || info.Accessor != c.accA {
		t.Fatalf("the token of ~/.vault-token against A: accessor %q (%v), want A's periodic %s", info.Accessor, err, c.accA)
	}

	// More logins elsewhere leave the file alone.
	mustExit(t, "bao login -address=B again", h.BaoLoginUserpass(t, "admin", "-address="+c.b.Addr), 0)
	mustExit(t, "bao login -namespace=team again", h.BaoLoginUserpass(t, "admin", "-namespace="+c.team), 0)
	if read() != tok {
		t.Errorf("~/.vault-token changed after logins to B and to namespace %s", c.team)
	}

	// A rotation of A: the file follows.
	mustExit(t, "rotate A", helper(t, h, bins.Helper, "rotate"), 0)
	next := read()
	if next == tok {
		t.Fatalf("~/.vault-token still holds the old token after a rotation of A")
	}
	info, err = srv.LookupToken(t, next)
	if err != nil || info.Accessor == c.accA || info.DisplayName != c.u.name {
		t.Errorf("after the rotation ~/.vault-token holds accessor %q (%s, %v), want A's new periodic token", info.Accessor, info.DisplayName, err)
	}

	// A second address for such a tool: VAULT_TOKEN from get.
	h.Setenv("BAO_ADDR", c.b.Addr)
	second := get(t, h)
	h.Setenv("BAO_ADDR", srv.Addr)
	if info, err := c.b.LookupToken(t, second); err != nil || info.Accessor != c.accB {
		t.Errorf("VAULT_TOKEN=$(BAO_ADDR=B vault-token-helper get) against B: accessor %q (%v), want B's periodic %s", info.Accessor, err, c.accB)
	}
}
