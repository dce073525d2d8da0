// Package store keeps what vault-token-helper knows about each Vault on
// disk, and nothing else: it never talks to Vault. The format of its
// files, get's read of them and the private-file primitives are package
// store/disk, which the front links instead of this package.
//
// Layout, under the data directory (normally
// $XDG_DATA_HOME/vault-token-helper):
//
//	install-id              0600, this installation's random id, created once
//	tokens/                 0700
//	tokens/<key>/           0700, one directory per Key (address + namespace)
//	tokens/<key>/state.json 0600, the State: current token, pending revocations, journal
//	tokens/<key>/lock       0600, a gofrs/flock lock; holds the PID of its holder
//
// Contract:
//   - A missing directory or state file means no token is stored: Token
//     returns "" and a nil error.
//   - Every file is 0600 and every directory 0700, owned by the current
//     user. Every file is opened with disk.OpenPrivate: never blocking, never
//     through a symlink, and refused unless fstat shows a private regular
//     file of ours. A symlink, a file or directory owned by someone else, or one
//     that group or others can use is refused with ErrUnsafe, whose
//     message names the path and the command that fixes it.
//   - On Windows, which has no mode bits, "0600/0700, owned by the user"
//     is the owner and the access list (disk/files_windows.go): what the store
//     creates gets a protected user-only DACL, and a file or directory
//     whose owner is not the user or whose DACL lets anyone but the owner,
//     SYSTEM or Administrators in is refused with ErrUnsafe.
//   - Writes are atomic: a temporary file in the same directory, fsync,
//     rename, fsync of the directory. A reader sees the old state or the
//     new one, never a torn one; a failed write leaves the old state.
//   - Reading a token (Token) takes no lock. Every write happens while
//     holding the address's lock (Lock returns the only writer, Session).
//   - The journal in State is how a crash mid-mint is repaired: it is
//     written, fsynced, before the step it describes, and it is cleared in
//     the same atomic write that stores the result.
package store
