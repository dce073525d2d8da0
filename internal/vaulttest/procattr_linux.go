package vaulttest

import "syscall"

// serverProcAttr puts a dev server in its own process group (stop kills
// the group) and kills it when the test process dies.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
