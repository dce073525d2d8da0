package front

import (
	"os"
	"syscall"

	"golang.org/x/sys/windows"
)

// startDetached on Windows: no console and its own process group
// (DETACHED_PROCESS, CREATE_NEW_PROCESS_GROUP), the null device for the
// standard streams. Handles are not inherited unless marked inheritable,
// and Go opens none so.
func startDetached(renew, addr string) (pid int, err error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	p, err := os.StartProcess(renew, []string{renew, "--address", addr}, &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP, HideWindow: true},
	})
	if err != nil {
		return 0, err
	}
	pid = p.Pid
	return pid, p.Release()
}
