package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// What a real OpenBao 2.6 cannot show: OpenBao 2.1.0 to 2.5.1 ran the
// helper with only BAO_ADDR and VAULT_ADDR in its environment (2.5.2 and
// later pass the whole environment). These tests run the helper exactly
// as those versions did, with the shim internal/vaulttest/baoexec as the
// bao CLI, against the dev Vault (the HTTP API is the same), and the
// vault CLI's precedence over a stray BAO_ADDR. Everything else about bao
// runs against the real OpenBao 2.6.2 in internal/e2e/bao; docs/openbao.md
// says which versions were run and which only reasoned about.

// baoMinimal runs `<helper> verb` as OpenBao 2.1.0 to 2.5.1 does:
// `$SHELL -c "<path> <verb>"` with only BAO_ADDR and VAULT_ADDR in the
// environment (command/token/helper_external.go, cmd.Env = h.Env). No
// HOME, no PATH, no XDG variables: the helper must find the home from the
// password database.
func baoMinimal(t *testing.T, h *vaulttest.Home, addr, verb, stdin string) vaulttest.Result {
	t.Helper()
	return withPasswdHome(t, h, stdin, "BAO_ADDR="+addr, "VAULT_ADDR="+addr, "/bin/sh", "-c", bins.Helper+" "+verb)
}

// withPasswdHome runs `env -i ARGS...` (variables, then the command) in a
// mount namespace where /etc/passwd names the test's home for this user,
// so that a helper that takes its home from the password database finds
// the test's and not the real one.
func withPasswdHome(t *testing.T, h *vaulttest.Home, stdin string, envAndArgv ...string) vaulttest.Result {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test bind-mounts a password file naming the test's home in a mount namespace")
	}
	passwd := filepath.Join(t.TempDir(), "passwd")
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	uid := strconv.Itoa(os.Getuid())
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		f := strings.Split(l, ":")
		if len(f) == 7 && f[2] == uid {
			f[5] = h.Dir
			l = strings.Join(f, ":")
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(passwd, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("unshare", "-m", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot make a mount namespace here (%v: %s)", err, out)
	}
	script := `mount --bind "$1" /etc/passwd && shift && exec env -i "$@"`
	args := append([]string{"-m", "/bin/sh", "-c", script, "sh", passwd}, envAndArgv...)
	return h.RunCmd(t, stdin, exec.Command("unshare", args...))
}

// baoBin is internal/vaulttest/baoexec built as an executable named bao.
var baoBin = sync.OnceValues(func() (string, error) {
	root, err := vaulttest.ModuleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(binDir, "openbao")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bao")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./internal/vaulttest/baoexec")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build baoexec: %v\n%s", err, b)
	}
	return out, nil
})

// Under a process that is the bao CLI (an executable named bao that runs
// the helper as OpenBao 2.1.0 to 2.5.1 does, through $SHELL -c with only
// BAO_ADDR and VAULT_ADDR), the helper reads bao's arguments, through the shell when
// the shell forks (dash) and directly when it executes the helper in its
// place (bash).
func TestOpenBaoCallerThroughTheShell(t *testing.T) {
	t.Parallel()
	bao, err := baoBin()
	if err != nil {
		t.Fatal(err)
	}
	s := vaulttest.Start(t)
	h := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, h, wizardConfig)
	mustExit(t, "login", h.LoginUserpass(t, "admin"), 0)
	tok := helperGet(t, h)

	for _, shell := range []string{"/bin/sh", "/bin/bash"} {
		run := func(args ...string) vaulttest.Result {
			t.Helper()
			env := []string{"BAOEXEC_HELPER=" + bins.Helper, "BAOEXEC_OP=get", "BAO_ADDR=" + s.Addr, "SHELL=" + shell, bao}
			return withPasswdHome(t, h, "", append(env, args...)...)
		}
		if res := run("token", "lookup"); res.Code != 0 || res.Stdout != tok {
			t.Errorf("SHELL=%s, bao token lookup: want the stored token\n%s", shell, res)
		}
		// The namespace flag is only on bao's command line: an unknown
		// caller would print the root namespace's token.
		for _, args := range [][]string{{"token", "lookup", "-ns=team"}, {"token", "lookup", "--namespace", "team"}} {
			if res := run(args...); res.Code != 0 || res.Stdout != "" {
				t.Errorf("SHELL=%s, bao %s: want nothing printed (nothing is stored for namespace team)\n%s", shell, strings.Join(args, " "), res)
			}
		}
		// An uncertain bao command line: nothing printed, one line.
		if res := run("operator", "raft", "list-peers", "-dr-token", "-address="+s.Addr); res.Code != 1 || res.Stdout != "" || !strings.Contains(res.Stderr, "BAO_ADDR") {
			t.Errorf("SHELL=%s, an uncertain bao command line: want exit 1 and a line naming BAO_ADDR\n%s", shell, res)
		}
	}
}

// get and store work in OpenBao's minimal environment: the store mints,
// the files land under the home the password database names, and get
// prints the periodic token.
func TestOpenBaoMinimalEnvironment(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, h, wizardConfig)

	res := baoMinimal(t, h, s.Addr, "get", "")
	if res.Code != 0 || res.Stdout != "" || res.Stderr != "" {
		t.Fatalf("get with nothing stored: want exit 0 and nothing\n%s", res)
	}
	res = baoMinimal(t, h, s.Addr, "store", s.Login(t, "admin"))
	if res.Code != 0 {
		t.Fatalf("store: %s", res)
	}
	live := s.Tokens(t, wizard)
	if len(live) != 1 {
		t.Fatalf("periodic tokens minted = %d, want 1", len(live))
	}
	res = baoMinimal(t, h, s.Addr, "get", "")
	if res.Code != 0 || res.Stdout == "" {
		t.Fatalf("get after the store: %s", res)
	}
	got, err := s.LookupToken(t, res.Stdout)
	if err != nil || got.Accessor != live[0].Accessor {
		t.Fatalf("get printed a token with accessor %q (%v), want the periodic %s", got.Accessor, err, live[0].Accessor)
	}
	// The same token through the usual environment: the files are where
	// the XDG defaults under the password database's home put them.
	if tok := helperGet(t, h); tok != res.Stdout {
		t.Errorf("get with HOME and XDG set printed another token")
	}
	if _, err := os.Stat(filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log")); err != nil {
		t.Errorf("no log under the home's XDG state directory: %v", err)
	}
}

// Whose variables count depends on who called, row by row.
func TestOpenBaoPrecedence(t *testing.T) {
	t.Parallel()
	a, b := vaulttest.Start(t), vaulttest.Start(t)
	auditB := b.EnableRawAudit(t)
	h := vaulttest.NewHome(t, a, bins.Helper)
	writeConfig(t, h, wizardConfig)
	h.Setenv("BAO_ADDR", b.Addr)

	// Under the real vault CLI a stray BAO_ADDR changes nothing: the login
	// mints on A, and commands get A's token.
	mustExit(t, "login with a stray BAO_ADDR", h.LoginUserpass(t, "admin"), 0)
	if n := len(a.Tokens(t, wizard)); n != 1 {
		t.Fatalf("periodic tokens on A = %d, want 1", n)
	}
	if n := len(b.Tokens(t, wizard)); n != 0 {
		t.Fatalf("periodic tokens on B = %d, want 0", n)
	}
	accA := lookupJSON(t, h)["accessor"].(string)
	if accA != a.Tokens(t, wizard)[0].Accessor {
		t.Errorf("vault token lookup with a stray BAO_ADDR: accessor %s, want A's periodic", accA)
	}

	// Caller unknown (the helper run directly), both set, different
	// servers: nothing printed, one line saying why.
	res := h.Run(t, "", bins.Helper, "get")
	if res.Code != 1 || res.Stdout != "" || strings.Count(res.Stderr, "\n") != 1 ||
		!strings.Contains(res.Stderr, "VAULT_ADDR") || !strings.Contains(res.Stderr, "BAO_ADDR") {
		t.Errorf("get, unknown caller, VAULT_ADDR=A and BAO_ADDR=B: want exit 1, no token, one line naming both\n%s", res)
	}
	res = h.Run(t, a.Login(t, "admin"), bins.Helper, "store")
	if res.Code != 1 || !strings.Contains(res.Stderr, "BAO_ADDR") {
		t.Errorf("store, unknown caller, VAULT_ADDR=A and BAO_ADDR=B: want exit 1 naming BAO_ADDR\n%s", res)
	}

	// Caller unknown, both set to the same server: fine.
	h.Setenv("BAO_ADDR", a.Addr+"/")
	tokA := helperGet(t, h)
	if tokA == "" {
		t.Fatal("get, unknown caller, VAULT_ADDR and BAO_ADDR both A: no token")
	}

	// Caller unknown, BAO_ADDR alone selects the address.
	h.Unsetenv("VAULT_ADDR")
	if got := helperGet(t, h); got != tokA {
		t.Errorf("get, unknown caller, BAO_ADDR=A alone: did not print A's token")
	}

	if auditB.Contains(t, tokA) {
		t.Errorf("B's audit log holds A's token")
	}
}
