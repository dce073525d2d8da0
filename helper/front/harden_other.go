//go:build unix && !linux && !darwin

package front

import "golang.org/x/sys/unix"

// Harden, on the BSDs, turns core files off (RLIMIT_CORE 0), so a token
// in memory is never written to disk by a crash. They have no portable
// call to refuse a debugger of the same user (FreeBSD's procctl
// PROC_TRACE_CTL has no x/sys/unix wrapper). Every binary of the tool
// calls it first.
func Harden() error {
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0})
}
