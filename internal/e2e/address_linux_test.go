package e2e

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// A parent the helper cannot see (another PID namespace: getppid is 0):
// VAULT_ADDR decides, as before.
func TestUnreadableParent(t *testing.T) {
	t.Parallel()
	_, _, _, _, h := twoServers(t)
	mustExit(t, "login to A", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	cmd := exec.Command(bins.Helper, "get")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	probe := exec.Command("/bin/true")
	probe.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	if err := probe.Run(); err != nil {
		t.Skipf("cannot start a process in a new PID namespace here (%v)", err)
	}
	res := h.RunCmd(t, "", cmd)
	if res.Code != 0 || res.Stdout != tokA {
		t.Fatalf("get in a new PID namespace: got exit %d, %d bytes; want A's token\n%s", res.Code, len(res.Stdout), res.Stderr)
	}
}

// `vault server -dev` (without -dev-no-store-token) hands the root token
// of the server it starts to our helper's store. With VAULT_ADDR naming
// another server B, dev mode starts, and B never sees the root token: the
// key is the dev listener, and store contacts no server (security review).
func TestDevServerRootTokenNeverLeavesForVaultAddr(t *testing.T) {
	t.Parallel()
	b := vaulttest.Start(t)
	auditB := b.EnableRawAudit(t)
	h := vaulttest.NewHome(t, b, bins.Helper) // VAULT_ADDR=B, VAULT_CONFIG_PATH names our helper
	writeConfig(t, h, wizardConfig)

	port, err := vaulttest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	root := "dev-root-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	devAddr := "http://127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(t.TempDir(), "dev.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(vaulttest.Bin(t), "server", "-dev", "-dev-root-token-id="+root, "-dev-listen-address=127.0.0.1:"+strconv.Itoa(port))
	cmd.Env, cmd.Dir = h.Env(), h.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM) // our own child, by its pid
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	devLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }

	// Dev mode stores the root token before it prints it; a failing store
	// makes the server exit.
	client := &http.Client{Timeout: 2 * time.Second}
	healthy := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && !healthy; {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("vault server -dev exited (%v): dev mode failed to start\n%s", err, devLog())
		default:
		}
		if resp, err := client.Get(devAddr + "/v1/sys/health"); err == nil {
			resp.Body.Close()
			healthy = resp.StatusCode == http.StatusOK && strings.Contains(devLog(), "Root Token:")
		}
		if !healthy {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !healthy {
		t.Fatalf("vault server -dev at %s not healthy after 60s\n%s", devAddr, devLog())
	}

	// The helper's store did run under the dev server (so the checks
	// below are not vacuous), and kept nothing.
	logText, err := os.ReadFile(filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log"))
	if err != nil || !strings.Contains(string(logText), "vault server -dev hands its root token") {
		t.Fatalf("the helper's log does not show the dev server's store (%v):\n%s", err, logText)
	}
	if strings.Contains(string(logText), root) {
		t.Errorf("the helper's log holds the root token")
	}
	if got := helperGet(t, h); got != "" {
		t.Errorf("get for B after the dev server's store: got %d bytes, want nothing", len(got))
	}

	// B's raw audit log works, and never saw the dev root token.
	if _, err := b.Root(t).Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	if !auditB.Contains(t, b.RootToken) {
		t.Fatalf("B's raw audit log does not show B's own root token: the check below would prove nothing")
	}
	if auditB.Contains(t, root) {
		t.Errorf("B's audit log holds the dev server's root token")
	}
}

// Issue 20.3: 127.0.0.1:P and 127.0.0.2:P are two Vaults (an SSH tunnel
// and a port-forward, say; Linux routes all of 127.0.0.0/8 to lo). With
// mirror_address naming .1, a login at .2 is not mirrored into
// ~/.vault-token, where every tool reading the file would send it to .1.
// A's audit log is the witness: it never sees B's token.
func TestLoopbackAddressesAreTwoVaults(t *testing.T) {
	t.Parallel()
	a := vaulttest.Start(t) // 127.0.0.1:P
	u, err := url.Parse(a.Addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	b := vaulttest.StartAt(t, "127.0.0.2", port) // 127.0.0.2:P
	if b.Addr != strings.Replace(a.Addr, "127.0.0.1", "127.0.0.2", 1) {
		t.Fatalf("B at %s, want A's port %d on 127.0.0.2", b.Addr, port)
	}
	auditA, auditB := a.EnableRawAudit(t), b.EnableRawAudit(t)
	h := vaulttest.NewHome(t, b, bins.Helper) // VAULT_ADDR=B
	writeConfig(t, h, wizardConfig+"mirror_address = \""+a.Addr+"\"\n")

	// A tool like sops reads ~/.vault-token and sends it to VAULT_ADDR=A:
	// the Vault CLI with its built-in file helper.
	builtin := filepath.Join(t.TempDir(), "builtin.hcl")
	if err := os.WriteFile(builtin, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	toolAtA := func() vaulttest.Result {
		t.Helper()
		h.Setenv("VAULT_ADDR", a.Addr)
		h.Setenv("VAULT_CONFIG_PATH", builtin)
		defer func() { h.Setenv("VAULT_ADDR", b.Addr); h.Setenv("VAULT_CONFIG_PATH", h.VaultCfg) }()
		return h.Vault(t, "token", "lookup", "-format=json")
	}
	mirror := func() string {
		t.Helper()
		got, err := os.ReadFile(h.TokenFile())
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return string(got)
	}

	mustExit(t, "admin login at B", h.LoginUserpass(t, "admin"), 0)
	tokB := helperGet(t, h)
	onB := b.Tokens(t, wizard)
	if tokB == "" || len(onB) != 1 {
		t.Fatalf("after the login at B: %d bytes stored, %d periodic tokens on B; want B's one", len(tokB), len(onB))
	}
	if mirror() == tokB {
		t.Errorf("~/.vault-token holds B's token although mirror_address is A")
	}
	toolAtA()
	mustExit(t, "renew", renew(t, h), 0)
	if mirror() == tokB {
		t.Errorf("after renew, ~/.vault-token holds B's token although mirror_address is A")
	}
	toolAtA()
	// A request that did reach A proves its audit log works.
	if _, err := a.Root(t).Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	if !auditA.Contains(t, a.RootToken) {
		t.Fatalf("A's raw audit log does not show A's own root token: the check below would prove nothing")
	}
	if auditA.Contains(t, tokB) {
		t.Errorf("A's audit log holds B's periodic token: a tool reading ~/.vault-token took it to A")
	}

	// At A, the login is mirrored (so the checks above could fail), and
	// B keeps its own token.
	h.Setenv("VAULT_ADDR", a.Addr)
	mustExit(t, "admin login at A", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	h.Setenv("VAULT_ADDR", b.Addr)
	if tokA == "" || tokA == tokB || mirror() != tokA {
		t.Fatalf("after the login at A: want A's own token stored and mirrored (stored %d bytes, mirror %d bytes)", len(tokA), len(mirror()))
	}
	if res := toolAtA(); res.Code != 0 {
		t.Errorf("a tool reading ~/.vault-token at A fails: %s", res)
	}
	if got := helperGet(t, h); got != tokB {
		t.Errorf("get at B after the login at A: got %d bytes, want B's token", len(got))
	}
	if got := lookupJSON(t, h)["accessor"]; got != onB[0].Accessor {
		t.Errorf("vault token lookup at B: accessor %v, want B's periodic %s", got, onB[0].Accessor)
	}
	mustExit(t, "renew", renew(t, h), 0)
	if mirror() != tokA {
		t.Errorf("after renew, ~/.vault-token does not hold A's token")
	}

	if !auditA.Contains(t, tokA) || !auditB.Contains(t, tokB) {
		t.Fatalf("the raw audit logs do not show each server's own token: the checks below would prove nothing")
	}
	if auditA.Contains(t, tokB) || auditA.Contains(t, onB[0].Accessor) {
		t.Errorf("A's audit log holds B's periodic token (or its accessor)")
	}
	if auditB.Contains(t, tokA) {
		t.Errorf("B's audit log holds A's periodic token")
	}
}
