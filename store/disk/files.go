package disk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// CheckOwnedPrivate refuses anything but a regular file (or a directory
// when dir is set) owned by uid with no permission bits for group or
// others.
func CheckOwnedPrivate(p string, fi fs.FileInfo, uid int, dir bool) error {
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return &UnsafeError{Path: p, Problem: "it is a symlink", Fix: fmt.Sprintf("rm %q", p)}
	case dir && !mode.IsDir():
		return &UnsafeError{Path: p, Problem: "it is not a directory", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
	case !dir && !mode.IsRegular():
		return &UnsafeError{Path: p, Problem: "it is not a regular file", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
	}
	return checkPrivate(p, fi, uid, dir)
}

// OpenFlags (files_unix.go, files_windows.go) are part of every open of
// a file the tool writes or that holds a secret.

// OpenPrivate is the one way the tool opens a file it writes (state, lock,
// temporary files, ~/.vault-token, the log, the install id) or a file that
// holds a secret: flag (os.O_RDONLY, os.O_WRONLY|os.O_APPEND|os.O_CREATE...)
// plus OpenFlags, mode 0600 when it creates the file. The open file must
// be a regular file owned by uid with no permission bits for group or
// others (checked with fstat on the descriptor, so a file swapped in after
// a check is still caught); anything else is closed again and refused with
// an UnsafeError that names the path and the fix. A missing file is
// reported with an error for which errors.Is(err, fs.ErrNotExist) holds.
func OpenPrivate(p string, flag int, uid int) (*os.File, error) {
	f, err := openFile(p, flag)
	if err != nil {
		return nil, OpenError(p, err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = CheckOwnedPrivate(p, fi, uid, false)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// OpenRegular opens a file the tool only reads and that holds no secret
// (the configuration, which may well be a symlink into a dotfiles
// repository; a unit file, a binary setup installs): it follows symlinks,
// but like OpenPrivate it never blocks and the file must be a regular
// file.
func OpenRegular(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|readFlags, 0)
	if err != nil {
		return nil, OpenError(p, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, &UnsafeError{Path: p, Problem: "it is not a regular file", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
	}
	return f, nil
}

// ReadRegularFile reads, through OpenRegular, a file of at most max bytes.
func ReadRegularFile(p string, max int64) ([]byte, error) {
	f, err := OpenRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAtMost(f, p, 0, max)
}

// readAtMost reads f (opened from p) to its end, failing with
// ErrTooLarge past limit bytes. size is what fstat said: the buffer is
// made for it, as os.ReadFile makes its own, so that a file that did not
// change is read into one allocation; 0 when unknown.
func readAtMost(f *os.File, p string, size, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(max(size, 0), limit)+512)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("read %q: more than %d bytes: %w", p, limit, ErrTooLarge)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// OpenError explains why an open with OpenFlags failed: a symlink
// (ELOOP; EMLINK on the BSDs), or a FIFO or socket with no peer (ENXIO).
func OpenError(p string, err error) error {
	switch {
	case errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.EMLINK):
		return &UnsafeError{Path: p, Problem: "it is a symlink", Fix: fmt.Sprintf("rm %q", p)}
	case errors.Is(err, syscall.ENXIO):
		return &UnsafeError{Path: p, Problem: "it is not a regular file", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
	}
	return err
}

// ReadPrivateFile reads a file that must be a regular file owned by uid
// with mode 0600 or stricter, opened with OpenPrivate (never through a
// symlink, never blocking), and no larger than max bytes. A missing file
// is reported with an error for which errors.Is(err, fs.ErrNotExist)
// holds.
func ReadPrivateFile(p string, uid int, max int64) ([]byte, error) {
	f, err := OpenPrivate(p, os.O_RDONLY, uid)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("read %q: %d bytes, at most %d allowed: %w", p, fi.Size(), max, ErrTooLarge)
	}
	return readAtMost(f, p, fi.Size(), max)
}

// CheckDir checks that p is a private directory of uid. A missing
// directory is reported with fs.ErrNotExist.
func CheckDir(p string, uid int) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	return CheckOwnedPrivate(p, fi, uid, true)
}

// EnsureDir creates p (and missing parents) with mode 0700 and then
// checks that p is a private directory of uid.
func EnsureDir(p string, uid int) error {
	if err := mkdirPrivate(p); err != nil {
		return fmt.Errorf("create directory %q: %w", p, err)
	}
	return CheckDir(p, uid)
}

// FS is the seam through which WriteFile's writes go, so that tests can
// inject a full disk or a failing fsync without needing a real one
// (WriteOptions.FS).
type FS interface {
	CreateTemp(dir, pattern string) (*os.File, error)
	Write(f *os.File, data []byte) (int, error)
	Sync(f *os.File) error
	Rename(oldpath, newpath string) error
}

type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (*os.File, error) { return createTemp(dir, pattern) }
func (osFS) Write(f *os.File, data []byte) (int, error)       { return f.Write(data) }
func (osFS) Sync(f *os.File) error                            { return f.Sync() }
func (osFS) Rename(oldpath, newpath string) error             { return replaceFile(oldpath, newpath) }

// WriteFileAtomic replaces p with data, mode 0600, so that a reader sees
// either the old content or the new one. p must not be a symlink or
// anything but a regular file; the temporary file is created with
// O_EXCL under a random name, so a planted file cannot be written through.
func WriteFileAtomic(p string, data []byte) error {
	return WriteFile(p, data, WriteOptions{})
}

// WriteOptions say how WriteFile replaces a file. The zero value is
// WriteFileAtomic's: mode 0600, a symlink or anything but a regular file
// at the path refused.
type WriteOptions struct {
	// Mode is the new file's mode; 0 means 0600.
	Mode fs.FileMode
	// ReplaceLink: a symlink at the path is replaced by the new file
	// (never written through); setup's binaries, the units, metrics.
	ReplaceLink bool
	// NoReplace: the path must not exist; a file that appeared meanwhile
	// is kept and the write fails with fs.ErrExist.
	NoReplace bool
	// LinkOnly, with NoReplace: the new file takes the name by link(2)
	// alone, never by the rename that otherwise stands in where the file
	// system has no hard links, so that a file that appears meanwhile is
	// never replaced (the store's install id: two processes creating it
	// at once agree on one).
	LinkOnly bool
	// BeforeReplace is the last check, given the complete temporary file
	// (the CLI config loads it): an error leaves the path as it was.
	BeforeReplace func(tmp string) error
	// FS is where the writes go; nil is the operating system. Tests set
	// it to inject a failure at each step.
	FS FS
}

// WriteFile is the one atomic writer of the tool: data goes to a new
// file under a random name (O_EXCL, through OpenPrivate) next to p, is
// synced, and then replaces p (rename), or, with NoReplace, takes its
// name only if it is free (link); the directory is synced after.
func WriteFile(p string, data []byte, o WriteOptions) (err error) {
	fsys := o.FS
	if fsys == nil {
		fsys = osFS{}
	}
	if fi, err := os.Lstat(p); err == nil {
		switch {
		case o.NoReplace:
			return fmt.Errorf("write %q: %w", p, fs.ErrExist)
		case fi.Mode()&fs.ModeSymlink != 0 && o.ReplaceLink:
		case fi.Mode()&fs.ModeSymlink != 0:
			return &UnsafeError{Path: p, Problem: "it is a symlink", Fix: fmt.Sprintf("rm %q", p)}
		case !fi.Mode().IsRegular():
			return &UnsafeError{Path: p, Problem: "it is not a regular file", Fix: fmt.Sprintf("move it away: mv %q %q", p, p+".bak")}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	mode := o.Mode
	if mode == 0 {
		mode = 0o600
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
	if err := tmp.Chmod(mode); err != nil {
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
	if o.BeforeReplace != nil {
		if err := o.BeforeReplace(tmp.Name()); err != nil {
			return err
		}
	}
	if o.NoReplace {
		err = os.Link(tmp.Name(), p)
		if err == nil {
			os.Remove(tmp.Name())
		} else if errors.Is(err, fs.ErrExist) || o.LinkOnly {
			return fmt.Errorf("write %q: %w", p, err)
		} else {
			// No hard links here (some network file systems): p was
			// free a moment ago.
			err = fsys.Rename(tmp.Name(), p)
		}
	} else {
		err = fsys.Rename(tmp.Name(), p)
	}
	if err != nil {
		return fmt.Errorf("write %q: %w", p, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %q: fsync directory: %w", p, err)
	}
	return nil
}

// createTemp is os.CreateTemp through OpenPrivate: a new file under a
// random name (the * of pattern), created with O_EXCL, so nothing planted
// at that name is ever opened. The name's randomness is os.CreateTemp's
// own (the runtime's ChaCha8 generator, seeded by the kernel): O_EXCL is
// what keeps a planted file out, the name only has to be new, and
// crypto/rand would cost get, which links this package, its start-up.
func createTemp(dir, pattern string) (*os.File, error) {
	prefix, suffix, _ := strings.Cut(pattern, "*")
	for range 100 {
		p := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36)+suffix)
		f, err := OpenPrivate(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, os.Geteuid())
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create a temporary file in %q: too many name collisions", dir)
}
