package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Issue 20, items 1, 4 and 6: least privilege and revocation safety.
// Real CLI, real dev Vault.

// A policy dropped from periodic_token.policies is taken away at the next
// admin login: the kept token, which still holds it, no longer matches,
// so the login rotates with the grace, as for any other mismatch; the old
// token answers during the grace and the first sweep after it revokes it.
func TestDroppedPolicyRotates(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	old := lookupJSON(t, h)
	oldTok, oldAcc := old["id"].(string), old["accessor"].(string)
	if got, want := policiesOf(old), []string{"default", "sops-admin", "vault-admin"}; !slices.Equal(got, want) {
		t.Fatalf("first token policies = %v, want %v", got, want)
	}

	writeConfig(t, h, strings.Replace(wizardConfig, `["vault-admin", "sops-admin"]`, `["vault-admin"]`, 1)+"rotate_grace = \"2s\"\n")
	mustExit(t, "admin login after sops-admin left the config", h.LoginUserpass(t, "admin"), 0)
	cur := lookupJSON(t, h)
	if cur["accessor"] == oldAcc {
		t.Fatalf("the login kept the token that still holds sops-admin")
	}
	if got, want := policiesOf(cur), []string{"default", "vault-admin"}; !slices.Equal(got, want) {
		t.Errorf("new token policies = %v, want %v", got, want)
	}
	if !strings.Contains(logText(t, h), "ROTATING") {
		t.Errorf("the log has no ROTATING line for the dropped policy:\n%s", logText(t, h))
	}
	if _, err := s.LookupToken(t, oldTok); err != nil {
		t.Fatalf("the old token stopped answering during the grace: %v", err)
	}
	st, _ := statusJSON(t, h)
	if len(st.Addresses) != 1 || len(st.Addresses[0].Pending) != 1 || st.Addresses[0].Pending[0].Accessor != oldAcc || st.Addresses[0].Pending[0].RevokeAfter == nil {
		t.Fatalf("status: %+v, want the old token pending with its revocation time", st)
	}
	time.Sleep(time.Until(*st.Addresses[0].Pending[0].RevokeAfter)) // the grace itself

	res := renew(t, h)
	mustExit(t, "renew after the grace", res, 0)
	if got := linesWith(res.Stdout, "REVOKED"); len(got) != 1 || !strings.Contains(got[0], oldAcc) {
		t.Errorf("REVOKED lines = %q, want one for %s\n%s", got, oldAcc, res)
	}
	if _, err := s.LookupToken(t, oldTok); err == nil {
		t.Error("the token holding the dropped policy still answers after the first sweep after its grace")
	}

	// The same configuration again: the new token matches and is kept.
	mustExit(t, "a third admin login", h.LoginUserpass(t, "admin"), 0)
	if again := lookupJSON(t, h); again["accessor"] != cur["accessor"] {
		t.Errorf("the third login replaced %v with %v; want it KEPT", cur["accessor"], again["accessor"])
	}
}
