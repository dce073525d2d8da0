//go:build unix

package setup

import (
	"io/fs"
	"syscall"
)

// noFollow and nonBlock are the open flags of the CLI config file: never
// through a symlink at the last component, never waiting on a FIFO.
const (
	noFollow = syscall.O_NOFOLLOW
	nonBlock = syscall.O_NONBLOCK
)

// fileUID is the owner of fi.
func fileUID(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// linkCount is the number of hard links of fi.
func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
