package helper

// Which Vault (address and namespace) a command is for: the caller's
// flags, else the environment.

import (
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// callerOf is the program that ran the helper with verb.
func callerOf(env Env, verb string) caller.Caller { return env.Caller(verb) }

// keyFromEnv is the key of the server the program that ran the helper
// with verb talks to: its -address and -namespace flags when it is the
// vault or bao CLI, else the environment (front.KeyFor).
func keyFromEnv(env Env, verb string) (store.Key, error) {
	return keyOf(env, callerOf(env, verb))
}

// keyOf is keyFromEnv for a caller already identified.
func keyOf(env Env, c caller.Caller) (store.Key, error) {
	return front.KeyFor(c, env.LookupEnv, store.Namer())
}

// addrVar names the variable that selects the server in the user's
// shell, as the CLI reads it (caller.Target): VAULT_AGENT_ADDR when set,
// else VAULT_ADDR; raw is its value, "" when neither is set. status and
// doctor say which one they followed.
func addrVar(env Env) (name, raw string) {
	if v := env.Getenv("VAULT_AGENT_ADDR"); v != "" {
		return "VAULT_AGENT_ADDR", v
	}
	return "VAULT_ADDR", env.Getenv("VAULT_ADDR")
}
