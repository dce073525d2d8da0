// Package disk is the store's format on disk and get's read of it: the
// key of a Vault and its directory name (Namer), the state file's types
// and their one decoder (Decode), Read, and the private files every
// binary of the tool opens, reads and writes (OpenPrivate,
// ReadPrivateFile, WriteFile). Package store builds the token store on
// it: the locks, the writes of a state, the install id.
//
// The front (helper/front), which the Vault CLI runs before every
// command, links this package and not package store, so that `get`
// pays for no more start-up than it uses (docs/performance.md). That is
// why it imports only the standard library (and golang.org/x/sys/windows
// on Windows): no encoding/json (Decode reads the schema field by field,
// and agrees with encoding/json on everything it accepts), no package net
// (net/netip canonicalizes IP literals), no crypto/rand (a temporary
// file's name is only to be new: O_EXCL keeps planted files out), and
// neither IDNA nor SHA-256: a Namer is given them by package store
// (store.Namer), and the front's Namer, which has neither, refuses a key
// that needs them with ErrNeedsNamer; the front then leaves the get to
// the full binary.
//
// The contract of the files (modes, owners, what a missing file means)
// is package store's (store/doc.go).
package disk
