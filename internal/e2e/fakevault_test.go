package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// realBackend is a dev Vault as a fakevault.Backend: heal's own client
// for the calls, the root token for the operator's setup.
type realBackend struct {
	*heal.APIVault
	t    *testing.T
	s    *vaulttest.Server
	root *api.Client
}

func (r realBackend) Root() string { return r.s.RootToken }

func (r realBackend) SetPolicy(name string, p fakevault.Policy) {
	r.t.Helper()
	if err := r.root.Sys().PutPolicy(name, p.HCL()); err != nil {
		r.t.Fatalf("put policy %s: %v", name, err)
	}
}

// Login creates the userpass user (and, for identity policies, an entity
// with those policies and an alias for the user), then logs in.
func (r realBackend) Login(user string, policies, identityPolicies []string, ttl time.Duration) string {
	r.t.Helper()
	l := r.root.Logical()
	if _, err := l.Write("auth/userpass/users/"+user, map[string]any{
		"password": vaulttest.Password, "token_policies": strings.Join(policies, ","),
		"token_ttl": ttl.String(), "token_max_ttl": ttl.String(),
	}); err != nil {
		r.t.Fatalf("userpass user %s: %v", user, err)
	}
	if len(identityPolicies) > 0 {
		ent, err := l.Write("identity/entity", map[string]any{"name": user, "policies": identityPolicies})
		if err != nil {
			r.t.Fatalf("entity %s: %v", user, err)
		}
		auths, err := r.root.Sys().ListAuth()
		if err != nil {
			r.t.Fatalf("list auth: %v", err)
		}
		if _, err := l.Write("identity/entity-alias", map[string]any{
			"name": user, "canonical_id": ent.Data["id"], "mount_accessor": auths["userpass/"].Accessor,
		}); err != nil {
			r.t.Fatalf("entity alias %s: %v", user, err)
		}
	}
	return r.s.Login(r.t, user)
}

// TestFakeVaultMatchesVault holds the fake to the real thing: every
// scenario of fakevault.Scenarios gives the same outcome against the
// fake and against a dev Vault.
func TestFakeVaultMatchesVault(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	v, err := heal.NewAPIVault(s.Addr, "", heal.ClientOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	real := realBackend{APIVault: v, t: t, s: s, root: s.Root(t)}
	fakevault.SetUp(real)
	fake := fakevault.New(s.Addr)
	fakevault.SetUp(fake)
	ctx := context.Background()
	for _, sc := range fakevault.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			real.t = t
			want := sc.Run(ctx, real)
			got := sc.Run(ctx, fake)
			if !slices.Equal(got, want) {
				t.Errorf("fake:\n  %s\nreal Vault:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}
