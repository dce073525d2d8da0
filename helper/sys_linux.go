package helper

import (
	"context"
	"os/exec"
	"time"
)

// runSystemctl runs `systemctl --user ARGS` with a short timeout.
func runSystemctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemctl", append([]string{"--user"}, args...)...).Output()
	return string(out), err
}
