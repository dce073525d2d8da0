package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// installIDName is the file, in the data directory, that holds the
// installation's id.
const installIDName = "install-id"

// installIDLen is the length of an install id: 16 random bytes in hex.
const installIDLen = 32

// InstallIDPath is the file holding the id of this installation.
func (f *Files) InstallIDPath() string { return filepath.Join(f.Root, installIDName) }

// InstallID returns the random id of this installation (this data
// directory), creating it on first use: 16 random bytes in hex, in
// <Root>/install-id, 0600, written to a temporary file and linked into
// place, so that two processes creating it at once agree on one id and a
// reader never sees a partial one. It never changes afterwards. Minted
// tokens carry it in their metadata, so that two installations on one
// host, for one user (two data directories, WSL distributions sharing a
// hostname, containers with a default hostname) tell their tokens apart.
func (f *Files) InstallID() (string, error) {
	p := f.InstallIDPath()
	if err := disk.EnsureDir(f.Root, f.uid); err != nil {
		return "", err
	}
	for range 3 {
		b, err := disk.ReadPrivateFile(p, f.uid, 256)
		if err == nil {
			id := strings.TrimSpace(string(b))
			if !validInstallID(id) {
				return "", fmt.Errorf("%w %q: not an install id; move it away (a new one is created)", ErrCorrupt, p)
			}
			return id, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if err := f.createInstallID(p); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("create the install id %q: %w", p, err)
		}
	}
	return "", fmt.Errorf("create the install id %q: it keeps disappearing", p)
}

// createInstallID writes a new id to p through the one writer, which
// takes the name only if it is free, by link(2) alone (NoReplace,
// LinkOnly: the first id stays); an existing p (another process was
// first) is an fs.ErrExist error.
func (f *Files) createInstallID(p string) error {
	var b [installIDLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	return disk.WriteFile(p, []byte(hex.EncodeToString(b[:])+"\n"), disk.WriteOptions{NoReplace: true, LinkOnly: true, FS: f.fs})
}

func validInstallID(id string) bool {
	if len(id) != installIDLen {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}
