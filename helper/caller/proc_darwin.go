package caller

import (
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

// sysProcs reads other processes through sysctl.
type sysProcs struct{}

// procargs2 returns the executable path and argv of pid from
// kern.procargs2: a 32-bit argc, the executable path, NUL padding, then
// argc NUL-terminated arguments (and the environment, not read here).
func procargs2(pid int) (string, []string, error) {
	b, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil {
		return "", nil, err
	}
	return parseProcargs2(b)
}

func (sysProcs) args(pid int) ([]string, error) {
	_, args, err := procargs2(pid)
	return args, err
}

func (sysProcs) exe(pid int) (string, error) {
	exe, _, err := procargs2(pid)
	if err == nil && !strings.HasPrefix(exe, "/") {
		err = errors.New("relative executable path")
	}
	return exe, err
}

func (sysProcs) parent(pid int) (int, error) {
	k, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return 0, err
	}
	if k.Proc.P_pid != int32(pid) {
		return 0, errors.New("no such process")
	}
	return int(k.Eproc.Ppid), nil
}
