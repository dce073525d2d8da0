package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// An admin OIDC login through the real CLI leaves the periodic token, not
// the 7-day OIDC token; a weak login afterwards is refused.
func TestOIDCLoginMintsPeriodicTokenAndWeakLoginIsRefused(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	s.EnableOIDC(t)

	mustExit(t, "vault login -method=oidc", h.LoginOIDC(t, vaulttest.OIDCRole), 0)

	data := lookupJSON(t, h)
	if got := data["display_name"]; got != wizard {
		t.Errorf("display_name = %v, want %q", got, wizard)
	}
	if got := data["period"]; got != float64(768*3600) {
		t.Errorf("period = %v, want %d", got, 768*3600)
	}
	if got := data["orphan"]; got != true {
		t.Errorf("orphan = %v, want true", got)
	}
	if got, want := policiesOf(data), []string{"default", "sops-admin", "vault-admin"}; !slices.Equal(got, want) {
		t.Errorf("policies = %v, want %v", got, want)
	}
	oidcTokens := s.Tokens(t, "oidc-1234567890")
	if len(oidcTokens) != 1 {
		t.Fatalf("live OIDC login tokens = %d, want 1 (the login token is left alone)", len(oidcTokens))
	}
	if data["accessor"] == oidcTokens[0].Accessor {
		t.Errorf("the stored token is the OIDC login token (accessor %v)", data["accessor"])
	}
	got := helperGet(t, h)
	if got != data["id"] {
		t.Errorf("get printed a token other than the one the CLI uses")
	}
	if strings.HasSuffix(got, "\n") {
		t.Errorf("get printed a trailing newline")
	}
	if log := logText(t, h); countEvents(log, "MINTED") != 1 {
		t.Errorf("log has %d MINTED lines, want 1:\n%s", countEvents(log, "MINTED"), log)
	}

	// A stray weak login is refused, loudly, and the periodic token stays.
	res := h.LoginUserpass(t, "weak")
	mustExit(t, "weak userpass login", res, 2)
	for _, want := range []string{"userpass-weak", "cannot mint", "keeping periodic token " + wizard, data["accessor"].(string), "-no-store"} {
		if !strings.Contains(res.Stderr+res.Stdout, want) {
			t.Errorf("the CLI's output does not say %q:\n%s", want, res)
		}
	}
	if after := lookupJSON(t, h); after["accessor"] != data["accessor"] {
		t.Errorf("after the refused login the CLI uses accessor %v, want the periodic %v", after["accessor"], data["accessor"])
	}
	if log := logText(t, h); countEvents(log, "REFUSED") != 1 {
		t.Errorf("log has %d REFUSED lines, want 1:\n%s", countEvents(log, "REFUSED"), log)
	}
}

// A weak login as the very first login is kept as it is, so nobody is
// locked out; a later admin login mints and replaces it.
func TestFirstWeakLoginPassesThrough(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "weak login", h.LoginUserpass(t, "weak"), 0)
	if got := lookupJSON(t, h)["display_name"]; got != "userpass-weak" {
		t.Fatalf("display_name = %v, want the passed-through userpass-weak", got)
	}
	if log := logText(t, h); countEvents(log, "PASSTHROUGH") != 1 {
		t.Errorf("log has %d PASSTHROUGH lines, want 1:\n%s", countEvents(log, "PASSTHROUGH"), log)
	}
	if _, err := os.Stat(h.TokenFile()); !os.IsNotExist(err) {
		t.Errorf("a passed-through login was mirrored to ~/.vault-token (%v); only periodic tokens are", err)
	}
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	if b, err := os.ReadFile(h.TokenFile()); err != nil || string(b) != helperGet(t, h) {
		t.Errorf("~/.vault-token does not hold the minted periodic token (%v)", err)
	}
	if got := lookupJSON(t, h)["display_name"]; got != wizard {
		t.Fatalf("after an admin login display_name = %v, want %q", got, wizard)
	}
	if n := len(s.Tokens(t, wizard)); n != 1 {
		t.Errorf("live periodic tokens = %d, want 1", n)
	}
}

// Five admin logins in a row leave exactly one live periodic token.
func TestRepeatedAdminLoginsLeaveOnePeriodicToken(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	var accessors []string
	for i := 0; i < 5; i++ {
		mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
		accessors = append(accessors, lookupJSON(t, h)["accessor"].(string))
	}
	live := s.Tokens(t, wizard)
	if len(live) != 1 {
		t.Fatalf("live tokens named %s = %d, want 1: %+v", wizard, len(live), live)
	}
	if live[0].Accessor != accessors[4] {
		t.Errorf("the live periodic token is %s, want the last minted %s", live[0].Accessor, accessors[4])
	}
	if n := len(s.Tokens(t, "userpass-admin")); n != 5 {
		t.Errorf("live userpass login tokens = %d, want 5 (login tokens are left alone)", n)
	}
}

// revoke_login_token = true revokes the login token after a mint.
func TestRevokeLoginToken(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig+"revoke_login_token = true\n")
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	if n := len(s.Tokens(t, "userpass-admin")); n != 0 {
		t.Errorf("live userpass login tokens = %d, want 0", n)
	}
	if n := len(s.Tokens(t, wizard)); n != 1 {
		t.Errorf("live periodic tokens = %d, want 1", n)
	}
	// Only tokens a login method issued are revoked: never a root token
	// or one the token store created (a CI or shared admin token).
	ci, ciAcc := s.MintPeriodic(t, "ci-bot", "vault-admin")
	for _, tok := range []string{s.RootToken, ci} {
		mustExit(t, "login -method=token", h.Run(t, tok, vaulttest.Bin(t), "login", "-method=token", "-"), 0)
	}
	if _, err := s.LookupToken(t, s.RootToken); err != nil {
		t.Errorf("the root token was revoked: %v", err)
	}
	if _, err := s.Lookup(t, ciAcc); err != nil {
		t.Errorf("a token-store token was revoked: %v", err)
	}
}

// vault login -method=token: the current periodic token changes nothing;
// another token of ours is adopted and the old one revoked; a foreign
// admin token mints.
func TestLoginWithTokenAdoptsOurs(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig+"rotate_grace = \"0s\"\n")
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	first := lookupJSON(t, h)

	res := h.Run(t, first["id"].(string), vaulttest.Bin(t), "login", "-method=token", "-")
	mustExit(t, "login with the current periodic token", res, 0)
	if got := lookupJSON(t, h)["accessor"]; got != first["accessor"] {
		t.Errorf("accessor after re-login = %v, want unchanged %v", got, first["accessor"])
	}
	if log := logText(t, h); countEvents(log, "UNCHANGED") != 1 {
		t.Errorf("log has %d UNCHANGED lines, want 1", countEvents(log, "UNCHANGED"))
	}

	handMade, handAcc := s.MintPeriodic(t, "devvm-wizard", "vault-admin", "sops-admin")
	res = h.Run(t, handMade, vaulttest.Bin(t), "login", "-method=token", "-")
	mustExit(t, "login with a hand-made periodic token", res, 0)
	if got := lookupJSON(t, h)["accessor"]; got != handAcc {
		t.Errorf("accessor after adopting = %v, want the hand-made %v", got, handAcc)
	}
	live := s.Tokens(t, wizard)
	if len(live) != 1 || live[0].Accessor != handAcc {
		t.Errorf("live periodic tokens = %+v, want only the adopted %s", live, handAcc)
	}
	if log := logText(t, h); countEvents(log, "ADOPTED") != 1 {
		t.Errorf("log has %d ADOPTED lines, want 1", countEvents(log, "ADOPTED"))
	}

	// A token of ours minted on another machine is not adopted (adopting
	// would revoke it later as replaced): it is an admin login, which
	// keeps the valid periodic token stored here (KEPT).
	laptop, laptopAcc := s.MintPeriodicMeta(t, "devvm-wizard",
		map[string]string{"created_by": "vault-token-helper", "host": "laptop", "user": "tester"}, "vault-admin", "sops-admin")
	res = h.Run(t, laptop, vaulttest.Bin(t), "login", "-method=token", "-")
	mustExit(t, "login with another machine's periodic token", res, 0)
	if got := lookupJSON(t, h)["accessor"]; got != handAcc {
		t.Errorf("accessor after login = %v, want the kept %v", got, handAcc)
	}
	if log := logText(t, h); countEvents(log, "KEPT") != 1 {
		t.Errorf("log has %d KEPT lines, want 1", countEvents(log, "KEPT"))
	}
	if _, err := s.Lookup(t, laptopAcc); err != nil {
		t.Errorf("the other machine's token was revoked: %v", err)
	}
}

// Changing the config does not let a weak login drop the live periodic
// token minted under the old settings.
func TestConfigChangeKeepsPeriodicToken(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	tok := helperGet(t, h)
	writeConfig(t, h, strings.Replace(wizardConfig, `"devvm-wizard"`, `"devvm-renamed"`, 1))
	res := h.LoginUserpass(t, "weak")
	mustExit(t, "weak login after a config change", res, 2)
	if !strings.Contains(res.Stderr, "refused") {
		t.Errorf("the weak login was not refused:\n%s", res)
	}
	if got := helperGet(t, h); got != tok {
		t.Errorf("the periodic token was replaced")
	}
}

// Each Vault address keeps its own periodic token; VAULT_ADDR selects it,
// and a namespace value is a separate key.
func TestTokensArePerAddressAndNamespace(t *testing.T) {
	t.Parallel()
	a := vaulttest.Start(t)
	b := vaulttest.Start(t)
	h := vaulttest.NewHome(t, a, bins.Helper)
	writeConfig(t, h, wizardConfig)

	mustExit(t, "login to a", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	h.Setenv("VAULT_ADDR", b.Addr)
	if got := helperGet(t, h); got != "" {
		t.Fatalf("get for b before any login to b printed a token")
	}
	mustExit(t, "login to b", h.LoginUserpass(t, "admin"), 0)
	tokB := helperGet(t, h)
	if tokB == "" || tokB == tokA {
		t.Fatalf("b's token is empty or a's")
	}
	if _, err := a.LookupToken(t, tokA); err != nil {
		t.Errorf("a's token does not work on a: %v", err)
	}
	if _, err := b.LookupToken(t, tokB); err != nil {
		t.Errorf("b's token does not work on b: %v", err)
	}
	// The same address written differently is the same key.
	h.Setenv("VAULT_ADDR", "HTTP://"+strings.TrimPrefix(a.Addr, "http://")+"/")
	if got := helperGet(t, h); got != tokA {
		t.Errorf("get with %s did not print a's token", "HTTP://.../")
	}
	h.Setenv("VAULT_NAMESPACE", "team")
	if got := helperGet(t, h); got != "" {
		t.Errorf("get with VAULT_NAMESPACE=team printed the token of the root namespace")
	}
	h.Setenv("VAULT_ADDR", a.Addr)
	if n := len(a.Tokens(t, wizard)); n != 1 {
		t.Errorf("periodic tokens on a = %d, want 1", n)
	}
}

// Input on stdin is validated before anything else: each bad input gets
// one line on stderr, exit 1, and nothing is written.
func TestStoreRejectsBadInput(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	before := helperGet(t, h)
	state := statePath(t, h)
	stBefore, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	admin := s.Login(t, "admin")
	tests := []struct {
		name  string
		stdin string
		want  string
	}{
		{"empty", "", "empty"},
		{"spaces", "   ", "white space"},
		{"NUL", "hvs.abc\x00def", "non-printable"},
		{"invalid UTF-8", "hvs.\xff\xfe", "non-printable"},
		{"1 MiB", strings.Repeat("a", 1<<20), "more than"},
		{"10 MiB", strings.Repeat("a", 10<<20), "more than"},
		{"second line", admin + "\nhvs.other", "more than one line"},
		{"CRLF then more", admin + "\r\n\r\n", "more than one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.Run(t, tt.stdin, bins.Helper, "store")
			mustExit(t, "store", res, 1)
			if !strings.Contains(res.Stderr, tt.want) || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
				t.Errorf("stderr = %q, want one line saying %q", res.Stderr, tt.want)
			}
			if res.Stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.Stdout)
			}
			if strings.Contains(res.Stderr, admin) {
				t.Errorf("stderr contains the token")
			}
		})
	}
	if got := helperGet(t, h); got != before {
		t.Errorf("the stored token changed")
	}
	if after, _ := os.ReadFile(state); string(after) != string(stBefore) {
		t.Errorf("the state file changed")
	}
	// CRLF-terminated input is accepted as the token: an admin login,
	// which keeps the valid periodic token.
	res := h.Run(t, admin+"\r\n", bins.Helper, "store")
	mustExit(t, "store with CRLF", res, 0)
	if got := helperGet(t, h); got != before || !strings.Contains(res.Stderr, "KEPT") {
		t.Errorf("after a CRLF admin store, want the periodic token KEPT:\n%s", res)
	}
}

func statePath(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(h.DataHome, "vault-token-helper", "tokens", "*", "state.json"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("state files = %v (%v), want exactly one", matches, err)
	}
	return matches[0]
}

// The token store is private: 0600 files, 0700 directories; get refuses
// a symlinked or loose token file, saying how to fix it.
func TestFileModesAndUnsafeFiles(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	state := statePath(t, h)
	for p, want := range map[string]os.FileMode{
		state:                             0o600,
		filepath.Dir(state):               0o700,
		filepath.Dir(filepath.Dir(state)): 0o700,
		filepath.Join(h.DataHome, "vault-token-helper"):                            0o700,
		filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log"): 0o600,
		h.TokenFile(): 0o600,
	} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %04o, want %04o", p, got, want)
		}
	}

	tests := []struct {
		name    string
		break_  func(t *testing.T)
		restore func(t *testing.T)
		want    string
	}{
		{"0644", func(t *testing.T) { chmod(t, state, 0o644) }, func(t *testing.T) { chmod(t, state, 0o600) }, "chmod 600"},
		{"symlink", func(t *testing.T) {
			rename(t, state, state+".real")
			if err := os.Symlink(state+".real", state); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T) { rename(t, state+".real", state) }, "symlink"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.break_(t)
			res := h.Run(t, "", bins.Helper, "get")
			tt.restore(t)
			mustExit(t, "get", res, 1)
			if res.Stdout != "" {
				t.Errorf("get printed a token from an unsafe file")
			}
			if !strings.Contains(res.Stderr, state) || !strings.Contains(res.Stderr, tt.want) {
				t.Errorf("stderr %q does not name %s and say %q", res.Stderr, state, tt.want)
			}
			// The CLI itself fails rather than going on without a token.
			tt.break_(t)
			r := h.Vault(t, "token", "lookup")
			tt.restore(t)
			if r.Code == 0 || !strings.Contains(r.Stderr, "token helper") {
				t.Errorf("vault token lookup with an unsafe token file: %s\nwant a token helper failure", r)
			}
		})
	}
}

func chmod(t *testing.T, p string, m os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, m); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, a, b string) {
	t.Helper()
	if err := os.Remove(b); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.Rename(a, b); err != nil {
		t.Fatal(err)
	}
}

// A broken config makes store fail loudly with nothing changed; get never
// reads the config.
func TestBrokenConfigFailsStoreNotGet(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	tok := helperGet(t, h)
	tests := []struct {
		name   string
		config string
		mode   os.FileMode
		want   string
	}{
		{"unknown key", wizardConfig + "colour = \"red\"\n", 0o600, "line 7"},
		{"bad period", strings.Replace(wizardConfig, `"768h"`, `"a month"`, 1), 0o600, "period"},
		{"unreadable", wizardConfig, 0o000, "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeConfig(t, h, tt.config)
			chmod(t, configPath(h), tt.mode)
			defer func() {
				if err := os.RemoveAll(configPath(h)); err != nil {
					t.Fatal(err)
				}
				writeConfig(t, h, wizardConfig)
			}()
			if tt.mode == 0 && os.Geteuid() == 0 {
				// root reads any file: make the path unreadable another way
				if err := os.Remove(configPath(h)); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(configPath(h), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			res := h.LoginUserpass(t, "admin")
			mustExit(t, "login with a broken config", res, 2)
			if !strings.Contains(res.Stderr, tt.want) {
				t.Errorf("login output does not say %q:\n%s", tt.want, res)
			}
			if got := helperGet(t, h); got != tok {
				t.Errorf("get with a broken config did not print the stored token")
			}
		})
	}
	if n := len(s.Tokens(t, wizard)); n != 1 {
		t.Errorf("periodic tokens = %d, want 1 (nothing minted with a broken config)", n)
	}
}

// vault logout / erase: get prints nothing and the minted token is revoked.
func TestEraseRevokesMintedToken(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	acc := lookupJSON(t, h)["accessor"].(string)

	res := h.Run(t, "", bins.Helper, "erase")
	mustExit(t, "erase", res, 0)
	if got := helperGet(t, h); got != "" {
		t.Errorf("get after erase printed a token")
	}
	if _, err := s.Lookup(t, acc); err == nil {
		t.Errorf("the erased periodic token %s is still live", acc)
	}
	if _, err := os.Stat(h.TokenFile()); !os.IsNotExist(err) {
		t.Errorf("~/.vault-token still exists after erase: %v", err)
	}
	if log := logText(t, h); countEvents(log, "ERASED") != 1 || countEvents(log, "REVOKED") < 1 {
		t.Errorf("log lacks ERASED/REVOKED:\n%s", log)
	}
	mustExit(t, "erase again", h.Run(t, "", bins.Helper, "erase"), 0)
	// Nothing stored: the nightly run has nothing to do and is healthy.
	res = h.Run(t, "", bins.Renew)
	if res.Code != 0 || !strings.Contains(res.Stdout, "SKIP") {
		t.Errorf("renew after erase: %s\nwant exit 0 and a SKIP line", res)
	}
}

// The usage contract: no verb, unknown verbs and extra arguments exit 2;
// --help and --version exit 0.
func TestUsage(t *testing.T) {
	t.Parallel()
	h := vaulttest.NewHome(t, nil, "")
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, 2, "", "usage:"},
		{[]string{"fetch"}, 2, "", "usage:"},
		{[]string{"get", "extra"}, 2, "", "usage:"},
		{[]string{"store", "x"}, 2, "", "usage:"},
		{[]string{"--help"}, 0, "usage:", ""},
		{[]string{"--version"}, 0, "vault-token-helper ", ""},
		{[]string{"check-config"}, 0, "the defaults apply", ""},
		{[]string{"check-config", "/nonexistent/config.hcl"}, 0, "the defaults apply", ""},
		{[]string{"check-config", "a", "b"}, 2, "", "usage:"},
	}
	for _, tt := range tests {
		res := h.Run(t, "", bins.Helper, tt.args...)
		if res.Code != tt.code || !strings.Contains(res.Stdout, tt.inStdout) || !strings.Contains(res.Stderr, tt.inStderr) {
			t.Errorf("vault-token-helper %v: %s\nwant exit %d, stdout with %q, stderr with %q", tt.args, res, tt.code, tt.inStdout, tt.inStderr)
		}
	}
}

// check-config names the line of the first error, and accepts a valid file.
func TestCheckConfig(t *testing.T) {
	t.Parallel()
	h := vaulttest.NewHome(t, nil, "")
	writeConfig(t, h, wizardConfig)
	res := h.Run(t, "", bins.Helper, "check-config")
	if res.Code != 0 || !strings.Contains(res.Stdout, "is valid") {
		t.Errorf("check-config of a valid file: %s", res)
	}
	writeConfig(t, h, wizardConfig+"\nmirror = \"yes\"\n")
	res = h.Run(t, "", bins.Helper, "check-config", configPath(h))
	if res.Code != 1 || !strings.Contains(res.Stderr, "line 8") || !strings.Contains(res.Stderr, "mirror") {
		t.Errorf("check-config of a bad file: %s\nwant exit 1 naming line 8 and mirror", res)
	}
}

// Without a config file: the login token's own policies, display name
// vault-token-helper.
func TestWorksWithoutConfig(t *testing.T) {
	t.Parallel()
	s, h := world(t, "")
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	data := lookupJSON(t, h)
	if got := data["display_name"]; got != "token-vault-token-helper" {
		t.Errorf("display_name = %v, want token-vault-token-helper", got)
	}
	if got, want := policiesOf(data), []string{"default", "sops-admin", "vault-admin"}; !slices.Equal(got, want) {
		t.Errorf("policies = %v, want %v", got, want)
	}
	mustExit(t, "weak login", h.LoginUserpass(t, "weak"), 2)
	if n := len(s.Tokens(t, "token-vault-token-helper")); n != 1 {
		t.Errorf("periodic tokens = %d, want 1", n)
	}
}

// A root token mints like an admin token and is never stored itself.
func TestRootTokenMints(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	res := h.Run(t, s.RootToken, vaulttest.Bin(t), "login", "-method=token", "-")
	mustExit(t, "root login", res, 0)
	data := lookupJSON(t, h)
	if data["display_name"] != wizard || slices.Contains(policiesOf(data), "root") {
		t.Errorf("after a root login the CLI uses %v with %v, want %s without root", data["display_name"], policiesOf(data), wizard)
	}
	// Without policies configured, root has nothing to derive them from:
	// the store fails loudly and nothing is kept.
	h2 := vaulttest.NewHome(t, s, bins.Helper)
	res = h2.Run(t, s.RootToken, vaulttest.Bin(t), "login", "-method=token", "-")
	mustExit(t, "root login without config", res, 2)
	if !strings.Contains(res.Stderr, "periodic_token.policies") {
		t.Errorf("the failure does not say to configure policies:\n%s", res)
	}
	if got := helperGet(t, h2); got != "" {
		t.Errorf("a root token was stored")
	}
}

// status reports without printing a token, and fails for a bad token.
func TestStatus(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	tok := helperGet(t, h)
	res := h.Run(t, "", bins.Helper, "status", "--json")
	mustExit(t, "status --json", res, 0)
	if strings.Contains(res.Stdout+res.Stderr, tok) {
		t.Fatal("status printed the token")
	}
	var st struct {
		Addresses []struct {
			Address     string `json:"address"`
			Accessor    string `json:"accessor"`
			DisplayName string `json:"display_name"`
			Ours        bool   `json:"ours"`
			Valid       bool   `json:"valid"`
			TTLSeconds  int64  `json:"ttl_seconds"`
			Mirror      string `json:"mirror"`
		} `json:"addresses"`
		Healthy bool `json:"healthy"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, res.Stdout)
	}
	if len(st.Addresses) != 1 {
		t.Fatalf("status lists %d addresses, want 1", len(st.Addresses))
	}
	a := st.Addresses[0]
	if a.Address != s.Addr || a.DisplayName != wizard || !a.Ours || !a.Valid || a.TTLSeconds < int64((767*time.Hour).Seconds()) || !strings.HasPrefix(a.Mirror, "in sync") || !st.Healthy {
		t.Errorf("status = %+v healthy=%v; want %s, ours, valid, ttl about 768h, mirror in sync", a, st.Healthy, wizard)
	}
	text := h.Run(t, "", bins.Helper, "status")
	mustExit(t, "status", text, 0)
	if !strings.Contains(text.Stdout, a.Accessor) || strings.Contains(text.Stdout, tok) {
		t.Errorf("status text does not name the accessor, or prints the token:\n%s", text.Stdout)
	}
	// Someone revokes the periodic token: status exits 1 and says so.
	s.Revoke(t, a.Accessor)
	res = h.Run(t, "", bins.Helper, "status")
	mustExit(t, "status with a revoked token", res, 1)
	if !strings.Contains(res.Stdout, "not valid") {
		t.Errorf("status does not say the token is not valid:\n%s", res.Stdout)
	}
}
