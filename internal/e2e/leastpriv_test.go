package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
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

// Two installations (two HOMEs) on one dev Vault with one display name:
// Y adopts a hand-made periodic token, which carries no install id; X's
// `vault-token-renew --scan`, with its stored admin token's authority,
// never revokes it, and says so (SPARED). A hand-made leftover is
// revoked only when the user names it (--revoke ACCESSOR).
func TestScanNeverRevokesAnUnattributedToken(t *testing.T) {
	t.Parallel()
	s, x := world(t, wizardConfig)
	y := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, y, wizardConfig)
	mustExit(t, "admin login in X", x.LoginUserpass(t, "admin"), 0)
	accX := lookupJSON(t, x)["accessor"].(string)

	tokY, accY := s.MintPeriodic(t, "devvm-wizard", "vault-admin", "sops-admin")
	mustExit(t, "adopt in Y", y.Run(t, tokY, bins.Helper, "adopt"), 0)
	if got := lookupJSON(t, y)["accessor"]; got != accY {
		t.Fatalf("Y's CLI uses %v, want the adopted %s", got, accY)
	}
	_, leftover := s.MintPeriodic(t, "devvm-wizard", "vault-admin")

	res := renew(t, x, "--scan")
	mustExit(t, "renew --scan in X", res, 0)
	for _, acc := range []string{accX, accY, leftover} {
		if _, err := s.Lookup(t, acc); err != nil {
			t.Errorf("token %s was revoked by X's --scan: %v", acc, err)
		}
	}
	if _, err := s.LookupToken(t, tokY); err != nil {
		t.Errorf("Y's adopted token no longer looks up: %v", err)
	}
	spared := linesWith(res.Stdout, "SPARED")
	for _, acc := range []string{accY, leftover} {
		if !slices.ContainsFunc(spared, func(l string) bool {
			return strings.Contains(l, acc) && strings.Contains(l, "vault-token-renew --scan --revoke "+acc)
		}) {
			t.Errorf("no SPARED line names %s and how to revoke it:\n%s", acc, res)
		}
	}
	if scan := linesWith(res.Stdout, "SCAN"); len(scan) != 1 || !strings.Contains(scan[0], "revoked 0") {
		t.Errorf("SCAN lines = %q, want one saying revoked 0\n%s", scan, res)
	}

	// Named, the leftover goes; Y's token stays.
	res = renew(t, x, "--scan", "--revoke", leftover)
	mustExit(t, "renew --scan --revoke", res, 0)
	if _, err := s.Lookup(t, leftover); err == nil {
		t.Errorf("the named leftover %s is still live\n%s", leftover, res)
	}
	if _, err := s.LookupToken(t, tokY); err != nil {
		t.Errorf("Y's adopted token no longer looks up after a named scan: %v", err)
	}
	mustExit(t, "Y's CLI still works", y.Vault(t, "token", "lookup"), 0)
	mustExit(t, "renew in Y", renew(t, y), 0)

	// --revoke without --scan is a usage error.
	mustExit(t, "--revoke alone", renew(t, x, "--revoke", leftover), 2)
}
