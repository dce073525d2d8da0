package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// ErrCorrupt is returned for a state file that cannot be decoded or that
// belongs to another address.
var ErrCorrupt = errors.New("corrupt state file")

// The store's layout under its root (package store's documentation
// draws it): an address directory per key under TokensName, each holding
// the state file and the writers' lock.
const (
	TokensName = "tokens"
	StateName  = "state.json"
	LockName   = "lock"
)

// TokensDir is the directory of the address directories under root.
func TokensDir(root string) string { return filepath.Join(root, TokensName) }

// StatePath is the state file of k in the store rooted at root.
func StatePath(root string, n Namer, k Key) (string, error) {
	dir, err := keyDir(root, n, k)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, StateName), nil
}

// keyDir is the address directory of k in the store rooted at root.
func keyDir(root string, n Namer, k Key) (string, error) {
	name, err := n.DirName(k)
	if err != nil {
		return "", err
	}
	return filepath.Join(TokensDir(root), name), nil
}

// Read returns the state of k in the store rooted at root, as get reads
// it: no lock, no write, no network. Every directory and file must be
// private to uid (ReadDir). A missing state is empty (its Version,
// Address and Namespace set); a state that names another key is
// ErrCorrupt. A key n cannot name is ErrNeedsNamer.
//
// Read, ReadDir and the functions they call keep their frames small (the
// work of errors is in functions of their own): get's whole call chain
// then fits in the first stack of a goroutine, and get does not copy
// its stack on every vault command (docs/performance.md).
func Read(root string, uid int, n Namer, k Key) (st State, err error) {
	dir, err := keyDir(root, n, k)
	found := false
	if err == nil {
		st, found, err = ReadDir(root, dir, uid)
	}
	if err == nil && found && (st.Address != k.Addr || st.Namespace != k.Namespace) {
		err = otherKeyError(dir, st.Key(), k)
	}
	if err != nil || !found {
		st = emptyState(k)
	}
	return st, err
}

// emptyState is what Read returns for k when nothing is stored.
func emptyState(k Key) State {
	return State{Version: StateVersion, Address: k.Addr, Namespace: k.Namespace}
}

// otherKeyError is Read's error for the state file in dir that belongs
// to another key.
//
//go:noinline
func otherKeyError(dir string, got, want Key) error {
	return fmt.Errorf("%w %q: it belongs to %s, not %s", ErrCorrupt, filepath.Join(dir, StateName), got, want)
}

// ReadDir is the read path's checks and decoding of the state in the
// address directory dir (under TokensDir(root)), shared by get, the
// store's writers and its List: each directory from root down is a
// private directory of uid, the state file a private regular file read
// with ReadPrivateFile, decoded by Decode. A missing directory or state
// file is found = false with a nil error.
func ReadDir(root, dir string, uid int) (st State, found bool, err error) {
	found, err = checkDirs(uid, root, TokensDir(root), dir)
	if !found || err != nil {
		return st, false, err
	}
	p := filepath.Join(dir, StateName)
	data, err := ReadPrivateFile(p, uid, MaxStateSize)
	if err == nil {
		st, err = Decode(p, data)
	} else if errors.Is(err, fs.ErrNotExist) {
		return st, false, nil
	}
	return st, err == nil, err
}

// checkDirs checks that each of dirs is a private directory of uid
// (CheckDir). A missing one is found = false with a nil error.
//
//go:noinline
func checkDirs(uid int, dirs ...string) (found bool, err error) {
	for _, d := range dirs {
		if err := CheckDir(d, uid); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return false, nil
			}
			return false, err
		}
	}
	return true, nil
}
