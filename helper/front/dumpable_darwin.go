package front

import "golang.org/x/sys/unix"

// Harden denies debuggers (PT_DENY_ATTACH), macOS's nearest to Linux's
// non-dumpable flag. Every binary of the tool calls it first.
func Harden() error { return unix.PtraceDenyAttach() }
