package front

import (
	"errors"
	"os"
	"os/exec"
)

// replaceProcess on Windows, which has no execve: runs path with argv's
// arguments, this environment and these standard streams, waits, and
// exits with its exit code. It returns only when path cannot be started.
func replaceProcess(path string, argv []string) error {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ()
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	}
	return err
}
