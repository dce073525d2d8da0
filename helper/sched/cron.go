package sched

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// CronLine is the crontab line that runs bindir/vault-token-renew every
// six hours (cron does not catch up on a run missed while the machine
// was off, so it runs more often than the daily timer), with its output
// appended to logDir/vault-token-renew.out. It ends with Marker.
func CronLine(bindir, logDir string) string {
	return fmt.Sprintf("17 */6 * * * umask 077; %s >>%s 2>&1 %s",
		filepath.Join(bindir, RenewName), filepath.Join(logDir, LogName), Marker)
}

// crontab reads the user's crontab; a user without one has an empty one.
func crontab(ctx context.Context, e Env) (string, error) {
	out, err := e.Run(ctx, nil, "crontab", "-l")
	if err != nil {
		if strings.Contains(strings.ToLower(out), "no crontab") {
			return "", nil
		}
		return "", fmt.Errorf("crontab -l: %s: %w", firstLine(out), err)
	}
	return out, nil
}

// ours reports whether a crontab line is the one we installed.
func ours(line string) bool {
	l := strings.TrimSpace(line)
	return strings.HasSuffix(l, Marker) && !strings.HasPrefix(l, "#")
}

// splitCrontab returns the lines of a crontab that are not ours, and our
// lines.
func splitCrontab(tab string) (others, mine []string) {
	for _, l := range strings.Split(strings.TrimRight(tab, "\n"), "\n") {
		switch {
		case ours(l):
			mine = append(mine, l)
		case l == "" && len(others) == 0:
		default:
			others = append(others, l)
		}
	}
	return others, mine
}

func cronState(ctx context.Context, e Env) Scheduler {
	s := Scheduler{Kind: Cron}
	if !e.has("crontab") {
		s.Detail = "no crontab command"
		return s
	}
	tab, err := crontab(ctx, e)
	if err != nil {
		s.Detail = err.Error()
		return s
	}
	_, mine := splitCrontab(tab)
	if len(mine) == 0 {
		s.Detail = "no vault-token-renew line in the crontab"
		return s
	}
	// Whether a cron daemon runs cannot be told without privileges on
	// every system: a line in the crontab counts as active.
	s.Installed, s.Active = true, true
	s.Detail = "crontab: " + strings.TrimSpace(mine[0])
	return s
}

func writeCrontab(ctx context.Context, e Env, lines []string) error {
	text := ""
	if len(lines) > 0 {
		text = strings.Join(lines, "\n") + "\n"
	}
	if out, err := e.Run(ctx, []byte(text), "crontab", "-"); err != nil {
		return fmt.Errorf("crontab -: %s: %w", firstLine(out), err)
	}
	return nil
}

func installCron(ctx context.Context, e Env, bindir string, stdout io.Writer) error {
	if !e.has("crontab") {
		return fmt.Errorf("no crontab command on PATH; install cron, or choose --scheduler systemd, launchd or none")
	}
	if err := CheckBindir(bindir); err != nil {
		return err
	}
	tab, err := crontab(ctx, e)
	if err != nil {
		return fmt.Errorf("cannot read the crontab: %w; nothing was changed", err)
	}
	want := CronLine(bindir, e.LogDir)
	others, mine := splitCrontab(tab)
	if len(mine) == 1 && strings.TrimSpace(mine[0]) == want {
		say(stdout, "the crontab runs %s already", filepath.Join(bindir, RenewName))
		return nil
	}
	if err := writeCrontab(ctx, e, append(others, want)); err != nil {
		return fmt.Errorf("cannot install the crontab line: %w", err)
	}
	say(stdout, "added to the crontab: %s", want)
	return nil
}

func uninstallCron(ctx context.Context, e Env, stdout io.Writer) error {
	if !e.has("crontab") {
		say(stdout, "no crontab command; no crontab line to remove")
		return nil
	}
	tab, err := crontab(ctx, e)
	if err != nil {
		return fmt.Errorf("cannot read the crontab: %w; remove the line ending with %q by hand (crontab -e)", err, Marker)
	}
	others, mine := splitCrontab(tab)
	if len(mine) == 0 {
		say(stdout, "no vault-token-renew line in the crontab")
		return nil
	}
	if err := writeCrontab(ctx, e, others); err != nil {
		return fmt.Errorf("cannot remove the crontab line: %w; remove the line ending with %q by hand (crontab -e)", err, Marker)
	}
	say(stdout, "removed the vault-token-renew line from the crontab")
	return nil
}
