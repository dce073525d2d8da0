package setup

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/helper/sched"
)

// withStandIns puts stand-in commands (name -> shell body) on the
// world's PATH: LookPath and Sched.Run find them and nothing else.
func (w *world) withStandIns(t *testing.T, cmds map[string]string) {
	t.Helper()
	bin := filepath.Join(filepath.Dir(w.home), "fakebin")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, body := range cmds {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	w.env.LookPath = func(name string) (string, error) {
		p := filepath.Join(bin, name)
		if _, err := os.Stat(p); err != nil {
			return "", exec.ErrNotFound
		}
		return p, nil
	}
	w.env.Sched.Run = func(ctx context.Context, stdin []byte, name string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	w.env.Paths.State = filepath.Join(w.home, ".local", "state", "vault-token-helper")
}

// standInCrontab is a crontab that keeps the table in file.
func standInCrontab(file string) string {
	return `case "$1" in
-l) if [ -f '` + file + `' ]; then cat '` + file + `'; else echo "no crontab for $USER" >&2; exit 1; fi ;;
-) cat > '` + file + `' ;;
esac`
}

func TestSetupCron(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "https://vault.example.com:8200")
	tab := filepath.Join(filepath.Dir(w.home), "crontab.txt")
	w.withStandIns(t, map[string]string{"crontab": standInCrontab(tab)})

	// The default first: systemd units, and advice naming cron.
	code, out, errOut := w.run(t, "--prefix", w.prefix)
	if code != ExitOK {
		t.Fatalf("setup: exit %d, stderr %q\n%s", code, errOut, out)
	}
	if want := "setup --scheduler cron"; !strings.Contains(out, want) {
		t.Errorf("without a systemd user manager setup does not advise %q:\n%s", want, out)
	}
	timer := filepath.Join(w.env.Paths.UnitDir, "vault-token-renew.timer")
	if _, err := os.Stat(timer); err != nil {
		t.Fatalf("the default install wrote no timer: %v", err)
	}
	for i := range 2 {
		code, out, errOut = w.run(t, "--prefix", w.prefix, "--scheduler", "cron")
		if code != ExitOK {
			t.Fatalf("setup --scheduler cron (run %d): exit %d, stderr %q\n%s", i+1, code, errOut, out)
		}
	}
	renew := filepath.Join(w.prefix, "bin", RenewName)
	got := readOrEmpty(t, tab)
	if strings.Count(got, renew) != 1 || strings.Count(got, "\n") != 1 {
		t.Errorf("crontab after two installs = %q, want one line running %s", got, renew)
	}
	if _, err := os.Stat(timer); err == nil {
		t.Errorf("%s is still there: cron should replace the systemd timer", timer)
	}
	code, out, errOut = w.run(t, "--prefix", w.prefix, "--uninstall")
	if code != ExitOK {
		t.Fatalf("uninstall: exit %d, stderr %q\n%s", code, errOut, out)
	}
	if got := readOrEmpty(t, tab); got != "" {
		t.Errorf("crontab after uninstall = %q, want empty", got)
	}
}

func TestSetupLaunchdWithoutLaunchctl(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "https://vault.example.com:8200")
	w.withStandIns(t, nil)
	w.env.GOOS = "darwin" // launchd is the default
	w.env.Sched.UID = 501
	code, out, errOut := w.run(t, "--prefix", w.prefix)
	if code != ExitOK {
		t.Fatalf("setup: exit %d, stderr %q\n%s", code, errOut, out)
	}
	p := filepath.Join(w.home, "Library", "LaunchAgents", sched.Label+".plist")
	if s := readOrEmpty(t, p); !strings.Contains(s, "<string>"+filepath.Join(w.prefix, "bin", RenewName)+"</string>") {
		t.Errorf("%s = %q, want it to run the installed vault-token-renew", p, s)
	}
	if want := "launchctl bootstrap gui/501 " + p; !strings.Contains(out, want) {
		t.Errorf("setup does not print %q:\n%s", want, out)
	}
	if _, err := os.Stat(filepath.Join(w.env.Paths.UnitDir, "vault-token-renew.timer")); err == nil {
		t.Error("setup on darwin wrote systemd units")
	}
	code, out, errOut = w.run(t, "--prefix", w.prefix, "--uninstall")
	if code != ExitOK {
		t.Fatalf("uninstall: exit %d, stderr %q\n%s", code, errOut, out)
	}
	if _, err := os.Stat(p); err == nil {
		t.Errorf("%s is still there after uninstall", p)
	}
}

// TestSetupSchedulerNone: choosing none is a choice like the others
// (issue 21, friction 1): it removes the units and the crontab line an
// earlier run wrote, and records the choice for status and doctor;
// installing a scheduler again, or uninstalling, takes the record away.
func TestSetupSchedulerNone(t *testing.T) {
	t.Parallel()
	for _, flag := range [][]string{{"--scheduler", "none"}, {"--no-timer"}} {
		t.Run(strings.Join(flag, " "), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "https://vault.example.com:8200")
			tab := filepath.Join(filepath.Dir(w.home), "crontab.txt")
			w.withStandIns(t, map[string]string{"crontab": standInCrontab(tab)})
			timer := filepath.Join(w.env.Paths.UnitDir, "vault-token-renew.timer")
			if code, out, errOut := w.run(t, "--prefix", w.prefix); code != ExitOK {
				t.Fatalf("setup: exit %d, stderr %q\n%s", code, errOut, out)
			}
			if _, err := os.Stat(timer); err != nil {
				t.Fatalf("the default install wrote no timer: %v", err)
			}
			if ChoseNoScheduler(w.env.Paths.Data) {
				t.Fatal("the default install recorded --scheduler none")
			}
			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--scheduler", "cron"); code != ExitOK {
				t.Fatalf("setup --scheduler cron: exit %d, stderr %q\n%s", code, errOut, out)
			}
			// An earlier systemd install too (cron removed it): write it back.
			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--scheduler", "systemd"); code != ExitOK {
				t.Fatalf("setup --scheduler systemd: exit %d, stderr %q\n%s", code, errOut, out)
			}
			if _, err := os.Stat(timer); err != nil {
				t.Fatalf("setup --scheduler systemd wrote no timer: %v", err)
			}

			code, out, errOut := w.run(t, append([]string{"--prefix", w.prefix}, flag...)...)
			if code != ExitOK {
				t.Fatalf("setup %v: exit %d, stderr %q\n%s", flag, code, errOut, out)
			}
			if _, err := os.Stat(timer); err == nil {
				t.Errorf("%s is still there after setup %v\n%s", timer, flag, out)
			}
			if !strings.Contains(out, "none replaces systemd") {
				t.Errorf("setup %v: got\n%s\nwant it to say none replaces systemd", flag, out)
			}
			if !ChoseNoScheduler(w.env.Paths.Data) {
				t.Errorf("setup %v did not record the choice", flag)
			}
			if _, err := os.Stat(filepath.Join(w.env.Paths.UnitDir, "vault-token-renew.service")); err == nil {
				t.Errorf("the service unit is still there after setup %v", flag)
			}

			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--scheduler", "cron"); code != ExitOK {
				t.Fatalf("setup --scheduler cron: exit %d, stderr %q\n%s", code, errOut, out)
			}
			if ChoseNoScheduler(w.env.Paths.Data) {
				t.Error("setup --scheduler cron left the record of none")
			}
			if code, out, errOut := w.run(t, append([]string{"--prefix", w.prefix}, flag...)...); code != ExitOK {
				t.Fatalf("setup %v: exit %d, stderr %q\n%s", flag, code, errOut, out)
			}
			if got := readOrEmpty(t, tab); got != "" {
				t.Errorf("crontab after setup %v = %q, want empty", flag, got)
			}
			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--uninstall"); code != ExitOK {
				t.Fatalf("uninstall: exit %d, stderr %q\n%s", code, errOut, out)
			}
			if ChoseNoScheduler(w.env.Paths.Data) {
				t.Error("uninstall left the record of none")
			}
		})
	}
}
