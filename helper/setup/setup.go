// Package setup is `vault-token-helper setup`: it installs the binaries
// for the current user, configures the Vault and OpenBao CLIs to run the
// helper, writes the default configuration, keeps the token the CLI was
// using, and installs the systemd user timer; `--uninstall` undoes it.
// install.sh only builds the binaries and runs this.
//
// Contract:
//   - Running it twice changes nothing the second time.
//   - A CLI config file (~/.vault, ~/.bao) is edited only in its
//     token_helper item, atomically, with a backup, and only when the
//     CLI's own loader accepts the result; a symlinked or foreign-owned
//     file is refused. See Apply.
//   - The CLI never loses its token: the token in ~/.vault-token is kept
//     (heal.Healer.KeepToken) before the CLI is told to ask the helper, and
//     uninstall writes the stored token back to ~/.vault-token before it
//     removes anything.
//   - It never prints a token. stdout: one line per step; stderr: one
//     line when it fails. Exit codes: 0 done, 1 failed (one line says why
//     and what to do), 2 bad arguments.
//
// Paths, the address and the configuration parser are the binaries' own:
// package helper passes them in (Env, Tool).
package setup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/names"
	"github.com/vault-token-helper/vault-token-helper/helper/sched"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// Names of the installed binaries.
const (
	HelperName = names.Helper // the front the CLI runs
	FullName   = names.Full   // the front executes it for every verb but get
	RenewName  = names.Renew
)

// Tool is what setup needs of the rest of vault-token-helper. Package
// helper implements it with the code the binaries run, so installer and
// tool cannot disagree on paths, addresses or the configuration.
type Tool interface {
	// Addr is the address the CLI uses in this environment, raw as the
	// user set it ("" when unset), and its store key.
	Addr() (raw string, key store.Key, err error)
	// CheckConfig parses a configuration file as every command does.
	CheckConfig(path string) error
	// Keep and KeepUnchecked keep a token for Addr (heal.Healer).
	Keep(ctx context.Context, token string) (heal.KeepResult, error)
	KeepUnchecked(ctx context.Context, token string) (heal.Result, error)
	// UninstallToken is the token uninstall leaves in ~/.vault-token: the
	// one stored for the mirrored address (mirror_address, else the only
	// stored address, else Addr). "" when none is stored.
	UninstallToken() (key store.Key, token string, err error)
	// StoredFor reports the address the store holds token for, if any
	// (no network).
	StoredFor(token string) (key store.Key, ok bool)
}

// Paths are the files setup writes besides the binaries.
type Paths struct {
	Home      string // $HOME
	Config    string // the configuration file
	Data      string // the token store
	UnitDir   string // $XDG_CONFIG_HOME/systemd/user
	TokenFile string // ~/.vault-token
	State     string // the state directory: launchd's and cron's renew output
}

// Env is setup's outside world.
type Env struct {
	LookupEnv func(string) (string, bool)
	Paths     Paths
	Cwd       string
	// BinSource is the directory holding the three binaries to install
	// (the directory of the running executable).
	BinSource string
	// LookPath finds a command on PATH (bao, systemctl).
	LookPath func(string) (string, error)
	// Systemctl runs `systemctl --user ARGS` and returns its output.
	Systemctl func(args ...string) (string, error)
	Now       func() time.Time
	Tool      Tool
	// Sched runs launchctl and crontab (Run) and knows the uid; its
	// paths, LookPath and Systemctl come from the fields above.
	Sched sched.Env
	// GOOS is runtime.GOOS unless set (tests).
	GOOS string
	// Usage is what --help prints, and what follows the one line of a
	// usage error: the command line makes it from Summary, Long and Flags.
	Usage string
}

func (e Env) getenv(k string) string { v, _ := e.LookupEnv(k); return v }

// run is one setup run: its options, environment and output.
type run struct {
	opt    options
	env    Env
	out    io.Writer
	errOut io.Writer
	bindir string
	bin    string // bindir/vault-token-helper
	hints  []string
	sched  sched.Kind // the scheduler install installed
	// managerErr is the answer of `systemctl --user show-environment`,
	// asked once (nil: not asked yet).
	managerErr *error
	// What checkCLIs found before anything changed: the CLI config files
	// that name our helper already (so ~/.vault-token is its mirror), and
	// those naming another program that --force replaces.
	oursIn, foreignIn []string
	// seen is the content checkCLIs read of each file this run
	// configures (nil: no file); setTokenHelper edits only that.
	seen map[string][]byte
}

func (r *run) say(format string, args ...any) { fmt.Fprintf(r.out, format+"\n", args...) }

// fail is a step that failed: its message becomes the one line on stderr.
func (r *run) fail(format string, args ...any) error { return fmt.Errorf(format, args...) }

// Run is `vault-token-helper setup ARGS`.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	opt, help, err := parseArgs(args)
	if help {
		fmt.Fprint(stdout, env.Usage)
		return ExitOK
	}
	if err != nil {
		usage, _, _ := strings.Cut(env.Usage, "\n")
		fmt.Fprintf(stderr, "vault-token-helper setup: %v\n%s (--help for more)\n", err, usage)
		return ExitUsage
	}
	r := &run{opt: opt, env: env, out: stdout, errOut: stderr}
	err = r.paths()
	switch {
	case err != nil:
	case opt.uninstall:
		err = r.uninstall(ctx)
	default:
		err = r.install(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vault-token-helper setup: %s\n", oneLine(err.Error()))
		return ExitFail
	}
	return ExitOK
}

func (r *run) paths() error {
	if r.env.Paths.Home == "" {
		return errors.New("no home directory: HOME is not set and the password database has none")
	}
	if r.opt.prefix != "" {
		p := r.opt.prefix
		if !filepath.IsAbs(p) {
			p = filepath.Join(r.env.Cwd, p)
		}
		r.bindir = filepath.Join(filepath.Clean(p), "bin")
	} else {
		r.bindir = filepath.Join(r.env.Paths.Home, ".local", "bin")
	}
	// token_helper takes forward slashes on every system: a backslash is
	// an escape in the HCL of ~/.vault, and Windows takes either.
	r.bin = filepath.ToSlash(filepath.Join(r.bindir, HelperName+r.exe()))
	if !r.opt.uninstall && !r.opt.noTimer && r.opt.scheduler != sched.None {
		return sched.CheckBindir(filepath.ToSlash(r.bindir))
	}
	return nil
}

func (r *run) install(ctx context.Context) error {
	steps := []func(context.Context) error{
		r.checkCLIs, // first: a refusal changes nothing
		r.installBinaries,
		r.writeConfig,
		r.keepToken, // before the CLI asks the helper: nobody is logged out
		r.setTokenHelper,
		r.installScheduler,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if !slices.Contains(filepath.SplitList(r.env.getenv("PATH")), r.bindir) {
		r.say("note: %s is not in PATH; the CLI does not need it, but add it to run %s status", r.bindir, HelperName)
	}
	r.say("done: %s now keeps a periodic token; check it with %s status", r.login(), r.bin)
	// The last line is honest about renewal: a WARNING, with the exact
	// command, when no scheduler will run renew.
	warn := ""
	for _, h := range r.hints {
		if w, ok := strings.CutPrefix(h, "warning: "); ok && warn == "" {
			warn = w
			continue
		}
		r.say("%s", h)
	}
	// A systemd timer enabled without advice runs (enable --now
	// succeeded); anything else is asked.
	if r.sched == sched.Systemd && warn == "" {
		return nil
	}
	if s := sched.State(ctx, r.schedEnv(), r.goos(), r.bin); !s.Active {
		if warn == "" {
			warn = fmt.Sprintf("nothing will run %s: %s; run: %s", RenewName, s.Detail, s.Fix)
		}
		r.say("WARNING: %s", warn)
	} else if warn != "" {
		r.say("warning: %s", warn)
	}
	return nil
}

func (r *run) uninstall(ctx context.Context) error {
	steps := []func(context.Context) error{
		r.saveToken, // first: the CLI's built-in helper must find the token
		r.removeScheduler,
		r.unsetTokenHelper,
		r.removeBinaries,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	r.say("kept the config %s and the token store %s; remove them by hand if you want them gone", r.env.Paths.Config, r.env.Paths.Data)
	r.sayPending()
	return nil
}

// sayPending names the revocations still pending in the token store
// (an erase while Vault was down, a replaced token in its grace): the
// renew that would retry them is gone with the binaries.
func (r *run) sayPending() {
	if r.env.Paths.Data == "" {
		return
	}
	states, _ := store.New(r.env.Paths.Data).List()
	var ps, accs []string
	for _, st := range states {
		for _, p := range st.Pending {
			w := fmt.Sprintf("%s (%s, %s", p.Accessor, st.Key(), p.Reason)
			if p.LastError != "" {
				w += "; last try: " + oneLine(p.LastError)
			}
			ps, accs = append(ps, w+")"), append(accs, p.Accessor)
		}
	}
	if len(ps) == 0 {
		return
	}
	r.say("note: %d revocation(s) still pending in the token store, which no %s will retry now: %s; revoke them as an admin: %s",
		len(ps), RenewName, strings.Join(ps, ", "), "vault token revoke -accessor "+strings.Join(accs, " and vault token revoke -accessor "))
}

// ---- binaries ---------------------------------------------------------------

// ---- the configuration ------------------------------------------------------

// ---- the CLI config files ---------------------------------------------------

func (r *run) now() time.Time {
	if r.env.Now != nil {
		return r.env.Now()
	}
	return time.Now()
}

// ---- ~/.vault-token ---------------------------------------------------------

// ---- the scheduler ----------------------------------------------------------
