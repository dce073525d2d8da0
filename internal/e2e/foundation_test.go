package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// lookupJSON runs `vault token lookup -format=json` in h and returns its data.
func lookupJSON(t *testing.T, h *vaulttest.Home, args ...string) map[string]any {
	t.Helper()
	res := h.Vault(t, append([]string{"token", "lookup", "-format=json"}, args...)...)
	if res.Code != 0 {
		t.Fatalf("vault token lookup: %s", res)
	}
	var out struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatalf("decode vault token lookup output: %v\n%s", err, res.Stdout)
	}
	return out.Data
}

func policiesOf(data map[string]any) []string {
	var out []string
	for _, p := range data["policies"].([]any) {
		out = append(out, p.(string))
	}
	slices.Sort(out)
	return out
}

// The harness with the CLI's built-in file helper: each login writes
// ~/.vault-token in the test's own HOME.
func TestHarnessLoginsWithBuiltinHelper(t *testing.T) {
	s := vaulttest.Start(t)
	s.EnableOIDC(t)
	tests := []struct {
		name         string
		login        func(h *vaulttest.Home) vaulttest.Result
		displayName  string
		wantPolicies []string
	}{
		{"userpass admin", func(h *vaulttest.Home) vaulttest.Result { return h.LoginUserpass(t, "admin") },
			"userpass-admin", []string{"default", "sops-admin", "vault-admin"}},
		{"userpass weak", func(h *vaulttest.Home) vaulttest.Result { return h.LoginUserpass(t, "weak") },
			"userpass-weak", []string{"default"}},
		{"oidc admin", func(h *vaulttest.Home) vaulttest.Result { return h.LoginOIDC(t, vaulttest.OIDCRole) },
			"oidc-1234567890", []string{"default", "sops-admin", "vault-admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := vaulttest.NewHome(t, s, "")
			if res := tt.login(h); res.Code != 0 {
				t.Fatalf("login: %s", res)
			}
			raw, err := os.ReadFile(h.TokenFile())
			if err != nil {
				t.Fatalf("the built-in helper wrote no token file: %v", err)
			}
			data := lookupJSON(t, h)
			if got := data["id"]; got != string(raw) {
				t.Errorf("vault token lookup shows a token other than the one in %s", h.TokenFile())
			}
			if got := data["display_name"]; got != tt.displayName {
				t.Errorf("display_name = %v, want %q", got, tt.displayName)
			}
			if got := policiesOf(data); !slices.Equal(got, tt.wantPolicies) {
				t.Errorf("policies = %v, want %v", got, tt.wantPolicies)
			}
		})
	}
}

// Vault's answer is what separates an admin login from a weak one: 403
// on auth/token/create-orphan for a token with only default, 200 for admin.
func TestHarnessCreateOrphanAuthority(t *testing.T) {
	s := vaulttest.Start(t)
	tests := []struct {
		user       string
		wantStatus int
	}{
		{"admin", http.StatusOK},
		{"weak", http.StatusForbidden},
		{"reader", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			c := s.Client(t, s.Login(t, tt.user))
			got := http.StatusOK
			_, err := c.Logical().Write("auth/token/create-orphan", map[string]any{"policies": []string{"vault-admin"}, "period": "768h"})
			var re *api.ResponseError
			switch {
			case errors.As(err, &re):
				got = re.StatusCode
			case err != nil:
				t.Fatal(err)
			}
			if got != tt.wantStatus {
				t.Errorf("create-orphan as %s: got HTTP %d, want %d (%v)", tt.user, got, tt.wantStatus, err)
			}
		})
	}
}
