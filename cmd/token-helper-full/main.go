// Command vault-token-helper-full is the whole of vault-token-helper:
// store, erase, status, adopt, check-config (and get). The Vault CLI runs
// the small vault-token-helper, which answers get itself and executes
// this binary, installed next to it, for every other verb. See package
// helper for the protocol and README.md for the setup.
package main

import (
	"context"
	"os"

	"github.com/vault-token-helper/vault-token-helper/helper"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	helper.Harden()
	os.Exit(helper.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, helper.OSEnv(version)))
}
