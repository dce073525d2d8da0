//go:build unix

package disk

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// OpenFlags are part of every open of a file the tool writes or that
// holds a secret: never block (a FIFO or a device planted at the path
// answers at once instead of waiting for a peer, so no open can outlast
// the operation's deadline), never follow a symlink at the last
// component, never leak the descriptor into a child process.
const OpenFlags = syscall.O_NONBLOCK | syscall.O_NOFOLLOW | syscall.O_CLOEXEC

// readFlags are OpenRegular's: never block, never leak the descriptor;
// symlinks are followed.
const readFlags = syscall.O_NONBLOCK | syscall.O_CLOEXEC

// checkPrivate refuses a file or directory not owned by uid, or with any
// permission bit for group or others.
func checkPrivate(p string, fi fs.FileInfo, uid int, dir bool) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid {
		return &UnsafeError{Path: p, Problem: fmt.Sprintf("it is owned by uid %d, not by you (uid %d)", st.Uid, uid),
			Fix: fmt.Sprintf("chown %d %q, or remove it", uid, p)}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		want := "600"
		if dir {
			want = "700"
		}
		return &UnsafeError{Path: p, Problem: fmt.Sprintf("mode %04o lets group or others use it", perm),
			Fix: fmt.Sprintf("chmod %s %q", want, p)}
	}
	return nil
}

// replaceFile is rename(2): atomic, and it replaces newpath.
func replaceFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

// syncDir fsyncs a directory, so that a rename or a link in it is
// durable.
func syncDir(dir string) error {
	d, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|OpenFlags, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// openFile opens p with OpenFlags, mode 0600 when it creates the file.
// O_NONBLOCK is for the open alone (a FIFO with no peer answers at once):
// the descriptor is made blocking again before package os sees it, so
// that os does not register it with its poller, which would cost get an
// epoll instance and an event descriptor on every vault command. Before
// any read or write, OpenPrivate refuses what is not a regular file.
func openFile(p string, flag int) (*os.File, error) {
	for {
		fd, err := syscall.Open(p, flag|OpenFlags, 0o600)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: p, Err: err}
		}
		if err := syscall.SetNonblock(fd, false); err != nil {
			syscall.Close(fd)
			return nil, &os.PathError{Op: "fcntl", Path: p, Err: err}
		}
		return os.NewFile(uintptr(fd), p), nil
	}
}

// mkdirPrivate creates p and its missing parents with mode 0700.
func mkdirPrivate(p string) error { return os.MkdirAll(p, 0o700) }
