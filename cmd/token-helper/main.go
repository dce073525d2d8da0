// Command vault-token-helper is the token helper the Vault CLI runs
// before every command. It answers `get` itself, linking only the token
// store, and executes vault-token-helper-full (installed next to it) for
// every other verb, so the most frequent call pays for no more than it
// uses. See docs/performance.md.
package main

import (
	"os"

	"github.com/vault-token-helper/vault-token-helper/helper/front"
)

func main() {
	os.Exit(front.Main(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}
