package helper

import (
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/adrg/xdg"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/helper/front"
)

// Env is everything the commands take from the outside world. main
// builds the real one with OSEnv; tests build their own.
type Env struct {
	Getenv   func(string) string
	Paths    Paths
	Now      func() time.Time
	Hostname string
	User     string
	Version  string
	// NewVault returns the Vault client for an address (as in VAULT_ADDR)
	// and a namespace.
	NewVault func(addr, namespace string) (heal.Vault, error)
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

// PathsFromXDG computes the paths from the XDG base directories, which
// adrg/xdg reads from the environment.
func PathsFromXDG(getenv func(string) string) Paths {
	p := Paths{
		Data:    filepath.Join(xdg.DataHome, "vault-token-helper"),
		State:   filepath.Join(xdg.StateHome, "vault-token-helper"),
		Config:  filepath.Join(xdg.ConfigHome, "vault-token-helper", "config.hcl"),
		Home:    xdg.Home,
		UnitDir: filepath.Join(xdg.ConfigHome, "systemd", "user"),
	}
	if c := getenv(ConfigEnv); c != "" {
		p.Config = c
	}
	p.LogFile = filepath.Join(p.State, "vault-token-helper.log")
	p.MirrorDef = filepath.Join(p.Home, ".vault-token")
	return p
}

// OSEnv is the real environment of the process.
func OSEnv(version string) Env {
	// Run with a bare environment (OpenBao 2.0.1 to 2.5.1), HOME comes from
	// the password database and the XDG paths below follow it. When even
	// that fails, adrg/xdg's fallback home, /, is used, as before.
	_ = front.EnsureHome(os.LookupEnv, os.Setenv)
	host, _ := os.Hostname()
	env := Env{
		Getenv:   os.Getenv,
		Paths:    PathsFromXDG(os.Getenv),
		Now:      time.Now,
		Hostname: host,
		User:     currentUser(),
		Version:  version,
		NewVault: func(addr, ns string) (heal.Vault, error) { return heal.NewAPIVault(addr, ns) },
		Crash:    crashHook(os.Getenv),
		Systemctl: func(args ...string) (string, error) {
			return runSystemctl(args...)
		},
	}
	env.LookupEnv, env.Caller = os.LookupEnv, caller.Identify
	return env
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// openLog opens the log file (0600 in a 0700 directory) for appending.
// When it cannot, logs go nowhere and the returned warning says why.
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
	} else if f, err := os.OpenFile(env.Paths.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscallNoFollow, 0o600); err != nil {
		warn = "no log: " + err.Error()
	} else {
		// The log names accessors and policies: keep it private even if
		// something loosened it (an existing file keeps its mode on open).
		_ = f.Chmod(0o600)
		_ = os.Chmod(env.Paths.State, 0o700)
		w = f
		closeFn = func() { f.Close() }
	}
	l := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	return l.With("pid", os.Getpid()), closeFn, warn
}
