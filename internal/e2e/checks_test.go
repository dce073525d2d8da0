package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// doctorReport is doctor --json.
type doctorReport struct {
	Healthy bool `json:"healthy"`
	Checks  []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
		Fix    string `json:"fix"`
	} `json:"checks"`
}

func doctorOf(t *testing.T, h *vaulttest.Home) (doctorReport, vaulttest.Result) {
	t.Helper()
	res := h.Run(t, "", bins.Helper, "doctor", "--json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, res)
	}
	return rep, res
}

// failedCheck is the detail and fix of the named check, when it failed.
func failedCheck(rep doctorReport, name string) (detail, fix string, failed bool) {
	for _, c := range rep.Checks {
		if c.Name == name && !c.OK {
			return c.Detail, c.Fix, true
		}
	}
	return "", "", false
}

// An address directory that get and renew refuse (0777, another owner)
// makes every vault command fail: status and doctor, which run the same
// checks from the store, say so and name the problem instead of calling
// the install healthy (issue 20, item 5).
func TestStatusAndDoctorMakeTheChecksOfGet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		break_  func(t *testing.T, dir string)
		problem string
	}{
		{"0777", func(t *testing.T, dir string) { chmod(t, dir, 0o777) }, "mode 0777 lets group or others use it"},
		{"another owner", func(t *testing.T, dir string) {
			if os.Geteuid() != 0 {
				t.Skip("chown needs root")
			}
			if err := os.Chown(dir, 4242, -1); err != nil {
				t.Fatal(err)
			}
		}, "owned by uid 4242"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, h := world(t, wizardConfig)
			mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
			if rep := statusOf(t, h, 0); !rep.Healthy {
				t.Fatalf("before: got %+v, want healthy", rep)
			}
			dir := filepath.Dir(statePath(t, h))
			tt.break_(t, dir)

			// The witness: the CLI cannot use the helper.
			if r := h.Vault(t, "token", "lookup"); r.Code == 0 || !strings.Contains(r.Stderr, tt.problem) {
				t.Fatalf("vault token lookup: got %s, want a token helper failure saying %q", r, tt.problem)
			}
			if r := h.Run(t, "", bins.Renew); r.Code == 0 || !strings.Contains(r.Stdout, tt.problem) {
				t.Errorf("renew: got %s, want a failure saying %q", r, tt.problem)
			}

			rep := statusOf(t, h, 1)
			reasons := strings.Join(rep.Reasons, "\n")
			if rep.Healthy || !strings.Contains(reasons, dir) || !strings.Contains(reasons, tt.problem) {
				t.Errorf("status: got reasons %q, want unhealthy naming %s and %q", rep.Reasons, dir, tt.problem)
			}
			if len(rep.Addresses) != 1 || rep.Addresses[0].State != "refused" || !rep.Addresses[0].Selected {
				t.Errorf("status: got addresses %+v, want the selected address refused", rep.Addresses)
			}
			if text := h.Run(t, "", bins.Helper, "status"); !strings.Contains(text.Stdout, "UNHEALTHY") || !strings.Contains(text.Stdout, tt.problem) {
				t.Errorf("status: got\n%s\nwant UNHEALTHY and %q", text.Stdout, tt.problem)
			}

			drep, res := doctorOf(t, h)
			mustExit(t, "doctor", res, 1)
			detail, fix, failed := failedCheck(drep, "file-modes")
			if !failed || !strings.Contains(detail, dir) || !strings.Contains(detail, tt.problem) || fix == "" {
				t.Errorf("doctor: got file-modes %q (fix %q, failed %v), want it failed naming %s and %q with a fix", detail, fix, failed, dir, tt.problem)
			}
			if detail, _, failed := failedCheck(drep, "vault-addr"); !failed || strings.Contains(detail, "has no stored token") {
				t.Errorf("doctor: got vault-addr %q (failed %v), want it failed saying the file is refused", detail, failed)
			}
		})
	}
}

// `sleep 70 | vault-token-helper store`: a stdin that is never closed.
// store ends within its bound with an error saying what to do, and
// nothing is stored (issue 20, item 8). The test only waits for it to
// end; the bound is shortened with VAULT_CLIENT_TIMEOUT.
func TestStoreEndsOnAStdinNeverClosed(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	h.Setenv("VAULT_CLIENT_TIMEOUT", "1s")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close() // held open until the test ends: the writer never closes
	if _, err := w.WriteString(h.Server().Login(t, "admin") + "\n"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.Helper, "store")
	cmd.Env, cmd.Dir, cmd.Stdin = h.Env(), h.Dir, r
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("store on a stdin never closed: still running, killed: %v", ctx.Err())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("store: got %v, want exit 1\nstderr: %s", err, stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	if !strings.Contains(msg, "stdin was not closed within") || !strings.Contains(msg, "close stdin") || strings.Contains(msg, "\n") {
		t.Errorf("store: got stderr %q, want one line saying stdin was not closed and what to do", msg)
	}
	if stdout.Len() != 0 {
		t.Errorf("store: got stdout %q, want none", stdout.String())
	}
	if got := h.Run(t, "", bins.Helper, "get"); got.Code != 0 || got.Stdout != "" {
		t.Errorf("get after the failed store: got %s, want nothing stored", got)
	}
}

// setup then setup --uninstall gives ~/.vault back byte for byte, and
// removes one setup created (issue 20, item 9); the CLI loads what is
// left.
func TestUninstallGivesTheVaultConfigBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		initial *string // nil: no file
	}{
		{"no file", nil},
		{"empty file", ptr("")},
		{"no final newline", ptr("# my Vault CLI settings")},
		{"CRLF, no final newline", ptr("# a\r\n# b")},
		{"blank lines at the end", ptr("# mine\n\n\n")},
		{"JSON", ptr("{}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			if tt.initial != nil {
				writeFile(t, h.VaultCfg, *tt.initial)
			}
			mustSetup(t, h, "--prefix", prefix, "--no-timer")
			if got := readFile(t, h.VaultCfg); !strings.Contains(got, tokenHelperLine(filepath.Join(prefix, "bin"))) && !strings.Contains(got, helperPath(filepath.Join(prefix, "bin"))) {
				t.Fatalf("~/.vault after setup = %q, want it to name the helper", got)
			}
			res := mustSetup(t, h, "--prefix", prefix, "--no-timer", "--uninstall")
			b, err := os.ReadFile(h.VaultCfg)
			switch {
			case tt.initial == nil && !errors.Is(err, os.ErrNotExist):
				t.Errorf("~/.vault after uninstall: got %q (%v), want it removed: setup created it", b, err)
			case tt.initial == nil && !strings.Contains(res.Stdout, "which setup had created"):
				t.Errorf("uninstall: got\n%s\nwant it to say it removed the file it had created", res.Stdout)
			case tt.initial != nil && string(b) != *tt.initial:
				t.Errorf("~/.vault after uninstall: got %q (%v), want the bytes before setup %q", b, err, *tt.initial)
			}
			if r := h.Vault(t, "token", "lookup"); strings.Contains(r.Stderr, "error loading configuration") || strings.Contains(r.Stderr, "token helper") {
				t.Errorf("vault after uninstall: got %s, want the CLI to load its config", r)
			}
		})
	}
}

// setup --scheduler none after a default install removes the units the
// earlier run wrote, and status and doctor both report the choice the
// same way: a warning naming the risk, status healthy and doctor's
// scheduler check passing (issue 21, friction 1).
func TestSchedulerNoneIsAWarningInStatusAndDoctor(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	mustSetup(t, h, "--prefix", prefix)
	for _, u := range []string{serviceUnit, timerUnit} {
		if !exists(t, filepath.Join(unitDir(h), u)) {
			t.Fatalf("the default install wrote no %s", u)
		}
	}
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)

	res := mustSetup(t, h, "--prefix", prefix, "--scheduler", "none")
	for _, u := range []string{serviceUnit, timerUnit} {
		if exists(t, filepath.Join(unitDir(h), u)) {
			t.Errorf("setup --scheduler none left %s\n%s", u, res.Stdout)
		}
	}

	full := h.Run(t, "", bins.Helper, "status", "--json")
	mustExit(t, "status --json", full, 0)
	var rep struct {
		Healthy   bool     `json:"healthy"`
		Reasons   []string `json:"reasons"`
		Warnings  []string `json:"warnings"`
		Scheduler struct {
			Chosen bool `json:"chosen"`
		} `json:"scheduler"`
	}
	if err := json.Unmarshal([]byte(full.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Healthy || !rep.Scheduler.Chosen || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "you chose --scheduler none") || !strings.Contains(rep.Warnings[0], "expires") {
		t.Fatalf("status: got %+v, want healthy with one warning naming the choice and the risk", rep)
	}
	drep, _ := doctorOf(t, h)
	found := false
	for _, c := range drep.Checks {
		if c.Name == "scheduler" {
			found = true
			if !c.OK || c.Detail != "warning: "+rep.Warnings[0] {
				t.Errorf("doctor scheduler: got ok=%v %q, want ok with status's warning %q", c.OK, c.Detail, rep.Warnings[0])
			}
		}
	}
	if !found {
		t.Errorf("doctor: no scheduler check in %+v", drep.Checks)
	}
	if text := h.Run(t, "", bins.Helper, "doctor"); !strings.Contains(text.Stdout, "! warning: ") {
		t.Errorf("doctor: got\n%s\nwant the scheduler line marked ! with the warning", text.Stdout)
	}
}

// A ~/.vault the CLI cannot load: setup refuses it, so doctor's fix
// names the file, the line and the error instead of "run setup" (issue
// 21, friction 2).
func TestDoctorFixForAnUnparsableVaultConfig(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	writeFile(t, h.VaultCfg, "# mine\ntoken_helper = \"unterminated\n")
	if r := h.Vault(t, "token", "lookup"); r.Code == 0 || !strings.Contains(r.Stderr, "literal not terminated") {
		t.Fatalf("vault token lookup: got %s, want the CLI to refuse its config", r)
	}
	if r := runSetup(t, h, "--no-timer"); r.Code == 0 {
		t.Fatalf("setup: got %s, want it to refuse the file", r)
	}
	drep, _ := doctorOf(t, h)
	_, fix, failed := failedCheck(drep, "vault-cli-config")
	want := "fix line 2 of \"" + h.VaultCfg + "\" (At 2:29: literal not terminated) by hand"
	if !failed || !strings.HasPrefix(fix, want) {
		t.Errorf("doctor vault-cli-config: got fix %q (failed %v), want it to start %q", fix, failed, want)
	}
}

// VAULT_ADDR=http://localhost:PORT with the token stored for
// 127.0.0.1:PORT: the CLI gets a bare 403; status (and doctor) name
// VAULT_ADDR and the spelling that has the token (issue 21, friction 5).
func TestStatusNamesTheSpellingWithTheToken(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	if !strings.HasPrefix(s.Addr, "http://127.0.0.1:") {
		t.Fatalf("the dev server is at %s, want http://127.0.0.1:PORT", s.Addr)
	}
	local := strings.Replace(s.Addr, "127.0.0.1", "localhost", 1)
	h.Setenv("VAULT_ADDR", local)
	if r := h.Vault(t, "token", "lookup"); r.Code == 0 || !strings.Contains(r.Stderr, "403") {
		t.Fatalf("vault token lookup at %s: got %s, want a 403 (no token sent)", local, r)
	}
	rep := statusOf(t, h, 1)
	want := "VAULT_ADDR=" + local + " has no stored token"
	reasons := strings.Join(rep.Reasons, "\n")
	if rep.Healthy || !strings.Contains(reasons, want) || !strings.Contains(reasons, "export VAULT_ADDR="+s.Addr) {
		t.Errorf("status: got reasons %q, want %q and the spelling that has the token, %s", rep.Reasons, want, s.Addr)
	}
	drep, _ := doctorOf(t, h)
	if _, fix, failed := failedCheck(drep, "vault-addr"); !failed || !strings.HasPrefix(fix, "export VAULT_ADDR="+s.Addr) {
		t.Errorf("doctor vault-addr: got fix %q (failed %v), want export VAULT_ADDR=%s", fix, failed, s.Addr)
	}
}

// A root token in ~/.vault-token at install is kept as passed through:
// setup, status and doctor tell the truth without alarm (no periodic
// token yet; a token that never expires is not at risk), and no hint is
// hard-coded to -method=oidc (issue 21, friction 6).
func TestRootTokenAtInstallIsNotAnAlarm(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	writeFile(t, h.TokenFile(), s.RootToken)
	res := mustSetup(t, h, "--prefix", prefix, "--no-timer")
	if !strings.Contains(res.Stdout, "as passed through: no periodic token yet, it never expires, so nothing is at risk") || strings.Contains(res.Stdout, "-method=oidc") {
		t.Errorf("setup: got\n%s\nwant the root token kept as passed through, not at risk, and no oidc hint", res.Stdout)
	}
	bin := helperPath(filepath.Join(prefix, "bin"))
	st := h.Run(t, "", bin, "status", "--json")
	mustExit(t, "status --json", st, 0)
	var rep struct {
		Healthy   bool     `json:"healthy"`
		Reasons   []string `json:"reasons"`
		Addresses []struct {
			Source string `json:"source"`
			Note   string `json:"note"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal([]byte(st.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Healthy || len(rep.Addresses) != 1 || rep.Addresses[0].Source != "passthrough" ||
		!strings.Contains(rep.Addresses[0].Note, "it never expires, so nothing is at risk") || !strings.Contains(rep.Addresses[0].Note, "auth list") {
		t.Errorf("status: got %+v, want healthy, the root token passed through with a calm note naming `vault auth list`", rep)
	}
	text := h.Run(t, "", bin, "status")
	if strings.Contains(text.Stdout, "UNHEALTHY") || strings.Contains(text.Stdout, "not ours") || strings.Contains(text.Stdout, "oidc") {
		t.Errorf("status: got\n%s\nwant no alarm and no oidc hint", text.Stdout)
	}
	d := h.Run(t, "", bin, "doctor", "--json")
	var drep doctorReport
	if err := json.Unmarshal([]byte(d.Stdout), &drep); err != nil {
		t.Fatal(err)
	}
	if detail, _, failed := failedCheck(drep, "token-valid-and-ours"); failed {
		t.Errorf("doctor token-valid-and-ours: failed with %q, want a warning that passes", detail)
	}
}

// vault-token-renew with Vault down (connections refused): while its
// retries go on it says on stderr what it waits for, and its one ERROR
// line names the cause and ends with what to do (issue 21, friction 7).
// The clock is not the witness: the notice is there, and the result line
// is one.
func TestRenewWithVaultDownSaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	e := newFaultWorld(t)
	e.p.Refuse()
	res := e.h.Run(t, "", bins.Renew)
	mustExit(t, "vault-token-renew with Vault down", res, 1)
	if !strings.HasPrefix(res.Stderr, "vault-token-renew: "+e.p.Addr+": waiting for Vault to answer the lookup of the stored token (no answer for ") {
		t.Errorf("renew: got stderr %q, want it to say what it waits for", res.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "ERROR "+e.p.Addr+": ") || !strings.Contains(lines[0], "connection refused") ||
		!strings.Contains(lines[0], "; not renewed, nothing changed: the stored token expires in ") ||
		!strings.Contains(lines[0], "`vault status`") || !strings.HasSuffix(lines[0], "then run vault-token-renew again") {
		t.Errorf("renew: got stdout %q, want one ERROR line naming the cause and ending with what to do", lines)
	}
}

// erase while Vault is down keeps the revocation pending (with the
// erased token, which revokes itself later), status shows it, and the
// next vault-token-renew revokes it (issue 21, friction 8).
func TestEraseWhileVaultIsDownIsRevokedLater(t *testing.T) {
	t.Parallel()
	e := newFaultWorld(t)
	e.p.Refuse()
	res := e.h.Run(t, "", bins.Helper, "erase")
	mustExit(t, "erase with Vault down", res, 0)
	if !strings.Contains(res.Stderr, "its revocation is pending: the next vault-token-renew or `vault login` retries it") {
		t.Errorf("erase: got %s\nwant it to say the revocation is pending", res)
	}
	if got := helperGet(t, e.h); got != "" {
		t.Errorf("get after erase printed a token")
	}
	text := e.h.Run(t, "", bins.Helper, "status")
	if !strings.Contains(text.Stdout, "to revoke:   "+e.acc+" (erased; not revoked yet: ") {
		t.Errorf("status: got\n%s\nwant %s pending with why", text.Stdout, e.acc)
	}
	if _, err := e.s.Lookup(t, e.acc); err != nil {
		t.Fatalf("the erased token is gone already: %v", err)
	}
	e.p.Resume(t)
	r := e.h.Run(t, "", bins.Renew)
	if !strings.Contains(r.Stdout, "REVOKED "+e.p.Addr+": stale token") || !strings.Contains(r.Stdout, e.acc) {
		t.Errorf("renew once Vault is back: got %s\nwant the erased token REVOKED", r)
	}
	if _, err := e.s.Lookup(t, e.acc); err == nil {
		t.Errorf("the erased token %s is still live after renew", e.acc)
	}
	if st := readFaultState(t, e.h); len(st.Pending) != 0 {
		t.Errorf("pending after renew: got %+v, want none", st.Pending)
	}
	noToken(t, "erase, status and renew output", res.Stdout+res.Stderr+text.Stdout+r.Stdout+r.Stderr, e.token)
}
