// Command vault-token-helper is the token helper the Vault CLI runs
// before every command. It answers `get` itself, linking only the token
// store, and executes vault-token-helper-full (installed next to it) for
// every other verb, so the most frequent call pays for no more than it
// uses. See docs/performance.md.
package main

import (
	"os"

	"github.com/vault-token-helper/vault-token-helper/helper/front"
	buildversion "github.com/vault-token-helper/vault-token-helper/helper/version"
)

// version is set at build time (make dist, make build: -ldflags
// "-X main.version=..."). `vault-token-helper --front-version` prints it,
// resolved as the full binary's version verb resolves its own (package
// version: a `go install ...@v1.2.3` names its module version, a plain
// go build is "dev"), so that doctor can tell whether this front and the
// full binary come from the same build (-trimpath keeps -ldflags out of
// the build info). It costs get one comparison.
var version = buildversion.Dev

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--front-version" {
		os.Stdout.WriteString(buildversion.Of(version, "").Version + "\n")
		os.Exit(0)
	}
	os.Exit(front.Main(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}
