package e2e

import (
	"net/http"
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
