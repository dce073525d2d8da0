// Package front is the process the Vault CLI runs as its token helper.
//
// It answers `get` in-process: print the token stored for the address and
// namespace the calling CLI talks to (KeyFor: its -agent-address, else
// VAULT_AGENT_ADDR, else its -address, else VAULT_ADDR, and its -namespace
// flags, else VAULT_NAMESPACE, or OpenBao's BAO_ twins under the bao CLI:
// the address its requests really go to), with no network, no lock and no
// configuration, and exit 0
// (nothing stored prints nothing) or 1 with one line on stderr (an unsafe
// or corrupt token file, or a server that cannot be told for certain: then
// nothing is printed). After printing a periodic token that looks
// neglected, it starts vault-token-renew detached, at most once an hour
// per address (lazy.go), unless lazy_renew = false. Every other
// invocation replaces the process (execve) with vault-token-helper-full from the same directory, with the
// same arguments, environment and standard streams.
//
// Run without HOME (OpenBao 2.0.1 to 2.5.1 runs the helper with only
// BAO_ADDR and VAULT_ADDR in its environment), it takes the home directory
// from the password database and sets HOME before anything else.
//
// A key whose computation needs IDNA (a host that is not ASCII) or
// SHA-256 (a directory name over 200 bytes), which the front does not
// link, is the full binary's: the front executes it for that get too
// (disk.ErrNeedsNamer).
//
// It imports only package store/disk (the store's read path, the
// standard library alone), helper/caller, helper/basedir (the data
// directory, computed as the full binary computes it), golang.org/x/sys
// on macOS, the BSDs and Windows (not on Linux) and, from the standard
// library, os/user: vault/api, net/http, encoding/json, crypto and the
// rest of the tool cost milliseconds of start-up that `get`, run before
// every vault command, must not pay.
package front

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/helper/basedir"
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/helper/names"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// FullName is the usual name of the binary that implements every verb
// but get; a front finds it by its own name (names.Of).
const FullName = names.Full

// Main runs the front with the process's arguments (without argv[0]).
func Main(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	// No core file or ptrace attach while a token is in memory. A failure
	// is said, not fatal: get still answers.
	if err := Harden(); err != nil {
		fmt.Fprintf(stderr, "vault-token-helper: warning: cannot keep this process from core dumps or debuggers: %v\n", err)
	}
	if err := EnsureHome(lookupEnv, os.Setenv); err != nil {
		fmt.Fprintf(stderr, "vault-token-helper: %v\n", err)
		return 1
	}
	if len(args) == 1 && args[0] == "get" {
		growStack()
		// The front's Namer has neither IDNA nor SHA-256 (see package
		// disk): a key that needs them is the full binary's to answer,
		// also where SameServer met a host it could not convert.
		deferred := false
		n := disk.Namer{ToASCII: func(string) (string, error) { deferred = true; return "", disk.ErrNeedsNamer }}
		key, err := KeyFor(caller.Identify("get"), lookupEnv, n)
		if err == nil {
			_, err = n.DirName(key)
		}
		if !deferred && !errors.Is(err, disk.ErrNeedsNamer) {
			data := filepath.Join(basedir.Of(func(k string) string { v, _ := lookupEnv(k); return v }).Data, "vault-token-helper")
			return Get(stdout, stderr, key, err, data, n, lazyRenew(data, n))
		}
	}
	err := execFull(args)
	fmt.Fprintf(stderr, "vault-token-helper: %v\n", err)
	return 1
}

// Get prints the token stored for key under the data directory dataDir,
// named by n, then runs lazy (the lazy renew, see lazy.go). keyErr is why
// the key could not be found; then nothing is printed.
func Get(stdout, stderr io.Writer, key disk.Key, keyErr error, dataDir string, n disk.Namer, lazy Lazy) int {
	if errors.Is(keyErr, caller.ErrUncertain) || errors.Is(keyErr, caller.ErrConflict) {
		return getFailed(stderr, "no token printed: "+keyErr.Error())
	}
	if keyErr != nil {
		return getFailed(stderr, keyErr.Error())
	}
	st, err := disk.Read(dataDir, os.Geteuid(), n, key)
	if err != nil {
		return getFailed(stderr, err.Error())
	}
	if st.Current == nil {
		return 0
	}
	if _, err := io.WriteString(stdout, st.Current.Token); err != nil {
		return getFailed(stderr, err.Error())
	}
	if lazy != nil {
		lazy(key, st)
	}
	return 0
}

// getFailed prints why get printed no token, on one line. The Vault CLI
// shows a failed helper's output inside double quotes, escaping any it
// holds, so the message's own quotes (around paths) become single ones.
func getFailed(stderr io.Writer, msg string) int {
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\n", "; "), `"`, "'")
	fmt.Fprintf(stderr, "vault-token-helper: get: %s\n", msg)
	return 1
}

// Lazy is what get does after printing the token (MaybeLazyRenew);
// nil does nothing.
type Lazy func(key disk.Key, st disk.State)

// lazyRenew is the lazy renew of the front: vault-token-renew next to
// the running binary.
func lazyRenew(dataDir string, n disk.Namer) Lazy {
	return func(key disk.Key, st disk.State) {
		now := time.Now()
		if !LazyDue(st, now) {
			return // the common case: no system call
		}
		self, err := os.Executable()
		if err != nil {
			return
		}
		MaybeLazyRenew(dataDir, n, key, st, now, filepath.Join(filepath.Dir(self), names.Of(self).Renew), StartDetached)
	}
}

// KeyFor is the key of the server and namespace that the command of c
// talks to (caller.Target), for get, store and erase alike, computed by
// n (store.Namer() in the full binary).
func KeyFor(c caller.Caller, lookupEnv func(string) (string, bool), n disk.Namer) (disk.Key, error) {
	addr, ns, err := caller.Target(c, caller.Env{Lookup: lookupEnv, SameAddr: n.SameServer, SameNS: sameNS})
	if errors.Is(err, caller.ErrUncertain) {
		name := "VAULT"
		if c.CLI == caller.Bao {
			name = "BAO"
		}
		return disk.Key{}, fmt.Errorf("the %s command line: %w; set %s_ADDR (and %s_NAMESPACE) for the command instead of its flags", c.CLI, err, name, name)
	}
	if err != nil {
		return disk.Key{}, err
	}
	return n.NewKey(addr, ns)
}

func sameNS(a, b string) bool { return disk.NormalizeNamespace(a) == disk.NormalizeNamespace(b) }

// EnsureHome sets HOME from the password database when it is unset or
// empty (the base directories, basedir.Of, follow it), so that the
// helper finds its files when it is run with a bare environment, and the
// full binary it executes inherits HOME. With CGO_ENABLED=0, os/user
// reads /etc/passwd: no NSS module, no network.
func EnsureHome(lookupEnv func(string) (string, bool), setenv func(k, v string) error) error {
	if h, _ := lookupEnv("HOME"); h != "" {
		return nil
	}
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		return fmt.Errorf("HOME is not set and the password database names no home directory for uid %d (%v); set HOME", os.Getuid(), err)
	}
	if err := setenv("HOME", u.HomeDir); err != nil {
		return fmt.Errorf("set HOME: %w", err)
	}
	return nil
}

// execFull replaces the process with the full binary; it returns only on
// failure.
func execFull(args []string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find %s: %w", FullName, err)
	}
	full := filepath.Join(filepath.Dir(self), names.Of(self).Full)
	argv := append([]string{full}, args...)
	// replaceProcess returns only when it failed.
	return fmt.Errorf("run %q: %w; reinstall with ./install.sh", full, replaceProcess(full, argv))
}

// growStack makes the goroutine's stack big enough for get's whole call
// chain at once, while it is shallow. A goroutine starts with 2 KiB of
// stack, and the runtime doubles it when a call needs more, copying it
// and reading the stack map of every frame on it from the binary; get's
// chain (the read and the decoding of the state file) needs about 6 KiB,
// so without this the copy happens deep in the chain, where it costs
// get a dozen page faults (docs/performance.md). The frame of this
// function is what asks for the room; it is used only so that the
// compiler keeps it.
//
//go:noinline
func growStack() byte {
	var room [6 << 10]byte
	return touch(room[:])
}

//go:noinline
func touch(b []byte) byte { return b[len(b)-1] }
