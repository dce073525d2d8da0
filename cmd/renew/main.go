// Command vault-token-renew renews the periodic tokens kept by
// vault-token-helper, heals ~/.vault-token and revokes stale tokens.
// The vault-token-renew.timer systemd user unit runs it nightly.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vault-token-helper/vault-token-helper/helper"
	buildversion "github.com/vault-token-helper/vault-token-helper/helper/version"
)

// version and commit are set at build time with
// -ldflags "-X main.version=... -X main.commit=..." (make build); commit
// is for builds without Go's VCS stamping.
var version, commit = buildversion.Dev, ""

func main() {
	if err := helper.Harden(); err != nil {
		fmt.Fprintf(os.Stderr, "vault-token-renew: warning: cannot keep this process from core dumps or debuggers: %v\n", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the run to stop (each Vault call and lock wait
	// ends at once); a second one ends the process.
	context.AfterFunc(ctx, stop)
	env := helper.OSEnv(version)
	env.Commit = commit
	code := helper.RunRenew(ctx, os.Args[1:], os.Stdout, os.Stderr, env)
	stop()
	os.Exit(code)
}
