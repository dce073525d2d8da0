//go:build !linux

package vaulttest

import "syscall"

// serverProcAttr puts a dev server in its own process group (stop kills
// the group). Only Linux can also kill it when the test process dies.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
