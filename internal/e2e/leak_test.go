package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// A server that echoes the request's X-Vault-Token in a non-JSON error
// body (a misconfigured proxy, a mistyped address) never gets a token into
// stderr, stdout, the log or the state files: every command registers the
// tokens it knows and redacts every error, log record and output line.
// The root token of the test server is not shaped like a Vault token, so
// only the registration catches it.
func TestEchoingServerNeverLeaksTokens(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	p := vaulttest.StartProxy(t, s)
	login := s.Login(t, "admin") // straight from Vault
	commands := []struct {
		name  string
		bin   string
		args  []string
		stdin string
		code  int
	}{
		{"store an admin login", bins.Helper, []string{"store"}, login, 1},
		{"store the root token", bins.Helper, []string{"store"}, s.RootToken, 1},
		{"renew", bins.Renew, nil, "", 1},
		{"renew --scan", bins.Renew, []string{"--scan"}, "", 1},
		{"erase", bins.Helper, []string{"erase"}, "", 0},
		{"status", bins.Helper, []string{"status"}, "", 1},
	}
	envs := make([]*faultEnv, len(commands))
	for i := range commands {
		envs[i] = newFaultEnv(t, s, p, fmt.Sprintf("devvm-echo-%d", i))
		envs[i].h.Setenv(helper.LogLevelEnv, "debug")
	}
	p.Set(vaulttest.Rule{Fault: vaulttest.Echo})

	results := make([]vaulttest.Result, len(commands))
	var wg sync.WaitGroup
	for i, c := range commands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _, err := faultRun(envs[i].h, c.stdin, c.bin, c.args...)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			results[i] = res
		}()
	}
	wg.Wait()

	secrets := map[string]string{"admin login": login, "root": s.RootToken}
	for i, e := range envs {
		secrets[fmt.Sprintf("stored token of %q", commands[i].name)] = e.token
	}
	for i, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			res, h := results[i], envs[i].h
			if res.Code != c.code {
				t.Errorf("got exit %d, want %d\n%s", res.Code, c.code, res)
			}
			out := res.Stdout + res.Stderr
			if !strings.Contains(out, "HTTP 502") || !strings.Contains(out, "<redacted token") {
				t.Errorf("the output does not show the redacted echo:\n%s", res)
			}
			places := map[string]string{"stdout": res.Stdout, "stderr": res.Stderr, "the log": logText(t, h)}
			state, err := os.ReadFile(statePath(t, h))
			if err != nil {
				t.Fatal(err)
			}
			places["the state file, but its current token"] = withoutCurrentToken(t, state)
			for where, text := range places {
				for what, secret := range secrets {
					if strings.Contains(text, secret) {
						t.Errorf("the %s appears in %s", what, where)
					}
				}
			}
			if c.name != "status" && !strings.Contains(places["the log"], "<redacted token") { // status does not log
				t.Errorf("the log does not show the redacted echo:\n%s", places["the log"])
			}
		})
	}
	// erase forgot the token but could not revoke it: the pending entry's
	// error is in the state, redacted.
	if st := string(mustRead(t, statePath(t, envs[4].h))); !strings.Contains(st, `"last_error"`) || !strings.Contains(st, `redacted token`) {
		t.Errorf("erase's state has no redacted last_error:\n%s", st)
	}
}

// withoutCurrentToken is a state file with current.token blanked, and
// the token of a pending revocation that must revoke itself (an erase
// Vault did not answer): the places a token belongs.
func withoutCurrentToken(t *testing.T, data []byte) string {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("decode the state file: %v", err)
	}
	if cur, ok := st["current"].(map[string]any); ok {
		delete(cur, "token")
	}
	if ps, ok := st["pending_revocations"].([]any); ok {
		for _, p := range ps {
			if m, ok := p.(map[string]any); ok {
				delete(m, "token")
			}
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A FIFO (or any non-regular file) where the tool opens a file: every
// command ends within its bound, never blocked in open(); a file it can do
// without (the log, ~/.vault-token) costs a warning, any other fails the
// command with one line naming the path (but for erase and renew with the
// config, which work on the stored token against the guard recorded with
// it: erase warns, renew renews and fails); nothing is minted and the
// stored token stays.
func TestFIFOsNeverBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		path func(h *vaulttest.Home) string
		// Exit codes of an admin login through the CLI, renew and erase.
		login, renew, erase int
	}{
		{"log", func(h *vaulttest.Home) string {
			return filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log")
		}, 0, 0, 0},
		{"~/.vault-token", func(h *vaulttest.Home) string { return h.TokenFile() }, 0, 1, 0},
		{"lock", func(h *vaulttest.Home) string { return filepath.Join(filepath.Dir(statePathOf(h)), "lock") }, 2, 1, 1},
		{"state file", statePathOf, 2, 1, 1},
		{"install id", func(h *vaulttest.Home) string { return filepath.Join(h.DataHome, "vault-token-helper", "install-id") }, 2, 1, 1},
		// A config that cannot be read: erase works on the stored token
		// against the guard recorded with it and warns (issue 13).
		{"config", configPath, 2, 1, 0},
	}
	// The operation's bound, plus start-up and slack on a shared machine.
	bound := helper.DefaultOperationBound + 30*time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, h := world(t, wizardConfig)
			mustExit(t, "first admin login", h.LoginUserpass(t, "admin"), 0)
			old := helperGet(t, h)
			p := tt.path(h)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
			run := func(what string, want int, name string, args ...string) vaulttest.Result {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), bound)
				defer cancel()
				res, err := h.Exec(ctx, "", name, args...)
				if err != nil {
					t.Fatalf("%s did not end within %s (blocked on the FIFO at %s?): %v\n%s", what, bound, p, err, res)
				}
				if res.Code != want {
					t.Errorf("%s: got exit %d, want %d\n%s", what, res.Code, want, res)
				}
				if (res.Code != 0 || tt.name == "config") && !strings.Contains(res.Stdout+res.Stderr, "not a regular file") {
					t.Errorf("%s does not say the file is not a regular file:\n%s", what, res)
				}
				return res
			}
			run("admin login", tt.login, vaulttest.Bin(t), "login", "-method=userpass", "username=admin", "password="+vaulttest.Password)
			if tt.login != 0 {
				if n := len(s.Tokens(t, wizard)); n != 1 {
					t.Errorf("live %s tokens = %d, want 1 (nothing minted)", wizard, n)
				}
				if _, err := s.LookupToken(t, old); err != nil {
					t.Errorf("the stored periodic token no longer works: %v", err)
				}
			}
			res := run("renew", tt.renew, bins.Renew)
			if tt.name == "log" && !strings.Contains(res.Stdout, "WARN no log") {
				t.Errorf("renew does not warn that there is no log:\n%s", res)
			}
			run("erase", tt.erase, bins.Helper, "erase")
			if fi, err := os.Lstat(p); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
				t.Errorf("the FIFO at %s was replaced or removed (%v)", p, err)
			}
		})
	}
}

func statePathOf(h *vaulttest.Home) string {
	matches, _ := filepath.Glob(filepath.Join(h.DataHome, "vault-token-helper", "tokens", "*", "state.json"))
	if len(matches) != 1 {
		return filepath.Join(h.DataHome, "vault-token-helper", "tokens", "none", "state.json")
	}
	return matches[0]
}

// SIGTERM while renew waits (for a Vault that never answers, for a lock
// another process holds): the run stops at once, reporting it, instead
// of running out its bound.
func TestRenewHonoursSIGTERM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// block makes renew wait; waiting reports whether it does.
		block   func(t *testing.T, e *faultEnv) (waiting func() bool)
		waitFor string
	}{
		{"Vault never answers", func(t *testing.T, e *faultEnv) func() bool {
			e.h.Unsetenv("VAULT_CLIENT_TIMEOUT") // the default 10s per request
			e.p.Set(vaulttest.Rule{Fault: vaulttest.Hang})
			before := e.p.Count(lookupSelfPath)
			return func() bool { return e.p.Count(lookupSelfPath) > before }
		}, "a request"},
		{"another process holds the lock", func(t *testing.T, e *faultEnv) func() bool {
			e.h.Setenv(helper.LockWaitEnv, "10m")
			l := flock.New(filepath.Join(filepath.Dir(statePath(t, e.h)), "lock"))
			if err := l.Lock(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Unlock() })
			before := e.p.Count(lookupSelfPath)
			start := time.Now()
			// The lock is taken before any request: nothing reaches Vault.
			return func() bool { return time.Since(start) > 2*time.Second && e.p.Count(lookupSelfPath) == before }
		}, "the lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newFaultWorld(t)
			waiting := tt.block(t, e)
			cmd := exec.Command(bins.Renew)
			cmd.Env = e.h.Env()
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			vaulttest.Eventually(t, "renew waits for "+tt.waitFor, waiting)
			start := time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			bound := heal.InteractiveRetry.CallBound(heal.DefaultTimeout)
			var err error
			select {
			case err = <-done:
			case <-time.After(bound):
				_ = cmd.Process.Kill()
				t.Fatalf("renew still running %s after SIGTERM:\n%s", bound, out.String())
			}
			took := time.Since(start)
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("got exit %d (%v), want 1\n%s", code, err, out.String())
			}
			if !strings.Contains(out.String(), "ERROR") {
				t.Errorf("renew reported no ERROR:\n%s", out.String())
			}
			endedWithin(t, "renew after SIGTERM", took, heal.DefaultTimeout)
		})
	}
}

// Two installations (two data directories) of one user on one host, on
// one Vault, with one display name: --scan in one spares the other's live
// token, because each mint carries its installation's id; a token of ours
// minted before install ids existed keeps the host and user rule.
func TestScanSparesAnotherInstallation(t *testing.T) {
	t.Parallel()
	s, a := world(t, wizardConfig)
	b := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, b, wizardConfig)
	mustExit(t, "admin login in A", a.LoginUserpass(t, "admin"), 0)
	mustExit(t, "admin login in B", b.LoginUserpass(t, "admin"), 0)
	accA, accB := lookupJSON(t, a)["accessor"].(string), lookupJSON(t, b)["accessor"].(string)

	idA, idB := installID(t, a), installID(t, b)
	if idA == idB {
		t.Fatalf("both installations have the id %q", idA)
	}
	for acc, want := range map[string]string{accA: idA, accB: idB} {
		tok, err := s.Lookup(t, acc)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Meta["install_id"] != want {
			t.Errorf("meta install_id of %s: got %q, want %q", acc, tok.Meta["install_id"], want)
		}
	}
	// What this machine minted before install ids: same host and user.
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	_, old := s.MintPeriodicMeta(t, "devvm-wizard", map[string]string{"created_by": "vault-token-helper",
		"host": host, "user": u.Username, "address": s.Addr}, "vault-admin", "sops-admin")

	res := renew(t, a, "--scan")
	mustExit(t, "renew --scan in A", res, 0)
	live := map[string]bool{}
	for _, tok := range s.Tokens(t, wizard) {
		live[tok.Accessor] = true
	}
	for _, tc := range []struct {
		name, acc string
		want      bool
	}{{"A's own", accA, true}, {"B's", accB, true}, {"the pre-install-id token of this host and user", old, false}} {
		if live[tc.acc] != tc.want {
			t.Errorf("%s token %s: live %v, want %v", tc.name, tc.acc, live[tc.acc], tc.want)
		}
	}
	if scan := linesWith(res.Stdout, "SCAN"); len(scan) != 1 || !strings.Contains(scan[0], "revoked 1") {
		t.Errorf("SCAN lines = %q, want one saying revoked 1\n%s", scan, res)
	}
	mustExit(t, "renew in B", renew(t, b), 0)
}

func installID(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	p := filepath.Join(h.DataHome, "vault-token-helper", "install-id")
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode of %s: got %04o, want 0600", p, fi.Mode().Perm())
	}
	return strings.TrimSpace(string(mustRead(t, p)))
}
