package helper

import (
	"context"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
	"time"
)

// syscallNoFollow refuses to open the log through a symlink.
const syscallNoFollow = syscall.O_NOFOLLOW

// runSystemctl runs `systemctl --user ARGS` with a short timeout.
func runSystemctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemctl", append([]string{"--user"}, args...)...).Output()
	return string(out), err
}

// Harden makes the process non-dumpable: no core file and no ptrace
// attach by other processes of the user, so a token in memory stays there.
func Harden() {
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
