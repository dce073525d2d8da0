// Command vault is the real HashiCorp Vault binary (server and CLI), built
// from the Go module proxy for the end-to-end tests of vault-token-helper.
//
// It lives in its own module so the product's go.mod stays small and
// `go test ./...` of the product never compiles Vault. Build it with
// `make vault`, which caches the binary outside the repository by version.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
