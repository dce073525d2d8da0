package helper

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/basedir"
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/helper/sched"
	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// Env is everything the commands take from the outside world. main
// builds the real one with OSEnv; tests build their own. Run and RunRenew
// resolve the defaults of the optional fields once (Env.resolved).
type Env struct {
	Getenv   func(string) string
	Paths    Paths
	Now      func() time.Time
	Hostname string
	User     string
	Version  string
	// Dir is the working directory, against which relative paths in the
	// VAULT_* TLS variables are recorded.
	Dir string
	// NewVault returns the Vault client for an address (as in VAULT_ADDR)
	// and a namespace, with what the command decided about it.
	NewVault func(addr, namespace string, o heal.ClientOptions) (heal.Vault, error)
	// Crash is nil unless the binary was built with the crashpoints tag.
	Crash func(step string)
	// Systemctl runs `systemctl --user` for status; nil means unavailable.
	Systemctl func(args ...string) (string, error)
	// LookupEnv tells a set-but-empty variable from an unset one (OpenBao
	// does); nil means a variable is set when Getenv returns non-empty.
	LookupEnv func(string) (string, bool)
	// Caller finds the program that ran the helper with a verb; nil means
	// caller.Identify.
	Caller func(verb string) caller.Caller
	// Sched is the schedulers' environment for status and doctor; nil
	// means SchedEnv(env).
	Sched *sched.Env
	// RunBinary runs an installed binary of this tool and returns its
	// stdout (doctor asks the front and the full binary their versions);
	// nil means os/exec with a timeout.
	RunBinary func(path string, args ...string) (string, error)
	// Commit is the commit set at build time, for builds without Go's
	// VCS stamping (-buildvcs=false); "" when unknown.
	Commit string

	// red is the command's redaction of tokens, set by Run and RunRenew.
	red *store.Redactor
}

// withRedactor gives env a fresh store.Redactor: one per command.
func (env Env) withRedactor() Env {
	env.red = store.NewRedactor()
	return env
}

// resolved is env as a command uses it, resolved once where it starts
// (Run, RunRenew): a fresh Redactor, and every optional field that is nil
// given its default, so that nothing below checks for nil.
func (env Env) resolved() Env {
	env = env.withRedactor()
	if env.LookupEnv == nil {
		getenv := env.Getenv
		env.LookupEnv = func(k string) (string, bool) { v := getenv(k); return v, v != "" }
	}
	if env.Caller == nil {
		env.Caller = caller.Identify
	}
	if env.RunBinary == nil {
		env.RunBinary = runBinary
	}
	if env.Sched == nil {
		se := SchedEnv(env)
		env.Sched = &se
	}
	return env
}

// files is the token store, registering every token it reads with the
// command's Redactor.
func (env Env) files() *store.Files {
	f := store.New(env.Paths.Data)
	f.Redact = env.red
	return f
}

// vault is env.NewVault with every token it carries registered with the
// command's Redactor and every error redacted (edgeVault).
func (env Env) vault(addr, namespace string, o heal.ClientOptions) (heal.Vault, error) {
	return env.loggedVault(addr, namespace, o, nil)
}

// loggedVault is vault that also logs every call to log at debug level.
func (env Env) loggedVault(addr, namespace string, o heal.ClientOptions, log *slog.Logger) (heal.Vault, error) {
	v, err := env.NewVault(addr, namespace, o)
	if err != nil {
		return nil, env.red.Error(err)
	}
	return edgeVault{v: v, red: env.red, log: log, now: time.Now}, nil
}

// Paths are the files and directories the tool uses.
type Paths struct {
	Data      string // $XDG_DATA_HOME/vault-token-helper: the token store
	State     string // $XDG_STATE_HOME/vault-token-helper: the log
	Config    string // the configuration file
	Home      string // $HOME, for ~/.vault-token
	UnitDir   string // $XDG_CONFIG_HOME/systemd/user
	LogFile   string // State/vault-token-helper.log
	MirrorDef string // ~/.vault-token
}

// ConfigEnv names the configuration file instead of the XDG default.
const ConfigEnv = "VAULT_TOKEN_HELPER_CONFIG"

// LockWaitEnv sets how long a command waits for another one holding the
// address's lock (a Go duration; default store.DefaultLockWait).
const LockWaitEnv = "VAULT_TOKEN_HELPER_LOCK_WAIT"

// LogLevelEnv sets the log level: debug, info (default), warn, error.
const LogLevelEnv = "VAULT_TOKEN_HELPER_LOG_LEVEL"

// PathsFromEnv computes the paths from the XDG base directory variables
// in getenv, by basedir.Of: the same computation the front's get uses,
// and adrg/xdg's rules on Linux and macOS (TestPathsFromEnvAgreesWithXDG).
func PathsFromEnv(getenv func(string) string) Paths {
	d := basedir.Of(getenv)
	home, configHome := d.Home, d.Config
	p := Paths{
		Data:    filepath.Join(d.Data, "vault-token-helper"),
		State:   filepath.Join(d.State, "vault-token-helper"),
		Config:  filepath.Join(configHome, "vault-token-helper", "config.hcl"),
		Home:    home,
		UnitDir: filepath.Join(configHome, "systemd", "user"),
	}
	if c := getenv(ConfigEnv); c != "" {
		p.Config = c
	}
	p.LogFile = filepath.Join(p.State, "vault-token-helper.log")
	p.MirrorDef = filepath.Join(p.Home, ".vault-token")
	return p
}

// OSEnv is the real environment of the process. It is the only place
// that reads the process's environment; everything below reads Env.
func OSEnv(version string) Env {
	// Run with a bare environment (OpenBao 2.0.1 to 2.5.1), HOME comes from
	// the password database and the paths below follow it. When even that
	// fails, the fallback home, /, is used, as before.
	_ = front.EnsureHome(os.LookupEnv, os.Setenv)
	host, err := os.Hostname()
	if err != nil {
		host = "" // the mint's metadata then names no host
	}
	env := Env{
		Getenv:   os.Getenv,
		Paths:    PathsFromEnv(os.Getenv),
		Now:      time.Now,
		Hostname: host,
		Version:  version,
		Crash:    crashHook(os.Getenv),
		Systemctl: func(args ...string) (string, error) {
			return runSystemctl(args...)
		},
	}
	env.User = currentUser(env.Getenv)
	// vault/api reads the other VAULT_* variables (TLS, proxy...) of the
	// process itself, as the Vault CLI does.
	env.NewVault = func(addr, ns string, o heal.ClientOptions) (heal.Vault, error) {
		o.Timeout = env.vaultTimeout()
		return heal.NewAPIVault(addr, ns, o)
	}
	if dir, err := os.Getwd(); err == nil {
		env.Dir = dir
	}
	env.LookupEnv, env.Caller = os.LookupEnv, caller.Identify
	return env
}

// vaultTimeout is the timeout of each Vault request: VAULT_CLIENT_TIMEOUT
// when set (0 leaves it to vault/api, which reads it), heal.DefaultTimeout
// otherwise.
func (env Env) vaultTimeout() time.Duration {
	if env.Getenv(api.EnvVaultClientTimeout) != "" {
		return 0
	}
	return heal.DefaultTimeout
}

// requestTimeout is the bound of one Vault request: VAULT_CLIENT_TIMEOUT
// as vault/api reads it (a Go duration or whole seconds), else
// heal.DefaultTimeout.
func (env Env) requestTimeout() time.Duration {
	v := strings.TrimSpace(env.Getenv(api.EnvVaultClientTimeout))
	if v == "" {
		return heal.DefaultTimeout
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	return heal.DefaultTimeout
}

// operationBound is the documented worst case of one command on one
// address where a person waits (store, erase, adopt, rotate, setup): the
// deadline of its context, the lock wait and the settling of the journal
// included. It is two idempotent Vault calls that spend their whole
// retry budget and run into every timeout,
// 2 × heal.InteractiveRetry.CallBound(requestTimeout): 40s by default,
// 24s with VAULT_CLIENT_TIMEOUT=2s.
func (env Env) operationBound() time.Duration {
	return 2 * heal.InteractiveRetry.CallBound(env.requestTimeout())
}

// renewBound is operationBound for the renew of one address, which
// nobody waits for: 2 × heal.UnattendedRetry.CallBound(requestTimeout),
// 140s by default (one call may wait out a leader election).
func (env Env) renewBound() time.Duration {
	return 2 * heal.UnattendedRetry.CallBound(env.requestTimeout())
}

// lockWait is how long to wait for another command holding an address's
// lock: LockWaitEnv, or store.DefaultLockWait.
func (env Env) lockWait() (time.Duration, error) {
	v := env.Getenv(LockWaitEnv)
	if v == "" {
		return store.DefaultLockWait, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q is not a positive duration like 10s", LockWaitEnv, v)
	}
	return d, nil
}

func currentUser(getenv func(string) string) string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return getenv("USER")
}

// openLog opens the log file (0600 in a 0700 directory) for appending,
// through disk.OpenPrivate: it never blocks (a FIFO at the path is
// refused at once) and it refuses anything but a private regular file of
// ours. Every record passes through the command's Redactor. When it
// cannot open the log, logs go nowhere and the returned warning says why.
func openLog(env Env) (*slog.Logger, func(), string) {
	level := slog.LevelInfo
	switch strings.ToLower(env.Getenv(LogLevelEnv)) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	var w io.Writer = io.Discard
	closeFn := func() {}
	warn := ""
	if err := os.MkdirAll(env.Paths.State, 0o700); err != nil {
		warn = "no log: " + err.Error()
	} else if f, err := disk.OpenPrivate(env.Paths.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, os.Geteuid()); err != nil {
		warn = "no log: " + err.Error()
	} else {
		// The log names accessors and policies: keep its directory private
		// even if something loosened it.
		if err := os.Chmod(env.Paths.State, 0o700); err != nil {
			warn = "log may be readable by others: " + err.Error()
		}
		w = f
		closeFn = func() { f.Close() }
	}
	h := redactHandler{h: slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}), red: env.red}
	return slog.New(h).With("pid", os.Getpid()), closeFn, env.red.String(warn)
}
