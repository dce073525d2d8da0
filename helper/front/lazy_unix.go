//go:build unix

package front

import (
	"os"
	"strconv"
	"syscall"
)

func startDetached(renew, addr string) (pid int, err error) {
	// Go opens its own files close-on-exec, but a descriptor the CLI
	// left open to the helper would pass on to the renew: mark every
	// one above stderr close-on-exec (the front exits right after).
	if ents, err := os.ReadDir("/dev/fd"); err == nil {
		for _, e := range ents {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
				syscall.CloseOnExec(fd)
			}
		}
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	p, err := os.StartProcess(renew, []string{renew, "--address", addr}, &os.ProcAttr{
		Dir:   "/",
		Env:   os.Environ(),
		Files: []*os.File{null, null, null},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return 0, err
	}
	pid = p.Pid // before Release, which sets p.Pid to -1
	return pid, p.Release()
}
