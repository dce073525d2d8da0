package helper

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestHardenMakesProcessNonDumpable(t *testing.T) {
	Harden()
	got, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got != 0 {
		t.Errorf("PR_GET_DUMPABLE = %d after Harden, want 0", got)
	}
}
