//go:build unix

// FIFOs, mode bits and O_NONBLOCK opens are unix semantics; files_windows_test.go
// holds the Windows forms of these checks.

package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// noHang runs f and fails the test when it has not returned after a
// minute: the opens under test must never wait for a peer.
func noHang(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s blocked", what)
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenPrivate holds the one open of the files the tool writes: it
// never blocks, never follows a link, and opens only a private regular
// file of ours.
func TestOpenPrivate(t *testing.T) {
	t.Parallel()
	write := os.O_WRONLY | os.O_APPEND | os.O_CREATE
	tests := []struct {
		name    string
		plant   func(t *testing.T, p string)
		flag    int
		wantErr error  // nil: the open succeeds
		wantMsg string // in the error
	}{
		{"new file", func(*testing.T, string) {}, write, nil, ""},
		{"existing private file", func(t *testing.T, p string) { must(t, os.WriteFile(p, []byte("x"), 0o600)) }, write, nil, ""},
		{"missing, not created", func(*testing.T, string) {}, os.O_RDONLY, fs.ErrNotExist, ""},
		{"FIFO, write, no reader", func(t *testing.T, p string) { mkfifo(t, p) }, write, disk.ErrUnsafe, "not a regular file"},
		{"FIFO, read, no writer", func(t *testing.T, p string) { mkfifo(t, p) }, os.O_RDONLY, disk.ErrUnsafe, "not a regular file"},
		{"FIFO, write, with a reader", func(t *testing.T, p string) {
			mkfifo(t, p)
			r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
			must(t, err)
			t.Cleanup(func() { r.Close() })
		}, write, disk.ErrUnsafe, "not a regular file"},
		{"symlink to a private file", func(t *testing.T, p string) {
			must(t, os.WriteFile(p+".target", nil, 0o600))
			must(t, os.Symlink(p+".target", p))
		}, write, disk.ErrUnsafe, "symlink"},
		{"dangling symlink", func(t *testing.T, p string) { must(t, os.Symlink(p+".nowhere", p)) }, write, disk.ErrUnsafe, "symlink"},
		{"readable by others", func(t *testing.T, p string) {
			must(t, os.WriteFile(p, nil, 0o600))
			must(t, os.Chmod(p, 0o644))
		}, write, disk.ErrUnsafe, "chmod 600"},
		{"a directory", func(t *testing.T, p string) { must(t, os.Mkdir(p, 0o700)) }, os.O_RDONLY, disk.ErrUnsafe, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "f")
			tt.plant(t, p)
			var f *os.File
			var err error
			noHang(t, "disk.OpenPrivate", func() { f, err = disk.OpenPrivate(p, tt.flag, os.Geteuid()) })
			if f != nil {
				defer f.Close()
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got %v, want the file open", err)
				}
				fi, err := f.Stat()
				must(t, err)
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("mode: got %04o, want 0600", fi.Mode().Perm())
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(errString(err), tt.wantMsg) {
				t.Errorf("got %v, want %v saying %q", err, tt.wantErr, tt.wantMsg)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A FIFO or a link in place of a file the store writes: refused at once,
// nothing written through it.
func TestStoreRefusesFIFOs(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	tests := []struct {
		name  string
		file  func(f *Files) string
		op    func(f *Files) error
		setup bool // save a state first, so the directories exist
	}{
		{"lock", func(f *Files) string { return filepath.Join(f.dir(k), "lock") }, func(f *Files) error {
			s, err := f.Lock(context.Background(), k, time.Second)
			if err == nil {
				s.Close()
			}
			return err
		}, true},
		{"state file", func(f *Files) string { return f.statePath(k) }, func(f *Files) error {
			_, err := f.Token(k)
			return err
		}, true},
		{"install id", func(f *Files) string { return f.InstallIDPath() }, func(f *Files) error {
			_, err := f.InstallID()
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
			if tt.setup {
				save(t, f, k, "hvs.one-token")
				must(t, os.Remove(tt.file(f)))
			} else {
				must(t, disk.EnsureDir(f.Root, f.uid))
			}
			mkfifo(t, tt.file(f))
			var err error
			noHang(t, tt.name, func() { err = tt.op(f) })
			if !errors.Is(err, disk.ErrUnsafe) || !strings.Contains(errString(err), "not a regular file") {
				t.Errorf("got %v, want disk.ErrUnsafe: not a regular file", err)
			}
		})
	}
}

func TestWriteFileAtomicRefusesFIFO(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), ".vault-token")
	mkfifo(t, p)
	var err error
	noHang(t, "disk.WriteFileAtomic", func() { err = disk.WriteFileAtomic(p, []byte("hvs.x")) })
	if !errors.Is(err, disk.ErrUnsafe) {
		t.Errorf("got %v, want disk.ErrUnsafe", err)
	}
}

func TestInstallID(t *testing.T) {
	t.Parallel()
	root := filepath.Join(t.TempDir(), "vault-token-helper")
	// Several processes' first commands at once agree on one id.
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := New(root).InstallID()
			if err != nil {
				t.Errorf("InstallID: %v", err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || !validInstallID(id) {
			t.Fatalf("ids: got %q, want one 32-digit hex id", ids)
		}
	}
	f := New(root)
	if again, err := f.InstallID(); err != nil || again != ids[0] {
		t.Errorf("again: got %q, %v; want %q", again, err, ids[0])
	}
	assertMode(t, f.InstallIDPath(), 0o600)
	if other, _ := New(filepath.Join(t.TempDir(), "vault-token-helper")).InstallID(); other == ids[0] {
		t.Errorf("two data directories got the same id %q", other)
	}
	entries, err := os.ReadDir(root)
	must(t, err)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	must(t, os.WriteFile(f.InstallIDPath(), []byte("not an id\n"), 0o600))
	if _, err := f.InstallID(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage id: got %v, want ErrCorrupt", err)
	}
	must(t, os.Chmod(f.InstallIDPath(), 0o644))
	if _, err := f.InstallID(); !errors.Is(err, disk.ErrUnsafe) {
		t.Errorf("id readable by others: got %v, want disk.ErrUnsafe", err)
	}
}

// TestReadRegularFile: files the tool only reads (the config, the files
// setup installs) follow links but never block and must be regular.
func TestReadRegularFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		plant   func(t *testing.T, p string)
		wantErr error
	}{
		{"regular file", func(t *testing.T, p string) { must(t, os.WriteFile(p, []byte("x"), 0o644)) }, nil},
		{"symlink to a regular file", func(t *testing.T, p string) {
			must(t, os.WriteFile(p+".target", []byte("x"), 0o644))
			must(t, os.Symlink(p+".target", p))
		}, nil},
		{"missing", func(*testing.T, string) {}, fs.ErrNotExist},
		{"FIFO", func(t *testing.T, p string) { mkfifo(t, p) }, disk.ErrUnsafe},
		{"symlink to a FIFO", func(t *testing.T, p string) {
			mkfifo(t, p+".fifo")
			must(t, os.Symlink(p+".fifo", p))
		}, disk.ErrUnsafe},
		{"too large", func(t *testing.T, p string) { must(t, os.WriteFile(p, make([]byte, 11), 0o644)) }, disk.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), "config.hcl")
			tt.plant(t, p)
			var data []byte
			var err error
			noHang(t, "disk.ReadRegularFile", func() { data, err = disk.ReadRegularFile(p, 10) })
			if tt.wantErr == nil && (err != nil || string(data) != "x") {
				t.Errorf("got %q, %v; want \"x\"", data, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}
