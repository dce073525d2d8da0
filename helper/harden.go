package helper

import "github.com/vault-token-helper/vault-token-helper/helper/front"

// Harden keeps a token in this process's memory out of core files and
// debuggers as far as the platform allows (front.Harden). Every binary
// calls it first and reports an error on stderr; it does not stop.
func Harden() error { return front.Harden() }
