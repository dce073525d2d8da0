// Command vault-token-helper is a token helper for the Vault CLI that
// keeps an orphan periodic token instead of whatever a login returns.
// See package helper for the protocol and README.md for the setup.
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
