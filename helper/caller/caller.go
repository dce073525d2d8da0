// Package caller finds which server the program that runs the token
// helper really talks to.
//
// The Vault CLI runs its token helper without telling it about its
// -address and -namespace flags (hashicorp/vault issue 22257): the helper
// inherits the environment, and a VAULT_ADDR that names another server
// than the command's -address would make it hand that server's token to
// the wrong one. So the helper looks at its parent process: when it is
// the vault (or bao) CLI, Target reads the address and namespace from the
// CLI's own arguments, parsed exactly as the CLI parses them, and from
// the environment with the CLI's precedence. The address is the one the
// requests go to: an agent address (-agent-address, VAULT_AGENT_ADDR)
// wins over -address and VAULT_ADDR, as in vault/api's NewClient.
//
// Contract:
//   - Identify never fails: a parent that cannot be read, or is not the
//     CLI, is CLI Unknown, and the environment decides, as it always did.
//   - Target returns ErrUncertain when the CLI's arguments cannot be parsed
//     with certainty, and ErrConflict when, with an unknown caller,
//     VAULT_ADDR and BAO_ADDR (or the namespaces) name different servers.
//     The caller then prints no token.
//   - Nothing here reads a token, opens a socket or takes a lock: Identify
//     reads /proc (Linux) or sysctl kern.procargs2 (macOS) of at most two
//     processes.
//
// It imports only the standard library and golang.org/x/sys/unix, because
// the small front binary that answers `get` links it.
package caller

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// CLI is the kind of program that ran the helper.
type CLI int

// The callers the helper tells apart.
const (
	Unknown CLI = iota // not the vault or bao CLI, or a parent that cannot be read
	Vault              // the HashiCorp Vault CLI
	Bao                // the OpenBao CLI
)

func (c CLI) String() string {
	switch c {
	case Vault:
		return "vault"
	case Bao:
		return "bao"
	}
	return "unknown"
}

// Caller is the program that ran the helper.
type Caller struct {
	CLI  CLI
	PID  int      // its process id; 0 when unknown
	Args []string // its arguments without argv[0]; nil when CLI is Unknown
}

// procs reads other processes; the real one is per operating system.
type procs interface {
	// args returns argv of pid (argv[0] first).
	args(pid int) ([]string, error)
	// exe returns the path of the executable pid runs.
	exe(pid int) (string, error)
	// parent returns the parent process id of pid.
	parent(pid int) (int, error)
}

// Identify finds the program that ran this process as its token helper
// with the given verb (get, store, erase...).
func Identify(verb string) Caller {
	return identify(sysProcs{}, os.Getppid(), verb)
}

func identify(p procs, ppid int, verb string) Caller {
	if ppid <= 0 {
		// The parent is in another PID namespace. (PID 1 is read: in a
		// container the CLI itself may be PID 1; init or a subreaper that
		// adopted an orphan is simply not the CLI.)
		return Caller{}
	}
	kind, argv, ok := classify(p, ppid)
	// OpenBao 2.0.1 to 2.5.1 runs the helper as `$SHELL -c "<path> <verb>"`.
	// A shell that did not exec the command itself sits in between.
	if ok && kind == Unknown && isShellHop(argv, verb) {
		gp, err := p.parent(ppid)
		if err != nil || gp <= 0 {
			return Caller{}
		}
		ppid = gp
		kind, argv, ok = classify(p, ppid)
	}
	if !ok || kind == Unknown {
		return Caller{}
	}
	return Caller{CLI: kind, PID: ppid, Args: argv[1:]}
}

// classify tells what pid runs and returns its argv when it matters: for
// the CLI (its arguments), for a shell (it may be OpenBao's), and when the
// executable cannot be read (argv[0] then tells). Any other program's
// argv is not read: get runs before every vault command and every read
// of another process costs. ok is false when pid cannot be read.
func classify(p procs, pid int) (kind CLI, argv []string, ok bool) {
	exe, err := p.exe(pid)
	if err == nil {
		kind = cliName(exe)
		if kind == Unknown && !isShell(exe) {
			return Unknown, nil, true
		}
	}
	argv, aerr := p.args(pid)
	if aerr != nil || len(argv) == 0 {
		return Unknown, nil, false
	}
	if err != nil {
		// The executable is unreadable (another user's process): argv[0].
		kind = cliName(argv[0])
	}
	return kind, argv, true
}

// shells are the names $SHELL usually has; OpenBao runs the helper
// through $SHELL.
var shells = []string{"ash", "bash", "busybox", "csh", "dash", "fish", "ksh", "ksh93", "mksh", "posh", "sh", "tcsh", "yash", "zsh"}

func isShell(exe string) bool {
	_, ok := slices.BinarySearch(shells, filepath.Base(strings.TrimSuffix(exe, " (deleted)")))
	return ok
}

// isShellHop reports whether argv is a shell running `<path> <verb>` with
// -c, as OpenBao's ExecScript does (the path is not quoted there).
func isShellHop(argv []string, verb string) bool {
	if len(argv) != 3 || argv[1] != "-c" || verb == "" {
		return false
	}
	// The verb follows the last space: the path itself may hold spaces.
	script := strings.TrimSpace(argv[2])
	i := strings.LastIndexByte(script, ' ')
	return i > 0 && script[i+1:] == verb && filepath.IsAbs(strings.Trim(strings.TrimSpace(script[:i]), `"'`))
}

// cliName tells the CLI from the name of its executable: vault or bao,
// possibly with a version after a dash or an underscore (vault-1.21.0,
// bao_2.5.1), as people keep several versions side by side.
func cliName(path string) CLI {
	name := filepath.Base(strings.TrimSuffix(path, " (deleted)"))
	for _, c := range []struct {
		name string
		cli  CLI
	}{{"vault", Vault}, {"bao", Bao}} {
		if name == c.name {
			return c.cli
		}
		rest, ok := strings.CutPrefix(name, c.name)
		if ok && len(rest) >= 2 && (rest[0] == '-' || rest[0] == '_') {
			d := rest[1]
			if d == 'v' && len(rest) >= 3 {
				d = rest[2]
			}
			if d >= '0' && d <= '9' {
				return c.cli
			}
		}
	}
	return Unknown
}

// errUnsupportedOS is what sysProcs returns where it cannot read another
// process (neither Linux nor macOS): every caller is Unknown there.
var errUnsupportedOS = errors.New("reading another process is not supported on this system")
