package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrUnsafe is the error for a file or directory we refuse to use: a
// symlink, not owned by the user, or open to group or others.
var ErrUnsafe = errors.New("unsafe file")

// ErrTooLarge is returned when a file is larger than it may be.
var ErrTooLarge = errors.New("file too large")

// UnsafeError says which path is refused, why, and how to fix it.
type UnsafeError struct {
	Path    string
	Problem string
	Fix     string
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("refusing %q: %s; fix: %s", e.Path, e.Problem, e.Fix)
}

// Is makes errors.Is(err, ErrUnsafe) true.
func (e *UnsafeError) Is(target error) bool { return target == ErrUnsafe }

// checkOwnedPrivate refuses anything but a regular file (or a directory
// when dir is set) owned by uid with no permission bits for group or
// others.
func checkOwnedPrivate(p string, fi fs.FileInfo, uid int, dir bool) error {
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return &UnsafeError{Path: p, Problem: "it is a symlink", Fix: fmt.Sprintf("rm %q", p)}
	case dir && !mode.IsDir():
		return &UnsafeError{Path: p, Problem: "it is not a directory", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
	case !dir && !mode.IsRegular():
		return &UnsafeError{Path: p, Problem: "it is not a regular file", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		return &UnsafeError{Path: p, Problem: fmt.Sprintf("it is owned by uid %d, not by you (uid %d)", st.Uid, uid),
			Fix: fmt.Sprintf("chown %d %q, or remove it", uid, p)}
	}
	if perm := mode.Perm(); perm&0o077 != 0 {
		want := "600"
		if dir {
			want = "700"
		}
		return &UnsafeError{Path: p, Problem: fmt.Sprintf("mode %04o lets group or others use it", perm),
			Fix: fmt.Sprintf("chmod %s %q", want, p)}
	}
	return nil
}

// ReadPrivateFile reads a file that must be a regular file owned by uid
// with mode 0600 or stricter, without following a symlink, and no larger
// than max bytes. A missing file is reported with an error for which
// errors.Is(err, fs.ErrNotExist) holds.
func ReadPrivateFile(p string, uid int, max int64) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &UnsafeError{Path: p, Problem: "it is a symlink", Fix: fmt.Sprintf("rm %q", p)}
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkOwnedPrivate(p, fi, uid, false); err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("read %q: %d bytes, at most %d allowed: %w", p, fi.Size(), max, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("read %q: more than %d bytes: %w", p, max, ErrTooLarge)
	}
	return data, nil
}

// checkDir checks that p is a private directory of uid. A missing
// directory is reported with fs.ErrNotExist.
func checkDir(p string, uid int) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	return checkOwnedPrivate(p, fi, uid, true)
}

// ensureDir creates p (and missing parents) with mode 0700 and then
// checks that p is a private directory of uid.
func ensureDir(p string, uid int) error {
	if err := os.MkdirAll(p, 0o700); err != nil {
		return fmt.Errorf("create directory %q: %w", p, err)
	}
	return checkDir(p, uid)
}

// fileSystem is the seam through which writes go, so tests can inject a
// full disk or a failing fsync without needing a real one.
type fileSystem interface {
	CreateTemp(dir, pattern string) (*os.File, error)
	Write(f *os.File, data []byte) (int, error)
	Sync(f *os.File) error
	Rename(oldpath, newpath string) error
}

type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (*os.File, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Write(f *os.File, data []byte) (int, error)       { return f.Write(data) }
func (osFS) Sync(f *os.File) error                            { return f.Sync() }
func (osFS) Rename(oldpath, newpath string) error             { return os.Rename(oldpath, newpath) }

// WriteFileAtomic replaces p with data, mode 0600, so that a reader sees
// either the old content or the new one. p must not be a symlink or
// anything but a regular file; the temporary file is created with
// O_EXCL under a random name, so a planted file cannot be written through.
func WriteFileAtomic(p string, data []byte) error {
	return writeFileAtomic(osFS{}, p, data)
}

func writeFileAtomic(fsys fileSystem, p string, data []byte) (err error) {
	if fi, err := os.Lstat(p); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &UnsafeError{Path: p, Problem: "it is a symlink", Fix: fmt.Sprintf("rm %q", p)}
		}
		if !fi.Mode().IsRegular() {
			return &UnsafeError{Path: p, Problem: "it is not a regular file", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir, base := filepath.Split(p)
	if dir == "" {
		dir = "."
	}
	tmp, err := fsys.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", p, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %q: %w", p, err)
	}
	if _, err := fsys.Write(tmp, data); err != nil {
		return fmt.Errorf("write %q: %w", p, err)
	}
	if err := fsys.Sync(tmp); err != nil {
		return fmt.Errorf("write %q: fsync: %w", p, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %q: %w", p, err)
	}
	if err := fsys.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("write %q: %w", p, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %q: fsync directory: %w", p, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
