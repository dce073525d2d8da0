package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Issue 13 and the decisions of issue 15 that keep a token: KEPT, the
// rotation grace, rotate, a broken config, the downgrade guard, two
// spellings of one Vault, a login that may not look itself up, batch
// tokens. Real CLI, real dev Vault.

// statusJSON runs `vault-token-helper status --json`.
func statusJSON(t *testing.T, h *vaulttest.Home) (Status, vaulttest.Result) {
	t.Helper()
	res := h.Run(t, "", bins.Helper, "status", "--json")
	var st Status
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, res)
	}
	return st, res
}

// Status is the part of status --json these tests read.
type Status struct {
	Addresses []struct {
		Address  string `json:"address"`
		Accessor string `json:"accessor"`
		Ours     bool   `json:"ours"`
		Valid    bool   `json:"valid"`
		Pending  []struct {
			Accessor    string     `json:"accessor"`
			RevokeAfter *time.Time `json:"revoke_after"`
		} `json:"pending"`
	} `json:"addresses"`
	Healthy bool `json:"healthy"`
}

// addUser creates a userpass user with the given token settings.
func addUser(t *testing.T, s *vaulttest.Server, name string, data map[string]any) {
	t.Helper()
	data["password"] = vaulttest.Password
	if _, err := s.Root(t).Logical().Write("auth/userpass/users/"+name, data); err != nil {
		t.Fatalf("create userpass user %s: %v", name, err)
	}
}

func putPolicy(t *testing.T, s *vaulttest.Server, name, rules string) {
	t.Helper()
	if err := s.Root(t).Sys().PutPolicy(name, rules); err != nil {
		t.Fatalf("put policy %s: %v", name, err)
	}
}

// Two admin logins in a row: one live periodic token, the same accessor;
// a process holding the token from before the second login still works;
// the login says KEPT.
func TestAdminLoginKeepsValidPeriodicToken(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "first admin login", h.LoginUserpass(t, "admin"), 0)
	first := lookupJSON(t, h)
	held := first["id"].(string) // what consul-template read a minute ago

	mustExit(t, "second admin login", h.LoginUserpass(t, "admin"), 0)
	second := lookupJSON(t, h)
	if second["accessor"] != first["accessor"] {
		t.Errorf("accessor after the second login = %v, want the kept %v", second["accessor"], first["accessor"])
	}
	if live := s.Tokens(t, wizard); len(live) != 1 {
		t.Errorf("live periodic tokens = %d, want 1", len(live))
	}
	if _, err := s.LookupToken(t, held); err != nil {
		t.Errorf("a process holding the token from before the second login fails: %v", err)
	}
	if n := len(s.Tokens(t, "userpass-admin")); n != 2 {
		t.Errorf("live login tokens = %d, want 2 (left alone)", n)
	}
	if st := h.Run(t, "", bins.Helper, "status"); !strings.Contains(st.Stdout, "KEPT (accessor "+first["accessor"].(string)+")") {
		t.Errorf("status does not show the login KEPT the token:\n%s", st)
	}
	log := logText(t, h)
	if countEvents(log, "KEPT") != 1 || countEvents(log, "MINTED") != 1 || countEvents(log, "REVOKED") != 0 {
		t.Errorf("log: KEPT %d, MINTED %d, REVOKED %d; want 1, 1, 0:\n%s", countEvents(log, "KEPT"), countEvents(log, "MINTED"), countEvents(log, "REVOKED"), log)
	}

	// The helper says so in one line naming the accessor (the CLI shows a
	// helper's stderr only on failure, so run it as the CLI does).
	res := h.Run(t, s.Login(t, "admin"), bins.Helper, "store")
	mustExit(t, "store of a third admin login", res, 0)
	if lines := nonEmptyLines(res.Stderr); len(lines) != 1 || !strings.Contains(lines[0], "KEPT") || !strings.Contains(lines[0], first["accessor"].(string)) {
		t.Errorf("stderr = %q, want one KEPT line naming %v", res.Stderr, first["accessor"])
	}
	if strings.Contains(res.Stderr, held) {
		t.Error("stderr holds the token")
	}
}

// A config change of policies, then an admin login: a new token with the
// new policies; the old one still answers during the grace, status shows
// its pending revocation, and the first sweep after the grace revokes it.
// Two worlds keep both halves free of the clock: a grace of an hour that
// no slow machine outlasts for "during", and a short one waited out for
// "after".
func TestPolicyChangeRotatesWithGrace(t *testing.T) {
	t.Parallel()
	t.Run("during the grace", func(t *testing.T) {
		t.Parallel()
		s, h, r := rotateByPolicyChange(t, "1h")
		res := renew(t, h)
		mustExit(t, "renew during the grace", res, 0)
		if got := linesWith(res.Stdout, "REVOKED"); len(got) != 0 {
			t.Errorf("REVOKED lines = %q during the grace, want none\n%s", got, res)
		}
		if _, err := s.LookupToken(t, r.oldTok); err != nil {
			t.Errorf("a sweep during the grace revoked the old token: %v", err)
		}
		if st, _ := statusJSON(t, h); len(st.Addresses) != 1 || len(st.Addresses[0].Pending) != 1 || st.Addresses[0].Pending[0].Accessor != r.oldAcc {
			t.Errorf("status after a renew during the grace: %+v, want %s still pending", st, r.oldAcc)
		}
	})
	t.Run("after the grace", func(t *testing.T) {
		t.Parallel()
		s, h, r := rotateByPolicyChange(t, "2s")
		time.Sleep(time.Until(r.revokeAfter)) // the grace itself, not a guess
		res := renew(t, h)
		mustExit(t, "renew after the grace", res, 0)
		if got := linesWith(res.Stdout, "REVOKED"); len(got) != 1 || !strings.Contains(got[0], r.oldAcc) {
			t.Errorf("REVOKED lines = %q, want one for %s\n%s", got, r.oldAcc, res)
		}
		if _, err := s.LookupToken(t, r.oldTok); err == nil {
			t.Error("the old token still answers after the first sweep after its grace")
		}
	})
}

// rotation is a token rotated out by a policy change, in its grace.
type rotation struct {
	oldTok, oldAcc string
	revokeAfter    time.Time
}

// rotateByPolicyChange logs in as admin, adds a policy to the config with
// the given rotate_grace, logs in again and checks what holds at once:
// the new token carries the new policies, the old one still answers, and
// status shows it pending with its revocation time.
func rotateByPolicyChange(t *testing.T, grace string) (*vaulttest.Server, *vaulttest.Home, rotation) {
	t.Helper()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	old := lookupJSON(t, h)
	r := rotation{oldTok: old["id"].(string), oldAcc: old["accessor"].(string)}

	writeConfig(t, h, strings.Replace(wizardConfig, `["vault-admin", "sops-admin"]`, `["vault-admin", "sops-admin", "read-only"]`, 1)+
		"rotate_grace = \""+grace+"\"\n")
	mustExit(t, "admin login after the policy change", h.LoginUserpass(t, "admin"), 0)
	cur := lookupJSON(t, h)
	if cur["accessor"] == r.oldAcc {
		t.Fatalf("the login kept the token minted under the old policies")
	}
	if got, want := policiesOf(cur), []string{"default", "read-only", "sops-admin", "vault-admin"}; !slices.Equal(got, want) {
		t.Errorf("new token policies = %v, want %v", got, want)
	}
	if _, err := s.LookupToken(t, r.oldTok); err != nil {
		t.Fatalf("the old token stopped answering during the grace: %v", err)
	}
	st, _ := statusJSON(t, h)
	if len(st.Addresses) != 1 || len(st.Addresses[0].Pending) != 1 || st.Addresses[0].Pending[0].Accessor != r.oldAcc || st.Addresses[0].Pending[0].RevokeAfter == nil {
		t.Fatalf("status: %+v, want the old token pending with its revocation time", st)
	}
	r.revokeAfter = *st.Addresses[0].Pending[0].RevokeAfter
	if text := h.Run(t, "", bins.Helper, "status"); !strings.Contains(text.Stdout, r.oldAcc) || !strings.Contains(text.Stdout, "after "+r.revokeAfter.Format(time.RFC3339)) {
		t.Errorf("status does not show the pending revocation and its time:\n%s", text)
	}
	return s, h, r
}

// rotate mints a successor with the stored token's authority: with
// rotate_grace = 0 the old one dies at once; with the default grace it
// lives on, pending, and ~/.vault-token already holds the new one.
func TestRotate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		config  string
		oldLive bool
	}{
		{"grace 0", wizardConfig + "rotate_grace = \"0s\"\n", false},
		{"default grace", wizardConfig, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, h := world(t, tt.config)
			mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
			old := lookupJSON(t, h)
			res := h.Run(t, "", bins.Helper, "rotate")
			mustExit(t, "rotate", res, 0)
			cur := lookupJSON(t, h)
			if cur["accessor"] == old["accessor"] {
				t.Fatalf("rotate kept the accessor %v", old["accessor"])
			}
			if !strings.Contains(res.Stderr, "rotated") || !strings.Contains(res.Stderr, old["accessor"].(string)) {
				t.Errorf("rotate output does not name the old accessor:\n%s", res)
			}
			if b, err := os.ReadFile(h.TokenFile()); err != nil || string(b) != cur["id"] {
				t.Errorf("~/.vault-token does not hold the new token: %v", err)
			}
			_, err := s.LookupToken(t, old["id"].(string))
			if live := err == nil; live != tt.oldLive {
				t.Errorf("old token live = %v, want %v", live, tt.oldLive)
			}
			st, _ := statusJSON(t, h)
			if pending := len(st.Addresses[0].Pending) == 1; pending != tt.oldLive {
				t.Errorf("status pending %+v, want pending = %v", st.Addresses[0].Pending, tt.oldLive)
			}
			if n := countEvents(logText(t, h), "MINTED"); n != 2 {
				t.Errorf("log has %d MINTED lines, want 2", n)
			}
		})
	}
}

// A broken config: renew renews the stored token, exits 1, and names the
// error in one line; the log has it. Status and erase still work.
func TestBrokenConfigRenewStillRenews(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	acc := lookupJSON(t, h)["accessor"].(string)
	writeConfig(t, h, strings.Replace(wizardConfig, "policies ", "polices ", 1))

	res := renew(t, h)
	mustExit(t, "renew with a broken config", res, 1)
	if got := linesWith(res.Stdout, "OK"); len(got) != 1 || !strings.Contains(got[0], acc) {
		t.Errorf("OK lines = %q, want the stored token renewed\n%s", got, res)
	}
	errs := linesWith(res.Stdout, "ERROR")
	if len(errs) != 1 || !strings.Contains(errs[0], "polices") {
		t.Errorf("ERROR lines = %q, want one naming periodic_token.polices\n%s", errs, res)
	}
	if log := logText(t, h); !strings.Contains(log, "polices") || countEvents(log, "ERROR") == 0 {
		t.Errorf("the log does not have the config error:\n%s", log)
	}

	st, sres := statusJSON(t, h)
	mustExit(t, "status with a broken config", sres, 1)
	if len(st.Addresses) != 1 || !st.Addresses[0].Valid || !st.Addresses[0].Ours || !strings.Contains(sres.Stderr, "polices") {
		t.Errorf("status: %+v\n%s\nwant the stored token valid and ours, and the config error", st, sres)
	}
	mustExit(t, "erase with a broken config", h.Run(t, "", bins.Helper, "erase"), 0)
	if _, err := s.Lookup(t, acc); err == nil {
		t.Error("erase with a broken config did not revoke the minted token")
	}
}

// Issue 15.1: with the default configuration (no policies), a login that
// holds only a "minter" policy never replaces the stored vault-admin
// token with a weaker one: it keeps it (KEPT), and with rotate_on_login
// the new token carries the recorded policies.
func TestNoSilentDowngrade(t *testing.T) {
	t.Parallel()
	s, h := world(t, "")
	putPolicy(t, s, "minter", `path "auth/token/create-orphan" { capabilities = ["update", "sudo"] }`)
	addUser(t, s, "minter", map[string]any{"token_policies": "minter", "token_max_ttl": "168h"})
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	first := lookupJSON(t, h)
	want := []string{"default", "sops-admin", "vault-admin"}

	mustExit(t, "minter login", h.LoginUserpass(t, "minter"), 0)
	kept := lookupJSON(t, h)
	if kept["accessor"] != first["accessor"] || !slices.Equal(policiesOf(kept), want) {
		t.Errorf("after the minter login: accessor %v policies %v, want the kept %v with %v", kept["accessor"], policiesOf(kept), first["accessor"], want)
	}
	if countEvents(logText(t, h), "KEPT") != 1 {
		t.Errorf("the minter login was not KEPT:\n%s", logText(t, h))
	}

	writeConfig(t, h, "rotate_on_login = true\nrotate_grace = \"0s\"\n")
	mustExit(t, "minter login with rotate_on_login", h.LoginUserpass(t, "minter"), 0)
	cur := lookupJSON(t, h)
	if cur["accessor"] == first["accessor"] || !slices.Equal(policiesOf(cur), want) {
		t.Errorf("after rotation: accessor %v policies %v, want a new token with the recorded %v", cur["accessor"], policiesOf(cur), want)
	}
	mustExit(t, "renew", renew(t, h), 0)
}

// Issue 15.2: 127.0.0.1 and localhost are two keys for one Vault. A token
// both hold is never revoked by a rotation under one of them, and
// mirror_address matches the address under either spelling.
func TestTwoSpellingsNeverRevokeEachOther(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig+"rotate_grace = \"0s\"\n")
	localhost := strings.Replace(s.Addr, "127.0.0.1", "localhost", 1)
	mustExit(t, "admin login at 127.0.0.1", h.LoginUserpass(t, "admin"), 0)
	shared := lookupJSON(t, h)

	h.Setenv("VAULT_ADDR", localhost)
	mustExit(t, "the same token at localhost", h.Run(t, shared["id"].(string), vaulttest.Bin(t), "login", "-method=token", "-"), 0)
	if countEvents(logText(t, h), "ADOPTED") != 1 {
		t.Fatalf("localhost did not adopt the token:\n%s", logText(t, h))
	}
	mustExit(t, "rotate at localhost", h.Run(t, "", bins.Helper, "rotate"), 0)
	mustExit(t, "renew", renew(t, h), 0)
	if _, err := s.Lookup(t, shared["accessor"].(string)); err != nil {
		t.Errorf("rotating at localhost revoked the token 127.0.0.1 holds: %v", err)
	}
	if countEvents(logText(t, h), "SPARED") == 0 {
		t.Errorf("the log has no SPARED line:\n%s", logText(t, h))
	}
	h.Setenv("VAULT_ADDR", s.Addr)
	if got := lookupJSON(t, h)["accessor"]; got != shared["accessor"] {
		t.Errorf("127.0.0.1 uses %v, want %v", got, shared["accessor"])
	}

	// Both spellings stored, mirror_address written as ::1: another socket,
	// so another Vault (issue 20.3; before, all of loopback was one and
	// renew warned of two matching spellings). Neither is mirrored and
	// ~/.vault-token is left alone.
	writeConfig(t, h, wizardConfig+"rotate_grace = \"0s\"\nmirror_address = \""+strings.Replace(s.Addr, "127.0.0.1", "[::1]", 1)+"\"\n")
	if err := os.WriteFile(h.TokenFile(), []byte("not-a-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := renew(t, h)
	if strings.Contains(res.Stdout, "none written exactly as it") {
		t.Errorf("renew with mirror_address at ::1: warns of spellings of 127.0.0.1 matching it\n%s", res)
	}
	if b, err := os.ReadFile(h.TokenFile()); err != nil || string(b) != "not-a-token" {
		t.Errorf("~/.vault-token: got %d bytes (%v), want it left alone: ::1 has no stored token", len(b), err)
	}

	// mirror_address spelled localhost mirrors the token of a login at
	// 127.0.0.1.
	h2 := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, h2, wizardConfig+"mirror_address = \""+localhost+"\"\n")
	mustExit(t, "admin login at 127.0.0.1", h2.LoginUserpass(t, "admin"), 0)
	if b, err := os.ReadFile(h2.TokenFile()); err != nil || string(b) != lookupJSON(t, h2)["id"] {
		t.Errorf("~/.vault-token does not mirror the token of 127.0.0.1 with mirror_address at localhost: %v", err)
	}
}

// Issue 15, also: a login token that may mint but not look itself up is
// told apart from an invalid one; with configured policies it mints.
func TestLoginThatCannotLookItselfUp(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	putPolicy(t, s, "nolookup", `path "auth/token/lookup-self" { capabilities = ["deny"] }`)
	addUser(t, s, "blind", map[string]any{"token_policies": "vault-admin,sops-admin,nolookup", "token_max_ttl": "168h"})
	mustExit(t, "first login, may not look itself up", h.LoginUserpass(t, "blind"), 0)
	if got := lookupJSON(t, h)["display_name"]; got != wizard {
		t.Errorf("display name = %v, want the minted %s", got, wizard)
	}

	// Without configured policies there is nothing to mint with: refused,
	// and not called invalid.
	h2 := vaulttest.NewHome(t, s, bins.Helper)
	res := h2.LoginUserpass(t, "blind")
	mustExit(t, "login with no policies configured", res, 2)
	if out := res.Stderr + res.Stdout; !strings.Contains(out, "may not look itself up") || strings.Contains(out, "not valid") {
		t.Errorf("the refusal does not say the token may not look itself up:\n%s", res)
	}
}

// Issue 15, also: a role that issues batch tokens can never mint; the
// refusal says so.
func TestBatchTokenLoginIsRefused(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	addUser(t, s, "batch", map[string]any{"token_policies": "vault-admin,sops-admin", "token_type": "batch", "token_max_ttl": "168h"})
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	kept := lookupJSON(t, h)["accessor"]
	res := h.LoginUserpass(t, "batch")
	mustExit(t, "batch login", res, 2)
	if out := res.Stderr + res.Stdout; !strings.Contains(out, "batch token") || !strings.Contains(out, "refused") {
		t.Errorf("the refusal does not say batch tokens cannot mint:\n%s", res)
	}
	if got := lookupJSON(t, h)["accessor"]; got != kept {
		t.Errorf("accessor = %v, want the kept %v", got, kept)
	}
}

// The bound of a whole command, not only of one call: a renew whose
// revocations all hang (several pending tokens, each revoke-accessor
// running into every timeout and retry) ends at its operation bound,
// 2 × heal.UnattendedRetry.CallBound(request timeout), with the token
// renewed and the revocations kept for the next run. That every call was
// tried is proved by counting, not by the clock: each pending token has
// its WARN line, the calls that had their whole budget were retried, and
// the attempts renew reports are the requests the proxy saw.
func TestFaultRenewEndsAtItsOperationBound(t *testing.T) {
	t.Parallel()
	e := newFaultWorld(t)
	writeConfig(t, e.h, strings.Replace(rotatingConfig, `rotate_grace = "0s"`, `rotate_grace = "3s"`, 1))
	for i := 0; i < 3; i++ {
		mustExit(t, "rotate", e.h.Run(t, "", bins.Helper, "rotate"), 0)
	}
	pending := readFaultState(t, e.h).Pending
	if len(pending) < 2 {
		t.Fatalf("pending %+v, want the rotated tokens waiting for their grace", pending)
	}
	time.Sleep(time.Until(pending[len(pending)-1].RevokeAfter)) // the grace itself
	const revokePath = "/v1/auth/token/revoke-accessor"
	before := e.p.Count(revokePath)
	e.p.Set(vaulttest.Rule{Fault: vaulttest.Hang, Path: revokePath})
	res, took := runTimed(t, e.h, "", bins.Renew)
	endedWithin(t, "renew", took, 2*heal.UnattendedRetry.CallBound(faultTimeout))
	if got := linesWith(res.Stdout, "OK"); len(got) != 1 {
		t.Errorf("OK lines = %q, want the token renewed before the revocations hung\n%s", got, res)
	}
	var warns []string
	for _, w := range linesWith(res.Stdout, "WARN") {
		if strings.Contains(w, "could not revoke stale token") {
			warns = append(warns, w)
		}
	}
	for _, p := range pending {
		n := 0
		for _, w := range warns {
			if strings.Contains(w, p.Accessor) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d WARN lines name pending %s, want 1: every due revocation is tried and reported\n%s", n, p.Accessor, res)
		}
	}
	reported, retried := 0, 0
	for i, w := range warns {
		n := attemptsIn(w)
		reported += n
		if i < 2 { // the first two calls each had a whole CallBound of the operation's
			retried += n
			if n < 2 {
				t.Errorf("call %d made %d attempt(s), want retries until its budget ran out: %s", i+1, n, w)
			}
		}
	}
	if sent := e.p.Count(revokePath) - before; sent < retried || sent > reported {
		t.Errorf("the proxy saw %d revoke-accessor requests, want between %d (the retried calls) and %d (all renew reports)\n%s", sent, retried, reported, res)
	}
	e.p.Set()
	if n := len(readFaultState(t, e.h).Pending); n == 0 {
		t.Error("the revocations that timed out were dropped; want them kept for the next run")
	}
	mustExit(t, "renew once Vault answers", renew(t, e.h), 0)
	e.settled(t)
}

// attemptsIn is how many requests a failed call reported in its error,
// "(N attempts in D)", and 1 when it names none (a call not retried).
func attemptsIn(line string) int {
	i := strings.LastIndex(line, "(")
	if i < 0 {
		return 1
	}
	var n int
	if _, err := fmt.Sscanf(line[i:], "(%d attempts in", &n); err != nil {
		return 1
	}
	return n
}

// A token rotated out (pending, in its grace) is never stored again: not
// by `vault login -method=token` with it, not by renew finding it in a
// stale ~/.vault-token. The successor stays current, the old one pending.
func TestRotatedTokenIsNeverAdoptedAgain(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	old := lookupJSON(t, h)
	oldTok, oldAcc := old["id"].(string), old["accessor"].(string)
	mustExit(t, "rotate", h.Run(t, "", bins.Helper, "rotate"), 0)
	newAcc := lookupJSON(t, h)["accessor"].(string)

	check := func(when string) {
		t.Helper()
		st, _ := statusJSON(t, h)
		if len(st.Addresses) != 1 || st.Addresses[0].Accessor != newAcc || len(st.Addresses[0].Pending) != 1 || st.Addresses[0].Pending[0].Accessor != oldAcc {
			t.Fatalf("%s: status %+v, want %s current and %s pending", when, st, newAcc, oldAcc)
		}
		if _, err := s.Lookup(t, newAcc); err != nil {
			t.Fatalf("%s: the successor %s is gone: %v", when, newAcc, err)
		}
	}
	res := h.Run(t, oldTok, vaulttest.Bin(t), "login", "-method=token", "-")
	if res.Code == 0 || !strings.Contains(res.Stderr, "queued for revocation") {
		t.Errorf("login with the rotated-out token: %s\nwant a refusal saying it is queued for revocation", res)
	}
	check("after a login with the old token")

	if err := os.WriteFile(h.TokenFile(), []byte(oldTok), 0o600); err != nil {
		t.Fatal(err)
	}
	res = renew(t, h)
	mustExit(t, "renew with the old token in ~/.vault-token", res, 0)
	if got := linesWith(res.Stdout, "WARN"); len(got) != 1 || !strings.Contains(got[0], "queued for revocation") {
		t.Errorf("WARN lines = %q, want one saying the file held a token queued for revocation\n%s", got, res)
	}
	check("after renew")
	if b, err := os.ReadFile(h.TokenFile()); err != nil || string(b) == oldTok {
		t.Errorf("~/.vault-token still holds the old token (%v)", err)
	}
}

// A config edit never stops the renewal of the live token minted under
// the old one: renew renews it under the guard recorded with it, says
// the configuration no longer matches, and exits 1 until an admin login
// rotates it.
func TestConfigEditStillRenews(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	acc := lookupJSON(t, h)["accessor"].(string)
	writeConfig(t, h, strings.Replace(wizardConfig, `"devvm-wizard"`, `"devvm-renamed"`, 1))

	res := renew(t, h)
	mustExit(t, "renew after a display_name edit", res, 1)
	if got := linesWith(res.Stdout, "OK"); len(got) != 1 || !strings.Contains(got[0], acc) {
		t.Errorf("OK lines = %q, want the stored token %s renewed\n%s", got, acc, res)
	}
	if got := linesWith(res.Stdout, "WARN"); len(got) != 1 || !strings.Contains(got[0], "no longer matches") || !strings.Contains(got[0], "rotates it") {
		t.Errorf("WARN lines = %q, want one saying the config no longer matches and a login rotates it\n%s", got, res)
	}
	if got := linesWith(res.Stdout, "DRIFT"); len(got) != 0 {
		t.Errorf("DRIFT lines = %q, want none\n%s", got, res)
	}

	mustExit(t, "admin login after the edit", h.LoginUserpass(t, "admin"), 0)
	if cur := lookupJSON(t, h); cur["accessor"] == acc || cur["display_name"] != "token-devvm-renamed" {
		t.Errorf("after the admin login: %v (%v), want a new token-devvm-renamed", cur["accessor"], cur["display_name"])
	}
	mustExit(t, "renew after the rotation", renew(t, h), 0)
}
