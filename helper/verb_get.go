package helper

// get: the token for the caller's Vault on stdout (the full binary's;
// the front answers get itself).

import (
	"fmt"
	"io"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// devServerStore is store under `vault server -dev` (or `bao server
// -dev`): the CLI hands the root token of the in-memory server it starts.
// It is not kept and no server is contacted: a failing store would stop
// dev mode, and keeping it would replace the token stored for the dev
// listener's address (127.0.0.1:8200, also the CLI's default, is often a
// tunnel to a real server) with one that dies with the dev server.
// The dev server prints its root token; `vault login` with it (or
// VAULT_TOKEN) works as for any server. See docs/design.md.
func devServerStore(stderr io.Writer, env Env) int {
	log, closeLog, warn := openLog(env)
	defer closeLog()
	if warn != "" {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(warn))
	}
	log.Info(heal.EventSkip, "op", "store", "note", "vault server -dev hands its root token: not kept, no server contacted")
	fmt.Fprintln(stderr, "vault-token-helper: the dev server's root token is not kept (nothing stored, no server contacted); log in to the dev server with it when you need it")
	return ExitOK
}

func get(stdout, stderr io.Writer, env Env) int {
	key, err := keyFromEnv(env, "get")
	return front.Get(stdout, stderr, key, err, env.Paths.Data, store.Namer(), nil) // the lazy renew is the front's
}
