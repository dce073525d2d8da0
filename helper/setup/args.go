package setup

// setup's command line: its flags (Flags, which the verb table shows) and
// their parser.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/helper/sched"
)

// Summary and Long are the help of the setup verb, and Flags its flags:
// the command line's verb table takes all three, so that the help, the
// shell completions and the man page show what parseArgs accepts.
const (
	Summary = "install for this user (binaries, ~/.vault or ~/.bao, scheduler)"
	Long    = "Installs vault-token-helper for the current user: the binaries next to this one go to ~/.local/bin (or DIR/bin), token_helper is set in ~/.vault ($VAULT_CONFIG_PATH) and, for OpenBao, in ~/.bao ($BAO_CONFIG_PATH, else $VAULT_CONFIG_PATH), a commented config is written when there is none, the token in ~/.vault-token is kept, and a scheduler runs vault-token-renew: the daily vault-token-renew.timer systemd user unit on Linux, a LaunchAgent on macOS. Running it again changes nothing."
)

// Flag is one flag of setup; Name has no dashes, Arg is empty for a
// flag that takes no value, Values completes Arg ("file": a path).
type Flag struct {
	Name, Arg, Help string
	Values          []string
}

// Flags are the flags setup accepts, in the order of its help.
func Flags() []Flag {
	return []Flag{
		{Name: "cli", Arg: "vault|bao|both", Values: []string{"vault", "bao", "both"},
			Help: "which CLI to configure (default: vault, and bao too when the bao command is on PATH)"},
		{Name: "prefix", Arg: "DIR", Values: []string{"file"}, Help: "install the binaries into DIR/bin instead of ~/.local/bin"},
		{Name: "scheduler", Arg: "KIND", Values: kindNames(),
			Help: "what runs vault-token-renew: systemd (the default on Linux), launchd (the default on macOS), cron (a crontab line, every 6 hours), schtasks (the Task Scheduler, the default on Windows) or none; it replaces the others. With --uninstall: remove only that one"},
		{Name: "no-timer", Help: "the same as --scheduler none"},
		{Name: "force", Help: "replace a token_helper that names another program (refused without it); the token in ~/.vault-token is then not kept, and --uninstall does not restore the other helper: it is in the backup file CONFIG.bak-TIME"},
		{Name: "uninstall", Help: "undo the install; keeps the config and the token store"},
	}
}

// options are the parsed arguments.
type options struct {
	prefix    string
	cli       string     // "", vault, bao, both
	noTimer   bool       // --no-timer: --scheduler none
	scheduler sched.Kind // "" for the default of the platform
	uninstall bool
	force     bool // --force: replace another program's token_helper
}

// usageError is a bad argument: exit 2 with the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func kindNames() []string {
	var out []string
	for _, k := range sched.Kinds {
		out = append(out, string(k))
	}
	return out
}

// parseArgs parses setup's arguments: the flags of Flags, written
// --flag or -flag, a value as the next argument or after "=".
func parseArgs(args []string) (options, bool, error) {
	var o options
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-h" || a == "--help" || a == "-help" {
			return o, true, nil
		}
		name, val, hasVal := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		j := slices.IndexFunc(Flags(), func(f Flag) bool { return f.Name == name })
		if !strings.HasPrefix(a, "-") || j < 0 {
			return o, false, &usageError{fmt.Sprintf("unknown argument %q", a)}
		}
		f := Flags()[j]
		switch {
		case f.Arg == "" && hasVal:
			return o, false, &usageError{fmt.Sprintf("--%s takes no value", name)}
		case f.Arg != "" && !hasVal:
			if i+1 < len(args) {
				i++
				val = args[i]
			}
		}
		if f.Arg != "" && val == "" {
			what := "a value (" + f.Arg + ")"
			if f.Arg == "DIR" {
				what = "a directory"
			}
			return o, false, &usageError{fmt.Sprintf("--%s needs %s", name, what)}
		}
		if err := o.set(name, val); err != nil {
			return o, false, &usageError{err.Error()}
		}
	}
	return o, false, nil
}

// set applies one parsed flag of Flags.
func (o *options) set(name, val string) error {
	var err error
	switch name {
	case "prefix":
		o.prefix = val
	case "cli":
		o.cli = val
		if !slices.Contains([]string{"vault", "bao", "both"}, val) {
			err = fmt.Errorf("--cli %q: want vault, bao or both", val)
		}
	case "scheduler":
		o.scheduler, err = sched.ParseKind(val)
	case "no-timer":
		o.noTimer = true
	case "uninstall":
		o.uninstall = true
	case "force":
		o.force = true
	default:
		err = fmt.Errorf("--%s: a flag of Flags with no meaning in parseArgs", name)
	}
	return err
}
