package setup

// The three binaries: installed next to one another, removed on uninstall.

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vault-token-helper/vault-token-helper/helper/names"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// maxBinarySize bounds what setup reads of the binaries it installs
// (never blocking: disk.ReadRegularFile; package sched does the same
// for the scheduler's files).
const maxBinarySize = 1 << 30

func (r *run) installBinaries(context.Context) error {
	if err := os.MkdirAll(r.bindir, 0o755); err != nil {
		return r.fail("create %q: %w", r.bindir, err)
	}
	// The full binary first: the front must never run without it. The
	// sources may have the names `go install` gives; what is installed
	// has the usual ones.
	from := names.In(r.env.BinSource, r.exe())
	for i, name := range names.Usual.All() {
		src := filepath.Join(r.env.BinSource, from.All()[i])
		dst := filepath.Join(r.bindir, name+r.exe())
		data, err := disk.ReadRegularFile(src, maxBinarySize)
		if err != nil {
			return r.fail("%q: %w; setup installs the binaries next to it: build them with `make build` or run ./install.sh", src, err)
		}
		if fi, err := os.Lstat(dst); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm() == 0o755 {
			if cur, err := disk.ReadRegularFile(dst, maxBinarySize); err == nil && bytes.Equal(cur, data) {
				r.say("%s is up to date", dst)
				continue
			}
		}
		if err := writeAtomic(dst, data, 0o755); err != nil {
			return r.fail("cannot install %q: %w", dst, err)
		}
		r.say("installed %s", dst)
	}
	return nil
}

// writeAtomic replaces path with data, mode (replacing a symlink, never
// writing through one): disk.WriteFile.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	return disk.WriteFile(path, data, disk.WriteOptions{Mode: mode, ReplaceLink: true})
}

func (r *run) removeBinaries(context.Context) error {
	for _, name := range []string{HelperName, FullName, RenewName} {
		p := filepath.Join(r.bindir, name+r.exe())
		err := os.Remove(p)
		switch {
		case err == nil:
			r.say("removed %s", p)
		case errors.Is(err, fs.ErrNotExist):
			r.say("no %s", p)
		default:
			return r.fail("cannot remove %q: %w", p, err)
		}
	}
	return nil
}

// exe is the suffix of a program's file: ".exe" on Windows.
func (r *run) exe() string {
	if r.goos() == "windows" {
		return ".exe"
	}
	return ""
}
