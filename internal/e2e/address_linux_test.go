package e2e

import (
	"os/exec"
	"syscall"
	"testing"
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
