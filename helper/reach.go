package helper

import (
	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// Where the TLS settings of a command's Vault client come from.
const (
	TLSFromEnvironment = "from the environment"
	TLSRecorded        = "recorded with the token"
)

// reach is how a command reaches the Vault of one address: its TLS
// settings and where they come from, and how patiently it retries.
type reach struct {
	TLS    *store.TLS // the settings in use; nil: none of the TLS variables
	Source string     // TLSFromEnvironment, TLSRecorded, or "" for none
	Retry  heal.RetryPolicy
}

// reachFor decides the TLS settings for the address whose stored token
// is cur (nil: none stored). When the command's environment sets any of
// the VAULT_* TLS variables, the environment wins as a whole, as in the
// CLI; otherwise, with useRecorded (renew, status, erase), the settings
// recorded with the token are used. store and adopt use their own
// environment only: the CLI that hands them a token reached Vault with it.
func reachFor(env Env, cur *store.Token, useRecorded bool, retry heal.RetryPolicy) reach {
	r := reach{Retry: retry}
	if t, ok := disk.TLSFromEnv(env.Getenv, env.Dir); ok {
		r.Source = TLSFromEnvironment
		if !t.IsZero() {
			r.TLS = &t
		}
		return r
	}
	if useRecorded && cur != nil && cur.TLS != nil && !cur.TLS.IsZero() {
		t := *cur.TLS
		r.TLS, r.Source = &t, TLSRecorded
	}
	return r
}

// options are the client options for heal.NewAPIVault: vault/api reads
// the environment's TLS variables itself; recorded ones are passed.
func (r reach) options() heal.ClientOptions {
	o := heal.ClientOptions{Retry: r.Retry}
	if r.Source == TLSRecorded {
		o.TLS = r.TLS
	}
	return o
}
