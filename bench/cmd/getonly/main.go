// Command getonly is a prototype, for measurement only, of a lean `get`:
// the same lookup and safety checks as `vault-token-helper get`
// (store.Files.Token: no symlink, owned by the user, mode 0600, the
// state decoded and checked against the address) in a binary that links
// only package store and adrg/xdg, not vault/api, net/http or HCL, and
// that does not ask the system for the user name or the host name.
//
// The benchmark in package bench runs it next to the real helper to show
// what the Go runtime costs and what our imports cost; see
// docs/performance.md. It serves `get` only: exit 0 with the token (or
// nothing) on stdout, 1 with one line on stderr, 2 for anything else.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/adrg/xdg"

	"github.com/vault-token-helper/vault-token-helper/store"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv)) }

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) != 1 || args[0] != "get" {
		fmt.Fprintln(stderr, "usage: getonly get")
		return 2
	}
	key, err := store.NewKey(getenv("VAULT_ADDR"), getenv("VAULT_NAMESPACE"))
	if err != nil {
		fmt.Fprintf(stderr, "getonly: get: %v\n", err)
		return 1
	}
	tok, err := store.New(filepath.Join(xdg.DataHome, "vault-token-helper")).Token(key)
	if err != nil {
		fmt.Fprintf(stderr, "getonly: get: %v\n", err)
		return 1
	}
	if _, err := io.WriteString(stdout, tok); err != nil {
		return 1
	}
	return 0
}
