package e2e

import (
	"encoding/json"
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

// A first mint whose connection is cut after create-orphan: Vault holds a
// live admin token that nothing stored records, and nothing stored has
// the authority to find it. renew and status are unhealthy and name the
// command that settles it; that exact command (an admin login) finds the
// token by its intent id, revokes it, and mints the periodic token.
func TestInterruptedFirstMint(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	s.EnableOIDC(t)
	p := vaulttest.StartProxy(t, s)
	h := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, h, wizardConfig)
	h.Setenv("VAULT_ADDR", p.Addr)
	h.Setenv("VAULT_CLIENT_TIMEOUT", faultTimeout.String())

	p.Set(vaulttest.Rule{Path: createOrphanPath, Fault: vaulttest.Reset})
	if res := h.LoginUserpass(t, "admin"); res.Code == 0 {
		t.Fatalf("the admin login whose mint was cut succeeded:\n%s", res)
	}
	p.Set()
	orphans := s.Tokens(t, wizard)
	if len(orphans) != 1 || orphans[0].Meta["intent_id"] == "" {
		t.Fatalf("tokens named %s: %+v, want the one minted behind the client's back, with its intent id", wizard, orphans)
	}
	orphan := orphans[0].Accessor

	// The nightly run cannot settle it and says what does.
	res := renew(t, h)
	mustExit(t, "renew", res, 1)
	errs := linesWith(res.Stdout, "ERROR")
	if len(errs) != 1 || !strings.Contains(errs[0], "interrupted mint(s) not settled") {
		t.Errorf("ERROR lines = %q, want one saying the interrupted mint is not settled\n%s", errs, res)
	}
	if strings.Contains(res.Stdout, "--scan") {
		t.Errorf("renew suggests --scan, which cannot settle a mint with nothing stored:\n%s", res)
	}
	remedy := backticked(errs, "vault login")

	text := h.Run(t, "", bins.Helper, "status")
	mustExit(t, "status", text, 1)
	if strings.Contains(text.Stdout, "(erased)") || !strings.Contains(text.Stdout, "interrupted mint(s) not settled") {
		t.Errorf("status calls the address erased or says nothing of the journal:\n%s", text)
	}
	if got := backticked(nonEmptyLines(text.Stdout), "vault login"); got != remedy {
		t.Errorf("status prints %q, renew %q: want one remedy", got, remedy)
	}
	var js struct {
		Healthy   bool `json:"healthy"`
		Addresses []struct {
			JournalEntries int      `json:"journal_entries"`
			Reasons        []string `json:"reasons"`
		} `json:"addresses"`
	}
	out := h.Run(t, "", bins.Helper, "status", "--json")
	if err := json.Unmarshal([]byte(out.Stdout), &js); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if js.Healthy || len(js.Addresses) != 1 || js.Addresses[0].JournalEntries != 1 || len(js.Addresses[0].Reasons) == 0 {
		t.Errorf("status --json = %+v, want unhealthy with the journal entry as a reason", js)
	}
	if _, err := s.Lookup(t, orphan); err != nil {
		t.Fatalf("the orphan died before the remedy ran: %v", err)
	}

	// The command it prints, as printed.
	if remedy != "vault login -method=oidc" {
		t.Fatalf("remedy = %q, want `vault login -method=oidc`", remedy)
	}
	mustExit(t, remedy, h.LoginOIDC(t, vaulttest.OIDCRole), 0)
	if _, err := s.Lookup(t, orphan); err == nil {
		t.Errorf("the token of the interrupted mint (%s) is still live after %s", orphan, remedy)
	}
	stored := lookupJSON(t, h)["accessor"].(string)
	if live := s.Tokens(t, wizard); len(live) != 1 || live[0].Accessor != stored {
		t.Errorf("live tokens named %s: %+v, want only the stored %s", wizard, live, stored)
	}
	if n := journalLen(t, h); n != 0 {
		t.Errorf("journal has %d entries after %s, want 0", n, remedy)
	}
	if after := h.Run(t, "", bins.Helper, "status"); strings.Contains(after.Stdout, "interrupted mint") {
		t.Errorf("status still reports the interrupted mint:\n%s", after)
	}
	mustExit(t, "renew after the remedy", renew(t, h), 0)
}

// backticked is the first `command` in lines that starts with prefix.
func backticked(lines []string, prefix string) string {
	for _, l := range lines {
		for i, part := range strings.Split(l, "`") {
			if i%2 == 1 && strings.HasPrefix(part, prefix) {
				return part
			}
		}
	}
	return ""
}
