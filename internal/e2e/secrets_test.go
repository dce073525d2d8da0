package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Every command runs with debug logging; then the log, stderr, the stdout
// of every command but get, and the argv and environment of a helper
// caught mid-mint are searched for every token the test created: zero
// hits. On disk, tokens are only in the state file and ~/.vault-token.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	h.Setenv("VAULT_TOKEN_HELPER_LOG_LEVEL", "debug")

	secrets := map[string]string{"root": s.RootToken}
	var outputs []string // what must not contain a secret
	record := func(what string, res vaulttest.Result, stdoutIsSecret bool) {
		outputs = append(outputs, what+" stderr: "+res.Stderr)
		if !stdoutIsSecret {
			outputs = append(outputs, what+" stdout: "+res.Stdout)
		}
	}
	login := func(user string) string {
		tok := s.Login(t, user)
		secrets[fmt.Sprintf("%s login %d", user, len(secrets))] = tok
		return tok
	}
	helper := func(what, stdin string, wantCode int, args ...string) vaulttest.Result {
		t.Helper()
		res := h.Run(t, stdin, bins.Helper, args...)
		mustExit(t, what, res, wantCode)
		record(what, res, len(args) == 1 && args[0] == "get")
		return res
	}
	get := func() {
		t.Helper()
		res := helper("get", "", 0, "get")
		if res.Stdout != "" {
			secrets[fmt.Sprintf("stored %d", len(secrets))] = res.Stdout
		}
	}

	helper("store weak (passthrough)", login("weak"), 0, "store")
	get()
	helper("store admin (mint)", login("admin"), 0, "store")
	get()
	helper("store weak (refused)", login("weak"), 1, "store")
	helper("store admin again (mint, sweep)", login("admin"), 0, "store")
	get()
	hand, _ := s.MintPeriodic(t, "devvm-wizard", "vault-admin")
	secrets["hand-made"] = hand
	helper("adopt", hand, 0, "adopt")
	helper("adopt foreign", login("admin"), 1, "adopt")
	helper("store two lines", login("admin")+"\n"+login("weak"), 1, "store")
	helper("store with a space", login("admin")+" x", 1, "store")
	helper("status", "", 0, "status")
	helper("status --json", "", 0, "status", "--json")
	for _, args := range [][]string{nil, {"--dry-run"}, {"--scan"}} {
		res := renew(t, h, args...)
		mustExit(t, fmt.Sprintf("renew %v", args), res, 0)
		record(fmt.Sprintf("renew %v", args), res, false)
	}
	// A clobbered ~/.vault-token healed by renew.
	if err := os.WriteFile(h.TokenFile(), []byte(login("admin")), 0o600); err != nil {
		t.Fatal(err)
	}
	res := renew(t, h)
	mustExit(t, "renew healing the mirror", res, 0)
	record("renew healing", res, false)
	get()

	// A helper caught mid-mint: its argv and environment.
	cmdline, environ := inspectStopped(t, h, login("admin"))
	outputs = append(outputs, "cmdline: "+cmdline, "environ: "+environ)

	helper("erase", "", 0, "erase")
	outputs = append(outputs, "log: "+logText(t, h))

	for what, secret := range secrets {
		for _, out := range outputs {
			if strings.Contains(out, secret) {
				where, _, _ := strings.Cut(out, ":")
				t.Errorf("the %s token appears in %s", what, where)
			}
		}
	}
	if len(secrets) < 12 {
		t.Errorf("only %d tokens collected; the search proves little", len(secrets))
	}
	if all := strings.Join(outputs, "\n"); !strings.Contains(all, "accessor") || !strings.Contains(all, "REFUSED") {
		t.Errorf("the searched outputs lack accessors or events: the search proves little")
	}
	if !strings.Contains(logText(t, h), "msg=VAULT") {
		t.Errorf("the debug log has no Vault call lines: debug logging was not on")
	}

	// On disk: only the state file and ~/.vault-token may hold a token.
	_ = filepath.WalkDir(h.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		for what, secret := range secrets {
			if strings.Contains(string(b), secret) && filepath.Base(p) != "state.json" && p != h.TokenFile() {
				t.Errorf("the %s token is written in %s", what, p)
			}
		}
		return nil
	})
}

// inspectStopped runs a crashpoints store of token that stops itself after
// minting, reads its /proc cmdline and environ, and lets it finish.
func inspectStopped(t *testing.T, h *vaulttest.Home, token string) (cmdline, environ string) {
	t.Helper()
	crash := crashBinaries(t)
	cmd := exec.Command(crash.Helper, "store")
	cmd.Env = append(h.Env(), "VAULT_TOKEN_HELPER_STOP_AT="+heal.StepChecked)
	cmd.Stdin = strings.NewReader(token)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	vaulttest.Eventually(t, "the store stops mid-mint", func() bool { return processState(pid) == "T" })
	c, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	e, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if errors.Is(err, fs.ErrPermission) && os.Geteuid() != 0 {
		// Non-dumpable: not even its own user may read it. Only root can
		// look, which is what this check needs.
		t.Logf("the helper's environment is unreadable to uid %d: non-dumpable", os.Geteuid())
		e = []byte("XDG_DATA_HOME=unreadable")
		err = nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the resumed store failed: %v", err)
	}
	if !strings.Contains(string(e), "XDG_DATA_HOME=") {
		t.Fatalf("read an environment that is not the helper's")
	}
	return string(c), string(e)
}
