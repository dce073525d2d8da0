package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

type statusReport struct {
	Healthy   bool     `json:"healthy"`
	Reasons   []string `json:"reasons"`
	Addresses []struct {
		Address          string `json:"address"`
		Selected         bool   `json:"selected"`
		State            string `json:"state"`
		ExpiresInSeconds *int64 `json:"expires_in_seconds"`
		Mirror           struct {
			State string `json:"state"`
			Path  string `json:"path"`
		} `json:"mirror"`
	} `json:"addresses"`
	Scheduler struct {
		Kind      string `json:"kind"`
		Active    bool   `json:"active"`
		LazyRenew bool   `json:"lazy_renew"`
	} `json:"scheduler"`
}

func statusOf(t *testing.T, h *vaulttest.Home, wantCode int) statusReport {
	t.Helper()
	res := h.Run(t, "", bins.Helper, "status", "--json")
	mustExit(t, "status --json", res, wantCode)
	var rep statusReport
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s", err, res)
	}
	return rep
}

// status answers "will my token survive?" for a real login: healthy
// while get's lazy renew is the safety net, unhealthy with the reason
// when nothing will renew, when ~/.vault no longer names the helper,
// and when the token file is refused.
func TestStatusVerdictsRealVault(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)

	rep := statusOf(t, h, 0)
	if len(rep.Addresses) != 1 {
		t.Fatalf("got %d addresses, want 1", len(rep.Addresses))
	}
	a := rep.Addresses[0]
	if !rep.Healthy || a.Address != s.Addr || !a.Selected || a.State != "stored" || a.Mirror.State != "in_sync" ||
		a.ExpiresInSeconds == nil || *a.ExpiresInSeconds < 767*3600 || rep.Scheduler.Active || !rep.Scheduler.LazyRenew {
		t.Errorf("got %+v, want healthy: selected, stored, in sync, expiring in 768h, no scheduler but the lazy renew", rep)
	}
	text := h.Run(t, "", bins.Helper, "status")
	if lines := strings.Split(text.Stdout, "\n"); len(lines) < 2 || !strings.HasSuffix(lines[0], "<- VAULT_ADDR") || !strings.Contains(lines[1], "expires in 31 days, ") {
		t.Errorf("got\n%s\nwant the address marked, then its expiry in words", text.Stdout)
	}

	// lazy_renew = false and no scheduler: nothing will renew.
	writeConfig(t, h, wizardConfig+"lazy_renew = false\n")
	rep = statusOf(t, h, 1)
	if rep.Healthy || !strings.Contains(strings.Join(rep.Reasons, "\n"), "no scheduler will run renew") {
		t.Errorf("lazy renew off: got %+v, want unhealthy: no scheduler will run renew", rep)
	}
	writeConfig(t, h, wizardConfig)

	// ~/.vault emptied: the CLI no longer uses the helper.
	if err := os.WriteFile(h.VaultCfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rep = statusOf(t, h, 1)
	if !strings.Contains(strings.Join(rep.Reasons, "\n"), "names no token_helper") {
		t.Errorf("empty ~/.vault: got reasons %q, want names no token_helper", rep.Reasons)
	}
	h.UseHelper(t, bins.Helper)

	// A loose token file: a problem of that address, not "no token".
	states, _ := filepath.Glob(filepath.Join(h.DataHome, "vault-token-helper", "tokens", "*", "state.json"))
	if len(states) != 1 {
		t.Fatalf("got state files %v, want 1", states)
	}
	if err := os.Chmod(states[0], 0o644); err != nil {
		t.Fatal(err)
	}
	rep = statusOf(t, h, 1)
	if len(rep.Addresses) != 1 || rep.Addresses[0].State != "refused" || rep.Addresses[0].Address != s.Addr || !rep.Addresses[0].Selected {
		t.Errorf("loose file: got %+v, want %s refused and selected", rep.Addresses, s.Addr)
	}
	if err := os.Chmod(states[0], 0o600); err != nil {
		t.Fatal(err)
	}

	// Erased: no longer a stored token.
	res := h.Run(t, "", bins.Helper, "erase")
	if res.Code != 0 || !strings.Contains(res.Stderr, "erased and revoked the periodic token") || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
		t.Errorf("erase: got %s, want one line saying it erased and revoked", res)
	}
	rep = statusOf(t, h, 0)
	if len(rep.Addresses) != 1 || rep.Addresses[0].State != "erased" {
		t.Errorf("after erase: got %+v, want the address erased", rep.Addresses)
	}
}

// doctor on a real install: every check passes but the scheduler (the
// test home has no user manager); each line has a mark, a failed one a fix.
func TestDoctorRealVault(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	res := h.Run(t, "", bins.Helper, "doctor", "--json")
	var rep struct {
		Healthy bool `json:"healthy"`
		Checks  []struct {
			Name   string `json:"name"`
			OK     bool   `json:"ok"`
			Detail string `json:"detail"`
			Fix    string `json:"fix"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, res)
	}
	if len(rep.Checks) != 10 {
		t.Fatalf("got %d checks, want 10\n%s", len(rep.Checks), res.Stdout)
	}
	for _, c := range rep.Checks {
		if c.OK != (c.Name != "scheduler") {
			t.Errorf("check %s: got ok=%v (%s; fix: %s)", c.Name, c.OK, c.Detail, c.Fix)
		}
	}
	mustExit(t, "doctor", res, 1)
	text := h.Run(t, "", bins.Helper, "doctor")
	if strings.Count(text.Stdout, "✓") != 9 || strings.Count(text.Stdout, "✗") != 1 || !strings.Contains(text.Stdout, "    fix: ") {
		t.Errorf("doctor text: got\n%s\nwant 9 ✓, 1 ✗ with its fix", text.Stdout)
	}

	// Vault unreachable: the reachability check fails, naming the address.
	h.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	if err := os.Rename(filepath.Join(h.DataHome, "vault-token-helper", "tokens"), filepath.Join(h.DataHome, "vault-token-helper", "tokens.bak")); err != nil {
		t.Fatal(err)
	}
	text = h.Run(t, "", bins.Helper, "doctor")
	if text.Code != 1 || !strings.Contains(text.Stdout, "✗ VAULT_ADDR=http://127.0.0.1:1 has no stored token") {
		t.Errorf("doctor, other address: got %s", text)
	}
}

// The command line through the installed front, as a user types it.
func TestCommandLineRealBinaries(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	for _, tt := range []struct {
		bin    string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{bins.Helper, []string{"stauts"}, 2, "", "did you mean status?"},
		{bins.Helper, []string{"--version"}, 0, "\ncommit ", ""},
		{bins.Helper, []string{"version"}, 0, "\ngo1.", ""},
		{bins.Helper, []string{"help"}, 0, "  doctor", ""},
		{bins.Helper, []string{"status", "--help"}, 0, "usage: vault-token-helper status [--json]", ""},
		{bins.Helper, []string{"completion", "bash"}, 0, "complete -F _vault_token_helper", ""},
		{bins.Helper, []string{"man"}, 0, ".TH VAULT-TOKEN-HELPER 1", ""},
		{bins.Renew, []string{"--version"}, 0, "vault-token-renew ", ""},
		{bins.Renew, []string{"help"}, 0, "usage: vault-token-renew [--address URL]", ""},
		{bins.Renew, []string{"--adress=x"}, 2, "", "unknown flag --adress; did you mean --address?"},
	} {
		res := h.Run(t, "", tt.bin, tt.args...)
		if res.Code != tt.code || !strings.Contains(res.Stdout, tt.stdout) || !strings.Contains(res.Stderr, tt.stderr) {
			t.Errorf("%s %v: got %s\nwant exit %d, stdout with %q, stderr with %q", filepath.Base(tt.bin), tt.args, res, tt.code, tt.stdout, tt.stderr)
		}
	}
}

// renew the verb and vault-token-renew are one code path: the same lines.
func TestRenewVerbIsVaultTokenRenew(t *testing.T) {
	t.Parallel()
	_, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	a := h.Run(t, "", bins.Renew, "--dry-run")
	b := h.Run(t, "", bins.Helper, "renew", "--dry-run")
	if a.Code != 0 || a.Code != b.Code || a.Stdout != b.Stdout {
		t.Errorf("vault-token-renew --dry-run:\n%s\nvault-token-helper renew --dry-run:\n%s\nwant the same", a, b)
	}
}

// A store that fails reaches the user through the CLI as
// `Error storing token: "...": exit status 1`: one line, no escaped
// quote or newline inside.
func TestStoreErrorIsOneLineInTheCLI(t *testing.T) {
	t.Parallel()
	_, h := world(t, "periodic_token {\n  period = \"5s\"\n}\nmirror = \"yes\"\n")
	res := h.LoginUserpass(t, "admin")
	if res.Code == 0 {
		t.Fatalf("login with a broken config: got exit 0, want a failed store\n%s", res)
	}
	out := res.Stdout + res.Stderr
	i := strings.Index(out, "Error storing token: ")
	if i < 0 {
		t.Fatalf("got\n%s\nwant Error storing token", out)
	}
	line, _, _ := strings.Cut(out[i:], "\n")
	if strings.Contains(line, `\"`) || strings.Contains(line, `\n`) || !strings.Contains(line, "line 2") || !strings.Contains(line, "line 4") || !strings.HasSuffix(line, ": exit status 1") {
		t.Errorf("got %q, want one line naming both errors with no escaped quote or newline", line)
	}
}

// withoutConfirmation drops the one line erase and adopt print when they
// did what was asked (issue 14: say what happened).
func withoutConfirmation(lines []string) []string {
	var out []string
	for _, l := range lines {
		for _, ok := range []string{"vault-token-helper: erased ", "vault-token-helper: nothing was stored for ", "vault-token-helper: adopted "} {
			if strings.HasPrefix(l, ok) {
				l = ""
			}
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
