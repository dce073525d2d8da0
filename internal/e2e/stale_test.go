package e2e

import (
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Stale reads: on a cluster that serves reads from standbys, the check of
// a just-minted token can reach a node that has not seen it yet and get
// 403. The proxy answers 403 to the first lookups after the mint: a few
// are retried and the mint is kept; a token that stays unknown fails the
// mint, which is revoked.
func TestFreshTokenStaleReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		stale       int // lookups after create-orphan answered 403
		wantCode    int // of vault login
		wantLive    int
		wantLookups int // lookup-self requests after create-orphan; 0: more than stale
	}{
		{"two stale reads", 2, 0, 1, 3},
		{"never seen", 0, 2, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := vaulttest.Start(t)
			p := vaulttest.StartProxy(t, s)
			h := vaulttest.NewHome(t, s, bins.Helper)
			writeConfig(t, h, wizardConfig)
			h.Setenv("VAULT_ADDR", p.Addr)
			p.Set(vaulttest.Rule{Fault: vaulttest.Status, Status: 403, Path: lookupSelfPath, After: createOrphanPath,
				// what Vault answers for a token it does not know
				Times: tt.stale, Body: `{"errors":["permission denied","invalid token"]}`})
			before := p.Count(lookupSelfPath)
			res := h.LoginUserpass(t, "admin")
			mustExit(t, "admin login", res, tt.wantCode)
			if got := p.Count(createOrphanPath); got != 1 {
				t.Errorf("create-orphan sent %d times, want once", got)
			}
			lookups := p.Count(lookupSelfPath) - before - 1 // the login token's own lookup
			if tt.wantLookups != 0 && lookups != tt.wantLookups {
				t.Errorf("lookups of the fresh token = %d, want %d", lookups, tt.wantLookups)
			}
			if tt.wantLookups == 0 && lookups <= 3 {
				t.Errorf("lookups of the fresh token = %d, want it retried a few times before giving up", lookups)
			}
			if live := s.Tokens(t, wizard); len(live) != tt.wantLive {
				t.Errorf("live periodic tokens = %d, want %d", len(live), tt.wantLive)
			}
			if tt.wantCode != 0 && !strings.Contains(res.Stderr, "not valid") {
				t.Errorf("login: got %q, want the helper's line saying the minted token is not valid", res.Stderr)
			}
		})
	}
}
