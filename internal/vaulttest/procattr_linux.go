package vaulttest

import "syscall"

// serverProcAttr puts the server in its own process group, killed with
// the test process.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
