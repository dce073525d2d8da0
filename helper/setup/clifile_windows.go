package setup

import (
	"io/fs"

	"golang.org/x/sys/windows"
)

// noFollow opens a reparse point (a symlink) itself instead of its
// target (syscall.Open passes the flag's high bits to CreateFile); the
// Lstat before the open already refused one. Windows has no FIFO.
const (
	noFollow = windows.FILE_FLAG_OPEN_REPARSE_POINT
	nonBlock = 0
)

// fileUID: Windows has no uids; the CLI config sits in the user's profile,
// whose access list is the user's.
func fileUID(fs.FileInfo) (int, bool) { return 0, false }

// linkCount: the FileInfo of Lstat on Windows does not carry the link
// count, so the hard-link check is unix only.
func linkCount(fs.FileInfo) uint64 { return 1 }
