package sched

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// TaskName is the Task Scheduler task that runs vault-token-renew on
// Windows, in the user's own task folder (no administrator needed).
const TaskName = "vault-token-renew"

// schtasksRenew is the renew binary the task runs: Windows only, so with
// .exe, as a native path (the Task Scheduler takes backslashes).
func schtasksRenew(bindir string) string {
	return filepath.FromSlash(bindir + "/" + RenewName + ".exe")
}

// SchtasksCreate is the argument list of `schtasks` that creates (or,
// with /F, replaces) the task: every six hours, as the crontab line,
// since the Task Scheduler does not catch up on a run missed while the
// machine was off unless told to, and /SC HOURLY has no such option.
func SchtasksCreate(bindir string) []string {
	return []string{"/Create", "/F", "/TN", TaskName, "/SC", "HOURLY", "/MO", "6", "/TR", `"` + schtasksRenew(bindir) + `"`}
}

func schtasksState(ctx context.Context, e Env) Scheduler {
	s := Scheduler{Kind: Schtasks}
	if !e.has("schtasks") {
		s.Detail = "no schtasks command"
		return s
	}
	out, err := e.Run(ctx, nil, "schtasks", "/Query", "/TN", TaskName, "/FO", "LIST")
	if err != nil {
		s.Detail = "no " + TaskName + " task in the Task Scheduler"
		return s
	}
	s.Installed = true
	if strings.Contains(strings.ToLower(out), "disabled") {
		s.Detail = "the " + TaskName + " task is disabled"
		s.Fix = "schtasks /Change /TN " + TaskName + " /ENABLE"
		return s
	}
	s.Active = true
	s.Detail = "Task Scheduler: " + TaskName + " every 6 hours"
	return s
}

func installSchtasks(ctx context.Context, e Env, bindir string, stdout io.Writer) error {
	if !e.has("schtasks") {
		return fmt.Errorf("no schtasks command on PATH; choose --scheduler none and run %s yourself", schtasksRenew(bindir))
	}
	if err := CheckBindir(filepath.ToSlash(bindir)); err != nil {
		return err
	}
	if out, err := e.Run(ctx, nil, "schtasks", SchtasksCreate(bindir)...); err != nil {
		return fmt.Errorf("schtasks /Create: %s: %w", firstLine(out), err)
	}
	say(stdout, "the Task Scheduler runs %s every 6 hours (task %s)", schtasksRenew(bindir), TaskName)
	return nil
}

func uninstallSchtasks(ctx context.Context, e Env, stdout io.Writer) error {
	if s := schtasksState(ctx, e); !s.Installed {
		say(stdout, "no %s task to remove", TaskName)
		return nil
	}
	if out, err := e.Run(ctx, nil, "schtasks", "/Delete", "/F", "/TN", TaskName); err != nil {
		return fmt.Errorf("schtasks /Delete: %s: %w; remove it by hand: schtasks /Delete /TN %s", firstLine(out), err, TaskName)
	}
	say(stdout, "removed the %s task", TaskName)
	return nil
}
