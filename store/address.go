package store

import (
	"crypto/sha256"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
	"golang.org/x/net/idna"
)

// Key names the token of one Vault (disk.Key): the normalized address
// plus the namespace.
type Key = disk.Key

// DefaultAddr is the address the Vault CLI uses when VAULT_ADDR is unset.
const DefaultAddr = disk.DefaultAddr

// ErrBadAddress is returned for a VAULT_ADDR that cannot name a Vault.
var ErrBadAddress = disk.ErrBadAddress

// Namer is the whole computation of keys (disk.Namer): a host that is
// not ASCII converted as net/http dials it, a long directory name
// hashed. The front, which links neither, leaves such keys to the full
// binary, whose every key goes through here.
func Namer() disk.Namer { return disk.Namer{ToASCII: idna.Lookup.ToASCII, Sum: sha256.Sum256} }

// NewKey builds the key for raw VAULT_ADDR and VAULT_NAMESPACE values.
func NewKey(rawAddr, rawNamespace string) (Key, error) { return Namer().NewKey(rawAddr, rawNamespace) }

// NormalizeAddr turns a VAULT_ADDR value into the form tokens are keyed
// by (disk.Namer.NormalizeAddr).
func NormalizeAddr(raw string) (string, error) { return Namer().NormalizeAddr(raw) }

// NormalizeNamespace drops surrounding white space and slashes, which
// Vault ignores too ("team/" and "team" are the same namespace).
func NormalizeNamespace(ns string) string { return disk.NormalizeNamespace(ns) }

// SameServer reports whether two VAULT_ADDR values name one server
// (disk.Namer.SameServer): the one comparison of addresses in this tool.
func SameServer(a, b string) bool { return Namer().SameServer(a, b) }

// dirName is the directory name of k under the tokens directory; the
// full Namer names every key.
func dirName(k Key) string {
	name, err := Namer().DirName(k)
	if err != nil {
		panic(err) // unreachable: Namer() has both functions
	}
	return name
}
