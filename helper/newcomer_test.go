package helper

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
)

// TestUnknownVerbListsTheVerbs: a verb that is not one of ours, close to
// one or to none (login), gets a usage error that lists every verb.
func TestUnknownVerbListsTheVerbs(t *testing.T) {
	t.Parallel()
	env := testEnv(t, fakevault.New("http://127.0.0.1:8200"))
	var names []string
	for _, v := range verbTable() {
		names = append(names, v.Name)
	}
	list := "commands: " + strings.Join(names, ", ") + " (--help for more)"
	tests := []struct {
		verb, want string
	}{
		{"login", `unknown command "login": log in with ` + "`vault login`" + `, which hands the token to store`},
		{"logout", `unknown command "logout": erase forgets the stored token`},
		{"stauts", `unknown command "stauts"; did you mean status?`},
		{"frobnicate", `unknown command "frobnicate"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.verb, func(t *testing.T) {
			t.Parallel()
			r := runHelper(env, "", tt.verb)
			if r.code != ExitUsage || r.stdout != "" {
				t.Errorf("got exit %d and stdout %q, want exit %d and none", r.code, r.stdout, ExitUsage)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("got stderr %q, want it to say %q", r.stderr, tt.want)
			}
			if !strings.Contains(r.stderr, list) {
				t.Errorf("got stderr %q, want the list of verbs %q", r.stderr, list)
			}
			if n := strings.Count(r.stderr, "\n"); n != 2 {
				t.Errorf("got %d lines, want 2:\n%s", n, r.stderr)
			}
		})
	}
}

// TestStoreSaysWhichTokenIsInUse: every successful store ends with one
// stderr line naming the token the CLI uses from now on (display name,
// accessor, TTL), whatever the login token was.
func TestStoreSaysWhichTokenIsInUse(t *testing.T) {
	t.Parallel()
	v := fakevault.New("http://127.0.0.1:8200")
	env := installed(t, testEnv(t, v))
	weak := v.Login("jane", []string{"default"}, nil, 168*time.Hour)
	admin := func() string { return v.Login("wizard", []string{"admin"}, nil, 168*time.Hour) }
	accessor := regexp.MustCompile(`accessor ([A-Za-z0-9.]+)`)
	steps := []struct {
		name, token string
		want        *regexp.Regexp
	}{
		{"a first login that cannot mint passes through", weak,
			regexp.MustCompile(`^vault-token-helper: PASSTHROUGH: the CLI for http://127\.0\.0\.1:8200 uses the login token userpass-jane \(accessor \S+, ttl 168h0m0s\) as the built-in helper would`)},
		{"an admin login mints", admin(),
			regexp.MustCompile(`^vault-token-helper: MINTED: the CLI for http://127\.0\.0\.1:8200 now uses the periodic token token-vault-token-helper \(accessor \S+, ttl 768h0m0s\), just minted; the login token is not kept$`)},
		{"a second admin login keeps it", admin(),
			regexp.MustCompile(`^vault-token-helper: KEPT: the CLI for http://127\.0\.0\.1:8200 still uses the periodic token token-vault-token-helper \(accessor \S+, ttl 768h0m0s\), which matches the configuration`)},
	}
	for _, s := range steps {
		r := runHelper(env, s.token, "store")
		if r.code != ExitOK || !s.want.MatchString(r.stderr) {
			t.Fatalf("%s: got exit %d, stderr %q; want exit 0 and a line matching %q", s.name, r.code, r.stderr, s.want)
		}
		if strings.Contains(r.stderr, "\n") {
			t.Errorf("%s: got %q, want one line (the CLI shows it quoted)", s.name, r.stderr)
		}
		m := accessor.FindStringSubmatch(r.stderr)
		st, err := env.files().List()
		if len(err) != 0 || len(st) != 1 || st[0].Current == nil || m == nil || st[0].Current.Accessor != m[1] {
			t.Errorf("%s: the line names accessor %v, want the stored one (%v, %v)", s.name, m, st, err)
		}
	}
	stored := runHelper(env, "", "get").stdout
	r := runHelper(env, stored, "store")
	if r.code != ExitOK || !strings.Contains(r.stderr, "UNCHANGED: the CLI for http://127.0.0.1:8200 still uses the periodic token token-vault-token-helper") {
		t.Errorf("storing the stored token: got exit %d, stderr %q; want UNCHANGED naming it", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, stored) {
		t.Error("the line names the token")
	}
}

// TestDoctorNamesTheHelperPathItFound: a token_helper the CLI cannot run
// is named as the file holds it, and a leading ~ is said to be the cause.
func TestDoctorNamesTheHelperPathItFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		detail     string // substring
		fix        string // substring; HOME stands for the test's home
	}{
		{"tilde in HCL", `token_helper = "~/.local/bin/vault-token-helper"` + "\n",
			`has token_helper = "~/.local/bin/vault-token-helper": the vault CLI does not expand ~`,
			`token_helper = "HOME/.local/bin/vault-token-helper"`},
		{"tilde in JSON", `{"token_helper": "~/bin/vault-token-helper"}`,
			`has token_helper = "~/bin/vault-token-helper": the vault CLI does not expand ~`,
			`token_helper = "HOME/bin/vault-token-helper"`},
		{"absolute, missing", `token_helper = "/nonexistent/vault-token-helper"` + "\n",
			`has token_helper = "/nonexistent/vault-token-helper": the vault CLI finds no such file`,
			"the absolute path of the installed vault-token-helper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(t, fakevault.New("http://127.0.0.1:8200"))
			writeFile(t, filepath.Join(env.Paths.Home, ".vault"), tt.file, 0o600)
			r := runHelper(env, "", "doctor", "--json")
			var rep DoctorReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Checks) == 0 {
				t.Fatalf("doctor --json: %v\n%s%s", err, r.stdout, r.stderr)
			}
			c := rep.Checks[0]
			wantFix := strings.ReplaceAll(tt.fix, "HOME", env.Paths.Home)
			if c.Name != CheckVaultCLI || c.OK || !strings.Contains(c.Detail, tt.detail) || !strings.Contains(c.Fix, wantFix) {
				t.Errorf("got %+v, want a failed %s check with detail %q and fix %q", c, CheckVaultCLI, tt.detail, wantFix)
			}
		})
	}
}
