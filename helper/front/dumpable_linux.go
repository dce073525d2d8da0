package front

import "syscall"

// Harden makes the process non-dumpable: no core file, and no ptrace or
// /proc/PID/environ by other processes of the user, so a token in memory
// stays there. Every binary of the tool calls it first. It is
// prctl(PR_SET_DUMPABLE, 0) through package syscall: the initialization
// of golang.org/x/sys/unix would cost get, which links nothing else of
// it on Linux, part of its start-up.
func Harden() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0); errno != 0 {
		return errno
	}
	return nil
}
