// Package sched is the one place that knows the schedulers that run
// vault-token-renew: a systemd user timer, a launchd LaunchAgent, a
// crontab line, a Windows Task Scheduler task (schtasks), or none. It installs and removes each, and answers the
// question status and doctor ask: will something run renew? (State).
//
// Contract:
//   - Install and Uninstall are idempotent: a second run changes nothing
//     and says so. Each prints one line per step to its stdout writer; a
//     failure is the returned error (one line: what failed, what to run).
//   - Where the scheduler's command is missing (no systemd user manager,
//     no launchctl), Install writes its files and prints the exact command
//     that loads them; the returned Scheduler of State then says Active
//     false with that command as Fix.
//   - State never changes anything. It runs at most `systemctl --user
//     show`, `launchctl print` and `crontab -l`.
//   - A crontab is edited only in the one line that ends with Marker;
//     every other line is written back as it was.
//
// Nothing here holds or prints a token.
package sched

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/contrib/systemd"
	"github.com/vault-token-helper/vault-token-helper/helper/names"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// Kind names a scheduler.
type Kind string

// The schedulers, in the order State looks for them.
const (
	Systemd  Kind = "systemd"
	Launchd  Kind = "launchd"
	Cron     Kind = "cron"
	Schtasks Kind = "schtasks"
	None     Kind = "none"
)

// Kinds are every Kind, in the order State looks for them.
var Kinds = []Kind{Systemd, Launchd, Cron, Schtasks, None}

// Installable are the Kinds that install something: Kinds without None.
var Installable = []Kind{Systemd, Launchd, Cron, Schtasks}

// ParseKind reads a --scheduler value.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("--scheduler %q: want systemd, launchd, cron, schtasks or none", s)
}

// Names of what is installed.
const (
	// Label is the LaunchAgent's label (reverse DNS of the project) and
	// the base name of its plist in ~/Library/LaunchAgents.
	Label = "com.github.vault-token-helper.renew"
	// Marker ends the crontab line, which is how the line is found again.
	Marker = "# vault-token-helper: vault-token-renew"
	// RenewName is the binary each scheduler runs.
	RenewName = names.Renew
	// LogName is the file under Env.LogDir that launchd and cron append
	// renew's output to (systemd keeps it in the journal).
	LogName = "vault-token-renew.out"
)

// Scheduler is what State found of one scheduler. Active is the answer
// to "will this run renew?"; Fix, when set, is the one command (or step)
// that makes it true. It never holds a token.
type Scheduler struct {
	Kind      Kind   `json:"kind"`
	Installed bool   `json:"installed"` // its file or line is there
	Active    bool   `json:"active"`    // the scheduler has it loaded and will run it
	Detail    string `json:"detail"`    // one line: what was found
	Fix       string `json:"fix,omitempty"`
}

// Env is the outside world of the schedulers. Package helper builds it
// from its own paths (helper.Env) so that installer, status and doctor
// agree on every path.
type Env struct {
	Home    string // $HOME: ~/Library/LaunchAgents lives there
	UnitDir string // the systemd user unit directory ($XDG_CONFIG_HOME/systemd/user)
	LogDir  string // the tool's state directory: launchd's and cron's output go there
	UID     int    // for launchctl's gui/<uid> domain
	// LookPath finds a command on PATH (launchctl, crontab, systemctl).
	LookPath func(string) (string, error)
	// Systemctl runs `systemctl --user ARGS`; nil when there is no systemctl.
	Systemctl func(args ...string) (string, error)
	// Run runs a command with stdin (nil: none) and returns its stdout
	// and stderr together.
	Run func(ctx context.Context, stdin []byte, name string, args ...string) (string, error)
}

// PlistPath is the LaunchAgent's file.
func (e Env) PlistPath() string {
	return filepath.Join(e.Home, "Library", "LaunchAgents", Label+".plist")
}

func (e Env) has(cmd string) bool {
	if e.LookPath == nil {
		return false
	}
	_, err := e.LookPath(cmd)
	return err == nil
}

// SystemdAnswers reports whether a systemd user manager answers.
func (e Env) SystemdAnswers() bool {
	if e.Systemctl == nil || !e.has("systemctl") {
		return false
	}
	_, err := e.Systemctl("show-environment")
	return err == nil
}

// Default is the scheduler setup installs without --scheduler on goos
// (runtime.GOOS): launchd on darwin, the Task Scheduler on windows
// (none when there is no schtasks), systemd elsewhere. advice is ""
// when the default will run; otherwise one line naming the scheduler
// that would and the exact command (bin is the installed
// vault-token-helper).
func Default(e Env, goos, bin string) (k Kind, advice string) {
	if goos == "darwin" {
		return Launchd, ""
	}
	if goos == "windows" {
		if e.has("schtasks") {
			return Schtasks, ""
		}
		return None, fmt.Sprintf("there is no schtasks command, so nothing will run renew; rely on the lazy renew of get (lazy_renew, on by default), or schedule %s yourself", RenewName+".exe")
	}
	if e.SystemdAnswers() {
		return Systemd, ""
	}
	if e.has("crontab") {
		return Systemd, fmt.Sprintf("no systemd user manager answers, so the timer will not run; cron will: %s setup --scheduler cron", bin)
	}
	return Systemd, fmt.Sprintf("no systemd user manager answers and there is no crontab command, so nothing will run renew; enable the timer where a user manager runs (%s), or rely on the lazy renew of get (lazy_renew, on by default)", enableCmds)
}

// State answers "will something run renew?": the first active
// scheduler among systemd, launchd and cron; else the first installed
// one (Active false, with its Fix); else Kind None, with the Fix that
// installs the default scheduler of goos. bin is the installed
// vault-token-helper (for the Fix).
func State(ctx context.Context, e Env, goos, bin string) Scheduler {
	var found []Scheduler
	for _, k := range Installable {
		s := StateOf(ctx, e, k)
		if s.Active {
			return s
		}
		found = append(found, s)
	}
	for _, s := range found {
		if s.Installed {
			return s
		}
	}
	k, advice := Default(e, goos, bin)
	fix := fmt.Sprintf("%s setup --scheduler %s", bin, k)
	if advice != "" {
		fix = advice
	}
	return Scheduler{Kind: None, Detail: "no systemd timer, LaunchAgent, crontab line or scheduled task runs vault-token-renew", Fix: fix}
}

// StateOf is what is installed and active of one scheduler. For None it
// is never active.
func StateOf(ctx context.Context, e Env, k Kind) Scheduler {
	switch k {
	case Systemd:
		return systemdState(e)
	case Launchd:
		return launchdState(ctx, e)
	case Cron:
		return cronState(ctx, e)
	case Schtasks:
		return schtasksState(ctx, e)
	}
	return Scheduler{Kind: None, Detail: "no scheduler (--scheduler none)"}
}

// Install installs the scheduler k to run bindir/vault-token-renew.
func Install(ctx context.Context, e Env, k Kind, bindir string, stdout, stderr io.Writer) error {
	switch k {
	case Systemd:
		return installSystemd(e, bindir, stdout, stderr)
	case Launchd:
		return installLaunchd(ctx, e, bindir, stdout, stderr)
	case Cron:
		return installCron(ctx, e, bindir, stdout)
	case Schtasks:
		return installSchtasks(ctx, e, bindir, stdout)
	}
	say(stdout, "no scheduler installed (--scheduler none): run %s yourself, or rely on the lazy renew of get", filepath.Join(bindir, RenewName))
	return nil
}

// Uninstall removes what Install(k) installed. Removing what is not
// there is not an error.
func Uninstall(ctx context.Context, e Env, k Kind, stdout, stderr io.Writer) error {
	switch k {
	case Systemd:
		return uninstallSystemd(e, stdout, stderr)
	case Launchd:
		return uninstallLaunchd(ctx, e, stdout, stderr)
	case Cron:
		return uninstallCron(ctx, e, stdout)
	case Schtasks:
		return uninstallSchtasks(ctx, e, stdout)
	}
	return nil
}

// say prints one line to w.
func say(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// pathSafe is what a unit file, a plist and a crontab line take as they
// are: no quotes, no %, no spaces, no newlines.
var pathSafe = regexp.MustCompile(`^[A-Za-z0-9_./@+,:=-]+$`)

// CheckBindir refuses a bin directory a scheduler cannot name as it is.
func CheckBindir(bindir string) error {
	if !pathSafe.MatchString(bindir) {
		return fmt.Errorf("the bin dir %q has characters a scheduler entry cannot take as they are; choose another --prefix, or use --scheduler none and schedule %s yourself", bindir, RenewName)
	}
	return nil
}

// maxFileSize bounds what is read of a unit file or plist.
const maxFileSize = 1 << 20

// writeFile writes data atomically with mode when it differs; changed
// reports whether it did.
func writeFile(p string, data []byte, mode os.FileMode) (changed bool, err error) {
	// Read without blocking or following a link (a FIFO planted there).
	if cur, err := disk.ReadRegularFile(p, maxFileSize); err == nil && string(cur) == string(data) {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() == mode {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return false, fmt.Errorf("create %q: %w", filepath.Dir(p), err)
	}
	if err := disk.WriteFile(p, data, disk.WriteOptions{Mode: mode, ReplaceLink: true}); err != nil {
		return false, err
	}
	return true, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// ---- systemd ----------------------------------------------------------------

const enableCmds = "systemctl --user daemon-reload && systemctl --user enable --now " + systemd.Timer

func systemdState(e Env) Scheduler {
	s := Scheduler{Kind: Systemd}
	unit := filepath.Join(e.UnitDir, systemd.Timer)
	if _, err := os.Stat(unit); err == nil {
		s.Installed = true
	}
	if !e.SystemdAnswers() {
		if s.Installed {
			s.Detail = unit + " is installed, but no systemd user manager answers"
			s.Fix = "where a user manager runs: " + enableCmds
		} else {
			s.Detail = "no systemd user manager answers"
		}
		return s
	}
	out, err := e.Systemctl("show", systemd.Timer, "--property=UnitFileState,ActiveState")
	if err != nil {
		s.Detail = "systemctl --user show " + systemd.Timer + " failed: " + firstLine(out)
		return s
	}
	props := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			props[k] = v
		}
	}
	enabled, active := props["UnitFileState"], props["ActiveState"]
	if enabled != "" && enabled != "not-found" {
		s.Installed = true
	}
	s.Active = enabled == "enabled" && active == "active"
	s.Detail = fmt.Sprintf("%s is %s and %s", systemd.Timer, orDash(enabled, "not installed"), orDash(active, "unknown"))
	if !s.Active && s.Installed {
		s.Fix = enableCmds
	}
	return s
}

func orDash(s, def string) string {
	if s == "" || s == "not-found" {
		return def
	}
	return s
}

func installSystemd(e Env, bindir string, stdout, stderr io.Writer) error {
	units := systemd.Units(bindir)
	for _, name := range []string{systemd.Service, systemd.Timer} {
		p := filepath.Join(e.UnitDir, name)
		changed, err := writeFile(p, []byte(units[name]), 0o644)
		if err != nil {
			return fmt.Errorf("cannot write the systemd unit: %w", err)
		}
		if changed {
			say(stdout, "wrote %s", p)
		} else {
			say(stdout, "%s is up to date", p)
		}
	}
	if !e.SystemdAnswers() {
		say(stdout, "no systemd user manager reachable; to enable the timer later run: %s", enableCmds)
		return nil
	}
	for _, args := range [][]string{{"daemon-reload"}, {"enable", "--now", systemd.Timer}} {
		if out, err := e.Systemctl(args...); err != nil {
			say(stderr, "%s", strings.TrimSpace(out))
			return fmt.Errorf("could not enable %s (systemctl output above); run: %s", systemd.Timer, enableCmds)
		}
	}
	say(stdout, "enabled and started %s", systemd.Timer)
	return nil
}

func uninstallSystemd(e Env, stdout, stderr io.Writer) error {
	dir := e.UnitDir
	present := false
	for _, name := range []string{systemd.Service, systemd.Timer} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			present = true
		}
	}
	if !present {
		say(stdout, "no systemd units in %s", dir)
		return nil
	}
	reachable := e.SystemdAnswers()
	if reachable {
		if out, err := e.Systemctl("disable", "--now", systemd.Timer); err != nil {
			say(stderr, "%s", strings.TrimSpace(out))
			return fmt.Errorf("could not disable %s (systemctl output above); run: systemctl --user disable --now %s", systemd.Timer, systemd.Timer)
		}
		say(stdout, "disabled and stopped %s", systemd.Timer)
	}
	for _, name := range []string{systemd.Service, systemd.Timer, filepath.Join("timers.target.wants", systemd.Timer)} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cannot remove %q: %w", filepath.Join(dir, name), err)
		}
	}
	_ = os.Remove(filepath.Join(dir, "timers.target.wants")) // only when empty
	say(stdout, "removed %s and %s", filepath.Join(dir, systemd.Service), systemd.Timer)
	if reachable {
		if out, err := e.Systemctl("daemon-reload"); err != nil {
			say(stderr, "%s", strings.TrimSpace(out))
			return errors.New("systemctl --user daemon-reload failed (output above)")
		}
	} else {
		say(stdout, "no systemd user manager reachable; if it runs elsewhere, run: systemctl --user stop %s; systemctl --user daemon-reload", systemd.Timer)
	}
	return nil
}
