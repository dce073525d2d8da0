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
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
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

// maxBinarySize bounds what setup reads of the binaries it installs
// (never blocking: store.ReadRegularFile; package sched does the same
// for the scheduler's files).
const maxBinarySize = 1 << 30

// Usage is the help of the setup verb.
const Usage = `usage: vault-token-helper setup [--cli vault|bao|both] [--prefix DIR] [--scheduler KIND] [--force] [--uninstall]

Installs vault-token-helper for the current user: the binaries next to
this one go to ~/.local/bin (or DIR/bin), token_helper is set in ~/.vault
($VAULT_CONFIG_PATH) and, for OpenBao, in ~/.bao ($BAO_CONFIG_PATH, else
$VAULT_CONFIG_PATH), a commented config is written when there is none,
the token in ~/.vault-token is kept, and a scheduler runs
vault-token-renew: the daily vault-token-renew.timer systemd user unit
on Linux, a LaunchAgent on macOS. Running it again changes nothing.

  --cli vault|bao|both  which CLI to configure (default: vault, and bao
                        too when the bao command is on PATH)
  --prefix DIR          install the binaries into DIR/bin instead of ~/.local/bin
  --scheduler KIND      what runs vault-token-renew: systemd (the default on
                        Linux), launchd (the default on macOS), cron (a
                        crontab line, every 6 hours), schtasks (the
                        default on Windows: a task every 6 hours) or
                        none; it replaces
                        the others. With --uninstall: remove only that one
  --no-timer            the same as --scheduler none
  --force               replace a token_helper that names another program
                        (refused without it); the token in ~/.vault-token
                        is then not kept, and --uninstall does not restore
                        the other helper: it is in the backup file
                        CONFIG.bak-TIME
  --uninstall           undo the install; keeps the config and the token store
  -h, --help            show this help
`

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
}

func (e Env) getenv(k string) string { v, _ := e.LookupEnv(k); return v }

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

func parseArgs(args []string) (options, bool, error) {
	var o options
	value := func(i *int, name string) (string, error) {
		a := args[*i]
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			if v == "" {
				return "", &usageError{name + " needs a value"}
			}
			return v, nil
		}
		if *i+1 >= len(args) || args[*i+1] == "" {
			return "", &usageError{name + " needs a value"}
		}
		*i++
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var err error
		switch {
		case a == "-h" || a == "--help" || a == "-help":
			return o, true, nil
		case a == "--prefix" || strings.HasPrefix(a, "--prefix="):
			o.prefix, err = value(&i, "--prefix")
			if err != nil {
				err = &usageError{"--prefix needs a directory"}
			}
		case a == "--cli" || strings.HasPrefix(a, "--cli="):
			o.cli, err = value(&i, "--cli")
			if err == nil && !slices.Contains([]string{"vault", "bao", "both"}, o.cli) {
				err = &usageError{fmt.Sprintf("--cli %q: want vault, bao or both", o.cli)}
			}
		case a == "--scheduler" || strings.HasPrefix(a, "--scheduler="):
			var v string
			if v, err = value(&i, "--scheduler"); err == nil {
				o.scheduler, err = sched.ParseKind(v)
				if err != nil {
					err = &usageError{err.Error()}
				}
			}
		case a == "--no-timer":
			o.noTimer = true
		case a == "--uninstall":
			o.uninstall = true
		case a == "--force":
			o.force = true
		default:
			err = &usageError{fmt.Sprintf("unknown argument %q", a)}
		}
		if err != nil {
			return o, false, err
		}
	}
	return o, false, nil
}

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
		fmt.Fprint(stdout, Usage)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "vault-token-helper setup: %v\n%s", err, Usage)
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

// clis are the CLI config files to edit, one entry per file.
func (r *run) clis() []CLI {
	look := r.env.LookupEnv
	home, cwd := r.env.Paths.Home, r.env.Cwd
	vault := CLI{Name: "vault", Path: VaultConfigPath(look, home, cwd)}
	bao := CLI{Name: "bao", Path: BaoConfigPath(look, home, cwd)}
	var want []CLI
	switch r.opt.cli {
	case "vault":
		want = []CLI{vault}
	case "bao":
		want = []CLI{bao}
	case "both":
		want = []CLI{vault, bao}
	default:
		want = []CLI{vault}
		if _, err := r.env.LookPath("bao"); err == nil {
			want = append(want, bao)
		} else if r.opt.uninstall {
			// Removing our item is always right: clean ~/.bao when it exists.
			if _, err := os.Lstat(bao.Path); err == nil {
				want = append(want, bao)
			}
		}
	}
	if len(want) == 2 && want[0].Path == want[1].Path {
		want = []CLI{{Name: "vault and bao", Path: vault.Path}}
	}
	return want
}

// names reports whether a token_helper value names our binary.
func (r *run) names(v string) bool {
	if v == "" {
		return false
	}
	if !filepath.IsAbs(v) {
		v = filepath.Join(r.env.Cwd, v)
	}
	if filepath.Clean(v) == filepath.Clean(r.bin) {
		return true
	}
	a, errA := os.Stat(v)
	b, errB := os.Stat(r.bin)
	return errA == nil && errB == nil && os.SameFile(a, b)
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
	r.say("done: vault login now keeps a periodic token; check it with %s status", r.bin)
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
	return nil
}

// ---- binaries ---------------------------------------------------------------

func (r *run) installBinaries(context.Context) error {
	if err := os.MkdirAll(r.bindir, 0o755); err != nil {
		return r.fail("create %q: %w", r.bindir, err)
	}
	// The full binary first: the front must never run without it. The
	// sources may have the names `go install` gives; what is installed
	// has the usual ones.
	from := names.In(r.env.BinSource, r.exe())
	for i, name := range names.Usual.All() {
		src := filepath.Join(r.env.BinSource, from.All()[i])
		dst := filepath.Join(r.bindir, name+r.exe())
		data, err := store.ReadRegularFile(src, maxBinarySize)
		if err != nil {
			return r.fail("%q: %w; setup installs the binaries next to it: build them with `make build` or run ./install.sh", src, err)
		}
		if fi, err := os.Lstat(dst); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() == 0o755 {
			if cur, err := store.ReadRegularFile(dst, maxBinarySize); err == nil && bytes.Equal(cur, data) {
				r.say("%s is up to date", dst)
				continue
			}
		}
		if err := writeAtomic(dst, data, 0o755); err != nil {
			return r.fail("cannot install %q: %w", dst, err)
		}
		r.say("installed %s", dst)
	}
	return nil
}

// writeAtomic writes data to a temporary file next to path and renames
// it over path (replacing a symlink, never writing through one).
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	_, werr := tmp.Write(data)
	merr := tmp.Chmod(mode)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, merr, serr, cerr); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

func (r *run) removeBinaries(context.Context) error {
	for _, name := range []string{HelperName, FullName, RenewName} {
		p := filepath.Join(r.bindir, name+r.exe())
		err := os.Remove(p)
		switch {
		case err == nil:
			r.say("removed %s", p)
		case errors.Is(err, fs.ErrNotExist):
			r.say("no %s", p)
		default:
			return r.fail("cannot remove %q: %w", p, err)
		}
	}
	return nil
}

// ---- the configuration ------------------------------------------------------

func (r *run) writeConfig(context.Context) error {
	p := r.env.Paths.Config
	if _, err := os.Lstat(p); err == nil {
		r.say("kept the existing config %s", p)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return r.fail("%q: %w", p, err)
	}
	raw, _, err := r.env.Tool.Addr()
	if err != nil {
		raw = ""
	}
	line := "mirror_address = " + hclQuote(raw)
	text := DefaultConfigText(line)
	note := "mirror_address " + raw
	if raw == "" {
		text = DefaultConfigText("# mirror_address = \"https://vault.example.com:8200\"")
		note = "mirror_address unset: no address is set, so the only stored address is mirrored"
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return r.fail("create the directory of %q: %w", p, err)
	}
	check := func(text string) error {
		// A new file under a random name (O_EXCL): nothing planted at a
		// known name is ever written through or blocks the write.
		f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".check-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		_, werr := f.WriteString(text)
		if err := errors.Join(werr, f.Close()); err != nil {
			return err
		}
		return r.env.Tool.CheckConfig(f.Name())
	}
	if err := check(text); err != nil {
		if raw == "" {
			return r.fail("the default config does not parse (%v); this is a bug in setup", err)
		}
		fmt.Fprintf(r.errOut, "vault-token-helper setup: warning: %q is not a Vault address like https://vault.example.com:8200; the config leaves mirror_address unset\n", raw)
		text = DefaultConfigText("# " + line)
		note = "mirror_address unset"
		if err := check(text); err != nil {
			return r.fail("the default config does not parse (%v); this is a bug in setup", err)
		}
	}
	if err := writeNew(p, []byte(text)); err != nil {
		return r.fail("cannot write %q: %w", p, err)
	}
	r.say("wrote the default config %s (%s)", p, note)
	return nil
}

// writeNew writes a new private file atomically, never over one that
// appeared meanwhile.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name)
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return err
	}
	err = os.Link(name, path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		// No hard links here (some network file systems): the caller
		// checked that path did not exist a moment ago.
		err = os.Rename(name, path)
	}
	return err
}

// DefaultConfigText is the commented configuration setup writes, with
// the mirror_address line given.
func DefaultConfigText(mirrorLine string) string {
	return `# vault-token-helper configuration, written by vault-token-helper setup.
# Edit freely: setup never overwrites this file. Unknown keys are errors.

# ~/.vault-token mirrors the periodic token of this address, for tools that
# read the file directly (sops, consul-template, envconsul...).
mirror = true
` + mirrorLine + `

# The periodic token minted at a login strong enough to mint it. Every key
# is optional; without the block:
#   display_name     "vault-token-helper" (Vault shows token-vault-token-helper)
#   policies         the login token's own, minus default and root
#   period           "768h" (32 days; vault-token-renew renews it nightly)
#   required_policy  the first policy: a token without it is not ours
#
# periodic_token {
#   display_name    = "vault-token-helper"
#   policies        = ["vault-admin"]
#   period          = "768h"
#   required_policy = "vault-admin"
# }

# Revoke the login token once the periodic token is minted (default false).
# revoke_login_token = true

# Settings for one Vault address override the ones above:
# address "https://vault.example.com:8200" {
#   periodic_token {
#     policies = ["ops-admin"]
#   }
#   revoke_login_token = true
# }
`
}

// ---- the CLI config files ---------------------------------------------------

func (r *run) setTokenHelper(context.Context) error {
	for _, c := range r.clis() {
		var seen *[]byte
		if b, ok := r.seen[c.Path]; ok {
			seen = &b // what checkCLIs judged: another helper set meanwhile is refused
		}
		res, err := apply(c.Path, r.bin, true, r.names, r.now(), seen)
		if err != nil {
			return r.fail("%s CLI config: %w", c.Name, err)
		}
		switch {
		case res.Created:
			r.say("created %s with token_helper = %q", c.Path, r.bin)
		case res.Changed:
			r.say("set token_helper = %q in %s (backup: %s)", r.bin, c.Path, res.Backup)
		default:
			r.say("%s has token_helper = %q already", c.Path, r.bin)
		}
	}
	return nil
}

func (r *run) unsetTokenHelper(context.Context) error {
	for _, c := range r.clis() {
		res, err := Apply(c.Path, r.bin, false, r.names, r.now())
		if err != nil {
			return r.fail("%s CLI config: %w; nothing more was uninstalled", c.Name, err)
		}
		switch {
		case res.Changed:
			r.say("removed token_helper from %s (backup: %s)", c.Path, res.Backup)
		case res.Other != "":
			r.say("left %s alone: its token_helper is %q, not %q", c.Path, res.Other, r.bin)
		default:
			if _, err := os.Lstat(c.Path); errors.Is(err, fs.ErrNotExist) {
				r.say("no %s; nothing to change", c.Path)
			} else {
				r.say("%s has no token_helper line", c.Path)
			}
		}
	}
	return nil
}

func (r *run) now() time.Time {
	if r.env.Now != nil {
		return r.env.Now()
	}
	return time.Now()
}

// ---- ~/.vault-token ---------------------------------------------------------

// keepToken keeps the token in ~/.vault-token usable through the helper
// (see heal.Healer.KeepToken). It fails, before any CLI config changes, only
// when keeping it is impossible and configuring the CLI would lose it.
func (r *run) keepToken(ctx context.Context) error {
	p := r.env.Paths.TokenFile
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		r.say("no %s to keep; the next vault login mints the periodic token", p)
		return nil
	}
	if len(r.oursIn) > 0 {
		// A CLI asks the helper already: the file is the helper's mirror
		// of mirror_address's periodic token, not a CLI's token. Keeping
		// it would send that token to whatever VAULT_ADDR is now set.
		r.say("%s runs %s already; left %s to the helper", strings.Join(r.oursIn, " and "), r.bin, p)
		return nil
	}
	if len(r.foreignIn) > 0 {
		// The CLI's token is in the other helper's store; the file is
		// whatever the built-in helper left there, maybe for another server.
		r.say("left %s alone: %s named another token helper, which holds the CLI's token; the next vault login stores one with %s",
			p, strings.Join(r.foreignIn, " and "), r.bin)
		return nil
	}
	tok, err := heal.NewMirror(p).Read()
	if err != nil {
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	}
	if tok == "" {
		r.say("%s holds no token; the next vault login mints the periodic token", p)
		return nil
	}
	if key, ok := r.env.Tool.StoredFor(tok); ok {
		// Our mirror (a CLI config named the helper before): never sent
		// anywhere, and never stored for another address.
		r.say("%s holds the token stored for %s already; left %s to the helper", p, key, p)
		return nil
	}
	raw, key, err := r.env.Tool.Addr()
	if err != nil {
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	}
	if raw == "" {
		return r.keepUnchecked(ctx, p, key, tok, "no address is set (VAULT_ADDR)")
	}
	res, err := r.env.Tool.Keep(ctx, tok)
	for _, w := range res.Warnings {
		fmt.Fprintf(r.errOut, "vault-token-helper setup: warning: %s\n", oneLine(w))
	}
	var refused *heal.RefusedError
	switch {
	case errors.As(err, &refused):
		r.say("%s holds %s (accessor %s), not the periodic token; the CLI now uses the periodic token stored for %s (accessor %s)",
			p, refused.Login.DisplayName, refused.Login.Accessor, key, refused.Kept.Accessor)
		return nil
	case errors.Is(err, heal.ErrInvalidToken):
		r.say("left %s alone: Vault at %s does not accept its token (revoked or expired); the next vault login mints the periodic token", p, key)
		return nil
	case errors.Is(err, heal.ErrUnavailable):
		return r.keepUnchecked(ctx, p, key, tok, "Vault cannot be reached ("+oneLine(err.Error())+")")
	case err != nil:
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	}
	switch res.Event {
	case heal.EventUnchanged:
		r.say("%s holds the token stored for %s already", p, key)
	case heal.EventAdopted:
		r.say("adopted the periodic token in %s for %s (%s, accessor %s)", p, key, res.Info.DisplayName, res.Accessor)
	default:
		r.say("kept the token in %s for %s (%s, accessor %s) as passed through; the next admin login (vault login -method=oidc) mints the periodic token",
			p, key, res.Info.DisplayName, res.Accessor)
		if res.WhyNotOurs != "" {
			r.hints = append(r.hints, fmt.Sprintf("%s holds the periodic token %s (accessor %s), which is not ours (%s); to have it renewed instead, edit periodic_token in %s to match it and run: %s adopt < %s",
				p, res.Info.DisplayName, res.Accessor, res.WhyNotOurs, r.env.Paths.Config, r.bin, p))
		}
	}
	return nil
}

// checkCLIs reads the CLI config files before anything changes. It
// refuses a token_helper naming another program unless --force, and
// records which files name our helper (then ~/.vault-token is its mirror,
// see keepToken). Every CLI config counts, not only the ones this run
// configures: one that names the helper makes ~/.vault-token the mirror.
func (r *run) checkCLIs(context.Context) error {
	configure := r.clis()
	look := r.env.LookupEnv
	home, cwd := r.env.Paths.Home, r.env.Cwd
	all := append([]CLI(nil), configure...)
	for _, p := range []string{VaultConfigPath(look, home, cwd), BaoConfigPath(look, home, cwd)} {
		if !slices.ContainsFunc(all, func(c CLI) bool { return c.Path == p }) {
			all = append(all, CLI{Path: p})
		}
	}
	for _, c := range all {
		mine := c.Name != ""
		var src []byte
		var err error
		if mine {
			var exists bool
			src, _, exists, err = readCLIConfig(c.Path)
			if err != nil {
				return r.fail("%s CLI config: %w", c.Name, err)
			}
			if r.seen == nil {
				r.seen = map[string][]byte{}
			}
			r.seen[c.Path] = nil
			if exists {
				r.seen[c.Path] = append([]byte{}, src...)
			}
		} else {
			// Not edited by this run: what the CLI loads, through a symlink.
			if src, err = readFollowing(c.Path); err != nil {
				continue
			}
		}
		v := strings.TrimSpace(TokenHelperValue(src))
		switch {
		case v == "":
		case r.ours(v):
			r.oursIn = append(r.oursIn, c.Path)
		case !mine:
		case !r.opt.force:
			return r.fail("%s names another token helper, %q; setup would replace it and the CLI would stop using the tokens it holds: run setup --force to replace it anyway (the file is backed up to %s.bak-TIME, and --uninstall does not restore it)", c.Path, v, c.Path)
		default:
			r.foreignIn = append(r.foreignIn, c.Path)
			r.hints = append(r.hints, fmt.Sprintf("note: --force replaced the token helper %q in %s; --uninstall does not restore it: its line is in the backup %s.bak-TIME", v, c.Path, c.Path))
		}
	}
	return nil
}

// readFollowing reads a CLI config file as the CLI does, through a
// symlink, without blocking on a FIFO.
func readFollowing(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.Join(err, fmt.Errorf("%q is not a regular file", path))
	}
	return io.ReadAll(io.LimitReader(f, maxCLIConfigSize))
}

// ours reports whether a token_helper value names our helper: this
// binary, or vault-token-helper installed under another prefix (an
// earlier setup, which this run replaces), as status judges it.
func (r *run) ours(v string) bool {
	base := filepath.Base(v)
	return r.names(v) || base == HelperName || base == FullName
}

func (r *run) keepUnchecked(ctx context.Context, p string, key store.Key, tok, why string) error {
	res, err := r.env.Tool.KeepUnchecked(ctx, tok)
	switch {
	case errors.Is(err, heal.ErrStoredAlready):
		r.say("left %s alone: %s and a token is stored for %s already, so the CLI goes on with that one", p, why, key)
		return nil
	case err != nil:
		return r.fail("cannot keep the token in %q: %w; the CLI is left as it was", p, err)
	case res.Event == heal.EventUnchanged:
		r.say("%s holds the token stored for %s already", p, key)
		return nil
	}
	r.say("%s: kept the token in %s for %s without checking it, as passed through; the CLI uses it as before, and the next admin login mints the periodic token", why, p, key)
	if r.env.getenv("VAULT_ADDR") == "" {
		r.hints = append(r.hints, fmt.Sprintf("if your Vault is not at %s, log in to it with VAULT_ADDR set: a setup run again does not keep %s, which is the helper's mirror by now", key, p))
	}
	return nil
}

// saveToken writes the stored token of the mirrored address to
// ~/.vault-token, where the CLI's built-in helper reads it.
func (r *run) saveToken(context.Context) error {
	p := r.env.Paths.TokenFile
	if fi, err := os.Lstat(p); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return r.fail("%s is a symlink; refusing to write through it. Remove it and run setup --uninstall again", p)
		}
		if !fi.Mode().IsRegular() {
			return r.fail("%s is not a regular file; remove it and run setup --uninstall again", p)
		}
	}
	key, tok, err := r.env.Tool.UninstallToken()
	if err != nil {
		return r.fail("read the stored token: %w; nothing was uninstalled", err)
	}
	if tok == "" {
		r.say("no token stored for %s; left %s as it is", key, p)
		return nil
	}
	if cur, err := heal.NewMirror(p).Read(); err == nil && cur == tok {
		r.say("%s holds the token stored for %s already", p, key)
		return nil
	}
	if err := store.WriteFileAtomic(p, []byte(tok)); err != nil {
		return r.fail("cannot write %q: %w; nothing was uninstalled", p, err)
	}
	r.say("wrote the token stored for %s to %s", key, p)
	return nil
}

// ---- the scheduler ----------------------------------------------------------

// schedEnv is the scheduler environment of this run.
func (r *run) schedEnv() sched.Env {
	e := r.env.Sched
	e.Home, e.UnitDir, e.LogDir = r.env.Paths.Home, r.env.Paths.UnitDir, r.env.Paths.State
	if e.LookPath == nil {
		e.LookPath = r.env.LookPath
	}
	if e.Systemctl == nil && r.env.Systemctl != nil {
		// Ask once per run whether a user manager answers: choosing the
		// default and installing both want to know.
		sc := r.env.Systemctl
		e.Systemctl = func(args ...string) (string, error) {
			if len(args) == 1 && args[0] == "show-environment" {
				if r.managerErr == nil {
					_, err := sc(args...)
					r.managerErr = &err
				}
				return "", *r.managerErr
			}
			return sc(args...)
		}
	}
	return e
}

// exe is the suffix of a program's file: ".exe" on Windows.
func (r *run) exe() string {
	if r.goos() == "windows" {
		return ".exe"
	}
	return ""
}

func (r *run) goos() string {
	if r.env.GOOS != "" {
		return r.env.GOOS
	}
	return runtime.GOOS
}

// kind is the scheduler to install: --scheduler, else the default of
// the platform (sched.Default), whose advice becomes a hint.
func (r *run) kind() sched.Kind {
	if r.opt.noTimer {
		return sched.None
	}
	if r.opt.scheduler != "" {
		return r.opt.scheduler
	}
	k, advice := sched.Default(r.schedEnv(), r.goos(), r.bin)
	if advice != "" {
		r.hints = append(r.hints, "warning: "+advice)
	}
	return k
}

func (r *run) installScheduler(ctx context.Context) error {
	k := r.kind()
	r.sched = k
	if k == sched.None {
		if r.opt.noTimer {
			r.say("skipped the scheduler (--no-timer)")
		} else {
			r.say("installed no scheduler (--scheduler none); the lazy renew of get is the only safety net unless you run %s yourself", filepath.Join(r.bindir, RenewName))
		}
		return nil
	}
	se := r.schedEnv()
	if err := sched.Install(ctx, se, k, r.bindir, r.out, r.errOut); err != nil {
		return err
	}
	// One scheduler at a time: the one chosen replaces the others.
	for _, other := range sched.Installable {
		if other == k || !sched.StateOf(ctx, se, other).Installed {
			continue
		}
		r.say("%s replaces %s:", k, other)
		if err := sched.Uninstall(ctx, se, other, r.out, r.errOut); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) removeScheduler(ctx context.Context) error {
	if r.opt.noTimer || r.opt.scheduler == sched.None {
		r.say("left the scheduler alone (--no-timer)")
		return nil
	}
	se := r.schedEnv()
	if r.opt.scheduler != "" {
		return sched.Uninstall(ctx, se, r.opt.scheduler, r.out, r.errOut)
	}
	// Without --scheduler: whatever is installed. systemd always says
	// what it found, as before; the others only when they are there.
	for _, k := range sched.Installable {
		if k != sched.Systemd && !sched.StateOf(ctx, se, k).Installed {
			continue
		}
		if err := sched.Uninstall(ctx, se, k, r.out, r.errOut); err != nil {
			return err
		}
	}
	return nil
}
