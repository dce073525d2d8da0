package helper

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/contrib/systemd"
	"github.com/vault-token-helper/vault-token-helper/heal"
	installer "github.com/vault-token-helper/vault-token-helper/helper/setup"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// TestSchedulerNoneIsAWarning: after setup --scheduler none, status and
// doctor report the missing scheduler the same way, as a warning naming
// the risk: status healthy, doctor passing (issue 21, friction 1).
func TestSchedulerNoneIsAWarning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		lazy bool
		risk string
	}{
		{"lazy renew on", true, "only the lazy renew of get renews, when you use the CLI"},
		{"lazy renew off", false, "nothing renews the periodic token unless you run vault-token-renew yourself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, _ := storedEnv(t)
			env.Sched.Systemctl = systemctlSays("UnitFileState=not-found\n")
			if err := os.Remove(filepath.Join(env.Paths.UnitDir, systemd.Timer)); err != nil {
				t.Fatal(err)
			}
			if !tt.lazy {
				lazyOff(t, &env)
			}
			writeFile(t, filepath.Join(env.Paths.Data, installer.SchedulerNoneName), "", 0o600)

			rep, r := statusJSON(t, env)
			if !rep.Healthy || r.code != ExitOK || !rep.Scheduler.Chosen || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], tt.risk) {
				t.Fatalf("status: got healthy %v exit %d chosen %v warnings %q reasons %q, want healthy with one warning saying %q",
					rep.Healthy, r.code, rep.Scheduler.Chosen, rep.Warnings, rep.Reasons, tt.risk)
			}
			var raw map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
				t.Fatal(err)
			}
			checkSchema(t, raw, loadSchema(t), "$")
			if text := runHelper(env, "", "status").stdout; !strings.Contains(text, "warning:       "+rep.Warnings[0]) || !strings.Contains(text, "healthy, with the warning above") {
				t.Errorf("status: got\n%s\nwant the warning and a healthy verdict with it", text)
			}

			dr := runHelper(env, "", "doctor", "--json")
			var drep DoctorReport
			if err := json.Unmarshal([]byte(dr.stdout), &drep); err != nil {
				t.Fatal(err)
			}
			for _, c := range drep.Checks {
				if c.Name == CheckScheduler && (!c.OK || !c.Warning || c.Detail != "warning: "+rep.Warnings[0]) {
					t.Errorf("doctor %s: got %+v, want ok with status's warning %q", CheckScheduler, c, rep.Warnings[0])
				}
			}
			if !drep.Healthy || dr.code != ExitOK {
				t.Errorf("doctor: got healthy %v exit %d, want healthy\n%s", drep.Healthy, dr.code, dr.stdout)
			}
			if text := runHelper(env, "", "doctor").stdout; !strings.Contains(text, "! warning: "+rep.Warnings[0]) {
				t.Errorf("doctor: got\n%s\nwant the warning marked !", text)
			}
		})
	}
}

// TestUnparsableVaultConfigFix: doctor's fix (and status's reason) for a
// ~/.vault the CLI cannot load names the file, the line and the error,
// not "run setup", which refuses that file (issue 21, friction 2).
func TestUnparsableVaultConfigFix(t *testing.T) {
	t.Parallel()
	env, _ := storedEnv(t)
	path := filepath.Join(env.Paths.Home, ".vault")
	writeFile(t, path, "# mine\ntoken_helper = \"unterminated\n", 0o600)
	want := "fix line 2 of \"" + path + "\" (At 2:29: literal not terminated) by hand"

	r := runHelper(env, "", "doctor", "--json")
	var drep DoctorReport
	if err := json.Unmarshal([]byte(r.stdout), &drep); err != nil {
		t.Fatal(err)
	}
	for _, c := range drep.Checks {
		if c.Name == CheckVaultCLI && (c.OK || !strings.HasPrefix(c.Fix, want) || !strings.HasSuffix(c.Fix, "then run `vault-token-helper setup`")) {
			t.Errorf("doctor %s: got fix %q, want it to start %q and end with setup", CheckVaultCLI, c.Fix, want)
		}
	}
	rep, _ := statusJSON(t, env)
	if !strings.Contains(strings.Join(rep.Reasons, "\n"), want) || !strings.HasPrefix(rep.CLIConfig.Fix, want) {
		t.Errorf("status: got reasons %q fix %q, want %q", rep.Reasons, rep.CLIConfig.Fix, want)
	}
}

// TestStatusNamesTheSpellingThatHasTheToken: VAULT_ADDR=localhost with
// the token stored for 127.0.0.1 gets a bare 403 from Vault; status and
// doctor name VAULT_ADDR and the spelling that has a token (issue 21,
// friction 5).
func TestStatusNamesTheSpellingThatHasTheToken(t *testing.T) {
	t.Parallel()
	env, _ := storedEnv(t)
	inner := env.Getenv
	env.Getenv = func(k string) string {
		if k == "VAULT_ADDR" {
			return "http://localhost:8200"
		}
		return inner(k)
	}
	rep, r := statusJSON(t, env)
	want := "VAULT_ADDR=http://localhost:8200 has no stored token, so the CLI sends none and Vault answers 403; the token is stored for http://127.0.0.1:8200"
	if rep.Healthy || r.code != ExitFail || !strings.Contains(strings.Join(rep.Reasons, "\n"), want) {
		t.Errorf("status: got healthy %v reasons %q, want unhealthy: %q", rep.Healthy, rep.Reasons, want)
	}
	if !strings.Contains(strings.Join(rep.Reasons, "\n"), "export VAULT_ADDR=http://127.0.0.1:8200") {
		t.Errorf("status: got reasons %q, want the export that fixes it", rep.Reasons)
	}
	dr := runHelper(env, "", "doctor", "--json")
	var drep DoctorReport
	if err := json.Unmarshal([]byte(dr.stdout), &drep); err != nil {
		t.Fatal(err)
	}
	for _, c := range drep.Checks {
		if c.Name == CheckVaultAddr && (c.OK || !strings.Contains(c.Detail, "http://127.0.0.1:8200") || !strings.HasPrefix(c.Fix, "export VAULT_ADDR=http://127.0.0.1:8200")) {
			t.Errorf("doctor %s: got %+v, want it failed naming the spelling with the token", CheckVaultAddr, c)
		}
	}
}

// TestStatusPassthroughVerdict: a passed-through token (a first login
// that could not mint, the token setup kept at install) is not ours by
// design: status and doctor say so without alarm (no periodic token yet;
// one that never expires is not at risk) and name the login that mints
// ours, with the method of that login (issue 21, friction 6).
func TestStatusPassthroughVerdict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ttl     time.Duration
		healthy bool
		risk    string
	}{
		{"never expires", 0, true, "it never expires, so nothing is at risk"},
		{"expires in about 30 days", 30*24*time.Hour + time.Hour, true, "it is not renewed and expires in 30 days"},
		{"expires in about 2 days", 48*time.Hour + 30*time.Minute, false, "it is not renewed and expires in 2 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := fakevault.New("http://127.0.0.1:8200")
			env := installed(t, testEnv(t, v))
			if r := runHelper(env, v.Login("reader", []string{"read-only"}, nil, tt.ttl)+"\n", "store"); r.code != ExitOK {
				t.Fatalf("store: got %+v, want exit 0 (passed through)", r)
			}
			rep, r := statusJSON(t, env)
			if len(rep.Addresses) != 1 || rep.Addresses[0].Source != string(store.SourcePassthrough) {
				t.Fatalf("status: got %+v, want one passed-through token", rep.Addresses)
			}
			a := rep.Addresses[0]
			hint := "`vault login -method=userpass`, the method of your last login"
			if !strings.HasPrefix(a.Note, "no periodic token yet") || !strings.Contains(a.Note, tt.risk) || !strings.HasSuffix(a.Note, hint) {
				t.Errorf("status note: got %q, want no periodic token yet, %q, and %s", a.Note, tt.risk, hint)
			}
			if rep.Healthy != tt.healthy || (r.code == ExitOK) != tt.healthy {
				t.Errorf("status: got healthy %v exit %d reasons %q, want healthy %v", rep.Healthy, r.code, rep.Reasons, tt.healthy)
			}
			if reasons := strings.Join(rep.Reasons, "\n"); strings.Contains(reasons, "not ours") || strings.Contains(reasons, "oidc") {
				t.Errorf("status: got reasons %q, want neither \"not ours\" nor a hard-coded oidc", rep.Reasons)
			}
			text := runHelper(env, "", "status").stdout
			if !strings.Contains(text, "  note:        "+a.Note) {
				t.Errorf("status text: got\n%s\nwant the note", text)
			}
			dr := runHelper(env, "", "doctor", "--json")
			var drep DoctorReport
			if err := json.Unmarshal([]byte(dr.stdout), &drep); err != nil {
				t.Fatal(err)
			}
			for _, c := range drep.Checks {
				if c.Name == CheckTokenValid && (!c.OK || !c.Warning || c.Detail != "warning: "+a.Note) {
					t.Errorf("doctor %s: got %+v, want ok with status's note as a warning", CheckTokenValid, c)
				}
			}
		})
	}
}

// TestEraseWhileVaultDownStaysPending: erase with Vault not answering
// the revocation says it is pending, status shows it with why, and the
// next vault-token-renew revokes it (issue 21, friction 8).
func TestEraseWhileVaultDownStaysPending(t *testing.T) {
	t.Parallel()
	env, v := storedEnv(t)
	rep, _ := statusJSON(t, env)
	acc := rep.Addresses[0].Accessor
	v.Fail(fakevault.Fault{Op: heal.OpRevokeSelf, Kind: fakevault.Unavailable, Times: 1})
	r := runHelper(env, "", "erase")
	if r.code != ExitOK || !strings.Contains(r.stderr, "its revocation is pending: the next vault-token-renew or `vault login` retries it") {
		t.Fatalf("erase: got %+v, want exit 0 and the revocation said pending", r)
	}
	rep, _ = statusJSON(t, env)
	if len(rep.Addresses) != 1 || len(rep.Addresses[0].Pending) != 1 || rep.Addresses[0].Pending[0].Accessor != acc || rep.Addresses[0].Pending[0].LastError == "" {
		t.Fatalf("status: got %+v, want %s pending with its last error", rep.Addresses, acc)
	}
	text := runHelper(env, "", "status").stdout
	if !strings.Contains(text, "to revoke:   "+acc+" (erased; not revoked yet: ") || !strings.Contains(text, "the next vault-token-renew or login retries it") {
		t.Errorf("status: got\n%s\nwant the pending revocation, why, and when it is retried", text)
	}
	var out, errb bytes.Buffer
	if code := RunRenew(context.Background(), nil, &out, &errb, env); !strings.Contains(out.String(), "REVOKED") {
		t.Errorf("renew: got exit %d\n%s%s\nwant the erased token REVOKED", code, out.String(), errb.String())
	}
	if _, live := v.Info(acc); live {
		t.Errorf("after renew the erased token %s is live", acc)
	}
	if rep, _ = statusJSON(t, env); len(rep.Addresses[0].Pending) != 0 {
		t.Errorf("status after renew: got pending %+v, want none", rep.Addresses[0].Pending)
	}
}
