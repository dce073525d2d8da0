//go:build unix

package store

import (
	"io/fs"
	"syscall"
	"testing"
)

func fileUID(fi fs.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }

// skipUnderWine: nothing to skip on unix.
func skipUnderWine(*testing.T, string) {}
