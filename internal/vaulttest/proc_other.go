//go:build !linux

package vaulttest

import "syscall"

// childProcAttr puts a server in its own process group (no parent-death
// signal outside Linux: the cleanups stop it).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
