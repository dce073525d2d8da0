package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// No OpenBao binary can be had here; these tests run the helper exactly
// as the bao CLI does, against the dev Vault (the HTTP API is the same).
// See docs/design.md for the OpenBao source they follow.

// baoMinimal runs `<helper> verb` as OpenBao 2.0.1 to 2.5.1 does:
// `$SHELL -c "<path> <verb>"` with only BAO_ADDR and VAULT_ADDR in the
// environment (command/token/helper_external.go, cmd.Env = h.Env). No
// HOME, no PATH, no XDG variables: the helper must find the home from the
// password database. So that it finds the test's home and not the real
// one, the command runs in a mount namespace where /etc/passwd names the
// test's home for this user.
func baoMinimal(t *testing.T, h *vaulttest.Home, addr, verb, stdin string) vaulttest.Result {
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
	script := `mount --bind "$1" /etc/passwd && exec env -i BAO_ADDR="$2" VAULT_ADDR="$2" /bin/sh -c "$3 $4"`
	cmd := exec.Command("unshare", "-m", "/bin/sh", "-c", script, "sh", passwd, addr, bins.Helper, verb)
	return h.RunCmd(t, stdin, cmd)
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
