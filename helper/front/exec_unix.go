//go:build unix

package front

import (
	"os"
	"syscall"
)

// replaceProcess replaces this process with path (execve): same pid,
// arguments argv, environment and standard streams. It returns only on
// failure.
func replaceProcess(path string, argv []string) error {
	return syscall.Exec(path, argv, os.Environ())
}
