package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Admin rights through identity groups, with no configuration: the
// login token itself holds only default, its identity_policies hold
// vault-admin. The default policy list is the token's policies plus its
// identity policies, minus default and root, so the login mints a
// periodic token with vault-admin, and renew keeps it (no DRIFT).
func TestIdentityPoliciesMint(t *testing.T) {
	t.Parallel()
	logins := []struct {
		name  string
		login func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home) (vaulttest.Result, string)
	}{
		{"userpass user in an internal group", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home) (vaulttest.Result, string) {
			return h.LoginUserpass(t, vaulttest.GroupUser), s.Login(t, vaulttest.GroupUser)
		}},
		{"oidc groups claim mapped to an external group", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home) (vaulttest.Result, string) {
			o := s.EnableOIDC(t)
			s.EnableOIDCGroups(t, o)
			o.QueueGroups("grace", vaulttest.OIDCAdminGroup)
			res := h.LoginOIDC(t, vaulttest.OIDCGroupRole)
			return res, ""
		}},
	}
	for _, tt := range logins {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := vaulttest.Start(t)
			s.SetupIdentity(t)
			h := vaulttest.NewHome(t, s, bins.Helper) // no configuration at all
			res, direct := tt.login(t, s, h)
			mustExit(t, "login", res, 0)
			if direct != "" {
				if got := s.IdentityPolicies(t, direct); !slices.Equal(got, []string{vaulttest.AdminPolicy}) {
					t.Fatalf("the fixture's login token has identity policies %v, want [%s]", got, vaulttest.AdminPolicy)
				}
			}
			info, err := s.LookupToken(t, helperGet(t, h))
			if err != nil {
				t.Fatalf("the stored token does not work: %v", err)
			}
			if info.DisplayName != "token-vault-token-helper" || info.Period == 0 || !slices.Contains(info.Policies, vaulttest.AdminPolicy) {
				t.Errorf("stored token: display name %q, period %s, policies %v; want a periodic token-vault-token-helper with %s",
					info.DisplayName, info.Period, info.Policies, vaulttest.AdminPolicy)
			}
			if got := countEvents(logText(t, h), "MINTED"); got != 1 {
				t.Errorf("MINTED events = %d, want 1", got)
			}
			res = renew(t, h)
			mustExit(t, "renew", res, 0)
			if !strings.Contains(res.Stdout, "OK renewed") || strings.Contains(res.Stdout, "DRIFT") {
				t.Errorf("renew: got %q, want OK renewed and no DRIFT", res.Stdout)
			}
			if live := s.Tokens(t, "token-vault-token-helper"); len(live) != 1 {
				t.Errorf("live periodic tokens = %d, want 1", len(live))
			}
		})
	}
}

// status shows both kinds of policies: a login that cannot mint (its
// group holds read-only) passes through, and status names the group's
// policy as an identity policy.
func TestIdentityPoliciesStatus(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	s.SetupIdentity(t)
	h := vaulttest.NewHome(t, s, bins.Helper)
	mustExit(t, "login of a group reader", h.LoginUserpass(t, vaulttest.GroupReader), 0)
	if got := countEvents(logText(t, h), "PASSTHROUGH"); got != 1 {
		t.Fatalf("PASSTHROUGH events = %d, want 1", got)
	}
	res := h.Run(t, "", bins.Helper, "status")
	if !strings.Contains(res.Stdout, "identity policies: "+vaulttest.ReadOnlyPolicy) {
		t.Errorf("status: got\n%s\nwant a line naming the identity policy %s", res.Stdout, vaulttest.ReadOnlyPolicy)
	}
	res = h.Run(t, "", bins.Helper, "status", "--json")
	var rep struct {
		Addresses []struct {
			Policies         []string `json:"policies"`
			IdentityPolicies []string `json:"identity_policies"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil || len(rep.Addresses) != 1 {
		t.Fatalf("status --json: %v\n%s", err, res)
	}
	a := rep.Addresses[0]
	if !slices.Equal(a.Policies, []string{"default"}) || !slices.Equal(a.IdentityPolicies, []string{vaulttest.ReadOnlyPolicy}) {
		t.Errorf("status --json: policies %v, identity policies %v; want [default], [%s]", a.Policies, a.IdentityPolicies, vaulttest.ReadOnlyPolicy)
	}
}
