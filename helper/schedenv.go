package helper

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"time"

	"github.com/vault-token-helper/vault-token-helper/helper/sched"
)

// SchedTimeout bounds one launchctl or crontab command.
const SchedTimeout = 10 * time.Second

// SchedEnv is the scheduler environment of env: its paths, its
// systemctl, and launchctl and crontab from PATH. Status, doctor and
// setup all use it, so they agree on what "installed" means:
//
//	sched.State(ctx, SchedEnv(env), runtime.GOOS, bin) // will something run renew?
func SchedEnv(env Env) sched.Env {
	return sched.Env{
		Home:      env.Paths.Home,
		UnitDir:   env.Paths.UnitDir,
		LogDir:    env.Paths.State,
		UID:       os.Getuid(),
		LookPath:  exec.LookPath,
		Systemctl: env.Systemctl,
		Run:       runCommand,
	}
}

// runCommand runs name with stdin and returns its stdout and stderr.
func runCommand(ctx context.Context, stdin []byte, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, SchedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
