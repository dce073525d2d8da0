// Command vault-token-helper-full is the whole of vault-token-helper:
// store, erase, status, adopt, check-config (and get). The Vault CLI runs
// the small vault-token-helper, which answers get itself and executes
// this binary, installed next to it, for every other verb. See package
// helper for the protocol and README.md for the setup.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/vault-token-helper/vault-token-helper/helper"
	buildversion "github.com/vault-token-helper/vault-token-helper/helper/version"
)

// version and commit are set at build time with
// -ldflags "-X main.version=... -X main.commit=..." (make build); commit
// is for builds without Go's VCS stamping.
var version, commit = buildversion.Dev, ""

func main() {
	if err := helper.Harden(); err != nil {
		fmt.Fprintf(os.Stderr, "vault-token-helper: warning: cannot keep this process from core dumps or debuggers: %v\n", err)
	}
	env := helper.OSEnv(version)
	env.Commit = commit
	os.Exit(helper.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, env))
}
