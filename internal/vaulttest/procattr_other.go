//go:build !linux

package vaulttest

import "syscall"

// serverProcAttr puts the server in its own process group (only Linux can
// have it killed with the test process; t.Cleanup stops it elsewhere).
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
