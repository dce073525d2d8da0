package store

import (
	"io/fs"
	"testing"

	"golang.org/x/sys/windows"
)

// fileUID: Windows has no uids (os.Geteuid is -1).
func fileUID(fs.FileInfo) int { return -1 }

// skipUnderWine skips a test of what Wine does not do as Windows does
// (make test-windows runs this package under Wine; docs/packaging.md).
func skipUnderWine(t *testing.T, why string) {
	t.Helper()
	if windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil {
		t.Skip("under Wine: " + why)
	}
}
