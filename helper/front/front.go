// Package front is the process the Vault CLI runs as its token helper.
//
// It answers `get` in-process: print the token stored for VAULT_ADDR and
// VAULT_NAMESPACE, with no network, no lock and no configuration, and exit
// 0 (nothing stored prints nothing) or 1 with one line on stderr (an unsafe
// or corrupt token file). Every other invocation replaces the process
// (execve) with vault-token-helper-full from the same directory, with the
// same arguments, environment and standard streams.
//
// It imports only package store and adrg/xdg: vault/api, net/http and
// the rest of the tool cost milliseconds of start-up that `get`, run
// before every vault command, must not pay.
package front

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/adrg/xdg"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// FullName is the binary that implements every verb but get.
const FullName = "vault-token-helper-full"

// Main runs the front with the process's arguments (without argv[0]).
func Main(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	// No core file or ptrace attach while a token is in memory.
	_ = Harden()
	if len(args) == 1 && args[0] == "get" {
		return Get(stdout, stderr, getenv, filepath.Join(xdg.DataHome, "vault-token-helper"))
	}
	err := execFull(args)
	fmt.Fprintf(stderr, "vault-token-helper: %v\n", err)
	return 1
}

// Get prints the token stored for VAULT_ADDR + VAULT_NAMESPACE under the
// data directory dataDir.
func Get(stdout, stderr io.Writer, getenv func(string) string, dataDir string) int {
	key, err := store.NewKey(getenv("VAULT_ADDR"), getenv("VAULT_NAMESPACE"))
	if err != nil {
		fmt.Fprintf(stderr, "vault-token-helper: get: %v\n", err)
		return 1
	}
	tok, err := store.New(dataDir).Token(key)
	if err != nil {
		fmt.Fprintf(stderr, "vault-token-helper: get: %v\n", err)
		return 1
	}
	if _, err := io.WriteString(stdout, tok); err != nil {
		fmt.Fprintf(stderr, "vault-token-helper: get: %v\n", err)
		return 1
	}
	return 0
}

// execFull replaces the process with the full binary; it returns only on
// failure.
func execFull(args []string) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find %s: %w", FullName, err)
	}
	full := filepath.Join(filepath.Dir(self), FullName)
	argv := append([]string{full}, args...)
	if err := syscall.Exec(full, argv, os.Environ()); err != nil {
		return fmt.Errorf("run %q: %w; reinstall with ./install.sh", full, err)
	}
	return nil
}
