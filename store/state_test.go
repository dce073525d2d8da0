package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

func testKey(t *testing.T) Key {
	t.Helper()
	k, err := NewKey("http://127.0.0.1:8200", "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// save stores token for k through a locked session.
func save(t *testing.T, f *Files, k Key, token string) {
	t.Helper()
	s, err := f.Lock(context.Background(), k, time.Second)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer s.Close()
	st, err := s.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	st.Current = &Token{Token: token, Accessor: "acc-" + token, Source: SourceMinted, StoredAt: time.Now()}
	if err := s.Save(st); err != nil {
		t.Fatalf("Save: %v", err)
	}
}

func TestTokenMissingIsEmpty(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	got, err := f.Token(testKey(t))
	if err != nil || got != "" {
		t.Fatalf("Token on an empty store = %q, %v; want \"\", nil", got, err)
	}
}

func TestSaveThenToken(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	k := testKey(t)
	save(t, f, k, "hvs.one")
	got, err := f.Token(k)
	if err != nil || got != "hvs.one" {
		t.Fatalf("Token = %q, %v; want %q", got, err, "hvs.one")
	}
	other := Key{Addr: k.Addr, Namespace: "team"}
	if got, err := f.Token(other); err != nil || got != "" {
		t.Fatalf("Token for another namespace = %q, %v; want nothing", got, err)
	}
	for _, p := range []string{f.Root, f.tokensDir(), f.dir(k)} {
		assertMode(t, p, 0o700)
	}
	assertMode(t, f.statePath(k), 0o600)
}

func assertMode(t *testing.T, p string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		// No mode bits: the file must pass the owner and access-list check.
		if err := disk.CheckOwnedPrivate(p, fi, -1, fi.IsDir()); err != nil {
			t.Errorf("%q is not private: %v", p, err)
		}
		return
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %q = %04o, want %04o", p, got, want)
	}
}

func TestTokenRefusesUnsafeFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("mode bits, uids and symlinks; TestCheckPrivateWindows checks owners and access lists")
	}
	tests := []struct {
		name    string
		mutate  func(t *testing.T, f *Files, k Key)
		problem string
	}{
		{"world readable file", func(t *testing.T, f *Files, k Key) {
			must(t, os.Chmod(f.statePath(k), 0o644))
		}, "mode 0644"},
		{"group readable file", func(t *testing.T, f *Files, k Key) {
			must(t, os.Chmod(f.statePath(k), 0o640))
		}, "mode 0640"},
		{"symlink to a valid file", func(t *testing.T, f *Files, k Key) {
			p := f.statePath(k)
			must(t, os.Rename(p, p+".real"))
			must(t, os.Symlink(p+".real", p))
		}, "symlink"},
		{"dangling symlink", func(t *testing.T, f *Files, k Key) {
			p := f.statePath(k)
			must(t, os.Remove(p))
			must(t, os.Symlink(p+".nowhere", p))
		}, "symlink"},
		{"directory is a symlink", func(t *testing.T, f *Files, k Key) {
			d := f.dir(k)
			must(t, os.Rename(d, d+".real"))
			must(t, os.Symlink(d+".real", d))
		}, "symlink"},
		{"directory open to others", func(t *testing.T, f *Files, k Key) {
			must(t, os.Chmod(f.dir(k), 0o755))
		}, "mode 0755"},
		{"file owned by someone else", func(t *testing.T, f *Files, k Key) {
			f.uid = os.Geteuid() + 1
			// the directories are then foreign too; check the file alone
			st, err := os.Stat(f.statePath(k))
			must(t, err)
			if fileUID(st) == f.uid {
				t.Fatal("test setup: file already owned by the fake uid")
			}
		}, "owned by uid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
			k := testKey(t)
			save(t, f, k, "hvs.secret")
			tt.mutate(t, f, k)
			got, err := f.Token(k)
			if !errors.Is(err, disk.ErrUnsafe) {
				t.Fatalf("Token = %q, %v; want an error wrapping disk.ErrUnsafe", got, err)
			}
			if got != "" {
				t.Errorf("Token returned %q alongside the error", got)
			}
			if !strings.Contains(err.Error(), tt.problem) || !strings.Contains(err.Error(), "fix:") {
				t.Errorf("error %q does not say %q and how to fix it", err, tt.problem)
			}
			if strings.Contains(err.Error(), "hvs.secret") {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestTokenRefusesStateOfAnotherAddress(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	a := testKey(t)
	b := Key{Addr: "http://127.0.0.1:9999"}
	save(t, f, a, "hvs.a")
	must(t, os.MkdirAll(f.dir(b), 0o700))
	data, err := os.ReadFile(f.statePath(a))
	must(t, err)
	must(t, os.WriteFile(f.statePath(b), data, 0o600))
	if got, err := f.Token(b); !errors.Is(err, ErrCorrupt) || got != "" {
		t.Fatalf("Token(b) with a's state = %q, %v; want ErrCorrupt and no token", got, err)
	}
}

// faultFS fails one step of an atomic write.
type faultFS struct {
	failAt string
	err    error
}

func (f faultFS) Write(file *os.File, data []byte) (int, error) {
	if f.failAt == "write" {
		half := len(data) / 2
		n, _ := file.Write(data[:half])
		return n, f.err
	}
	return file.Write(data)
}

func (f faultFS) Sync(file *os.File) error {
	if f.failAt == "sync" {
		return f.err
	}
	return file.Sync()
}

func (f faultFS) Rename(a, b string) error {
	if f.failAt == "rename" {
		return f.err
	}
	return os.Rename(a, b)
}

func (f faultFS) CreateTemp(dir, pattern string) (*os.File, error) {
	if f.failAt == "create" {
		return nil, f.err
	}
	return os.CreateTemp(dir, pattern)
}

func TestSaveFailureKeepsOldState(t *testing.T) {
	for _, step := range []string{"create", "write", "sync", "rename"} {
		t.Run(step, func(t *testing.T) {
			f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
			k := testKey(t)
			save(t, f, k, "hvs.old")
			f.fs = faultFS{failAt: step, err: syscall.ENOSPC}

			s, err := f.Lock(context.Background(), k, time.Second)
			must(t, err)
			defer s.Close()
			st, err := s.Load()
			must(t, err)
			st.Current.Token = "hvs.new"
			err = s.Save(st)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Save with %s failing: got %v, want ENOSPC", step, err)
			}
			if got, err := f.Token(k); err != nil || got != "hvs.old" {
				t.Fatalf("after a failed save Token = %q, %v; want the old token", got, err)
			}
			entries, err := os.ReadDir(f.dir(k))
			must(t, err)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %q left behind", e.Name())
				}
			}
		})
	}
}

func TestWriteFileAtomicRefusesSymlink(t *testing.T) {
	skipUnderWine(t, "os.Symlink makes a host symlink that Lstat does not report")
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	must(t, os.WriteFile(target, []byte("keep"), 0o600))
	link := filepath.Join(dir, ".vault-token")
	must(t, os.Symlink(target, link))
	if err := disk.WriteFileAtomic(link, []byte("hvs.x")); !errors.Is(err, disk.ErrUnsafe) {
		t.Fatalf("disk.WriteFileAtomic through a symlink: got %v, want disk.ErrUnsafe", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("symlink target changed to %q", b)
	}
}

func TestWriteFileAtomicIgnoresPlantedTempFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	outside := filepath.Join(dir, "outside")
	// A planted symlink with a plausible temp name must not be written through.
	must(t, os.Symlink(outside, filepath.Join(dir, ".state.json.tmp-1")))
	must(t, disk.WriteFileAtomic(p, []byte("new")))
	if _, err := os.Lstat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the planted symlink was followed: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Fatalf("content = %q, want %q", b, "new")
	}
	assertMode(t, p, 0o600)
}

func TestLockTimesOutNamingHolder(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	k := testKey(t)
	held, err := f.Lock(context.Background(), k, time.Second)
	must(t, err)
	defer held.Close()

	_, err = f.Lock(context.Background(), k, 100*time.Millisecond)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: got %v, want ErrLocked", err)
	}
	want := "locked by process " + strconv.Itoa(os.Getpid())
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestStaleLockFileDoesNotBlock(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	k := testKey(t)
	s, err := f.Lock(context.Background(), k, time.Second)
	must(t, err)
	must(t, s.Close())
	// A lock file left by a process that died: content but no holder.
	must(t, os.WriteFile(filepath.Join(f.dir(k), disk.LockName), []byte("999999\n"), 0o600))
	s, err = f.Lock(context.Background(), k, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("Lock with a stale lock file: %v", err)
	}
	s.Close()
}

func TestListSkipsBrokenEntries(t *testing.T) {
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	a := testKey(t)
	b := Key{Addr: "http://127.0.0.1:9000", Namespace: "ns"}
	save(t, f, a, "hvs.a")
	save(t, f, b, "hvs.b")
	broken := Key{Addr: "http://127.0.0.1:9001"}
	must(t, os.MkdirAll(f.dir(broken), 0o700))
	must(t, os.WriteFile(f.statePath(broken), []byte("{"), 0o600))

	states, errs := f.List()
	if len(states) != 2 {
		t.Errorf("List returned %d states, want 2", len(states))
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrCorrupt) {
		t.Errorf("List errors = %v, want one ErrCorrupt", errs)
	}
	got := map[Key]string{}
	for _, st := range states {
		got[st.Key()] = st.Current.Token
	}
	if got[a] != "hvs.a" || got[b] != "hvs.b" {
		t.Errorf("List = %v, want a and b with their tokens", got)
	}
}

// TestReadAndListShareTheDecoder: Token (read) and List refuse the same
// files for the same reasons, the version check included.
func TestReadAndListShareTheDecoder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
	}{
		{"not JSON", "{"},
		{"newer version", `{"version": 2, "address": "http://127.0.0.1:8200"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
			k := testKey(t)
			save(t, f, k, "hvs.a")
			must(t, os.WriteFile(f.statePath(k), []byte(tt.data), 0o600))
			if _, err := f.Token(k); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Token: got %v, want ErrCorrupt", err)
			}
			states, errs := f.List()
			if len(states) != 0 || len(errs) != 1 || !errors.Is(errs[0], ErrCorrupt) {
				t.Errorf("List: got %d states and errors %v, want none and one ErrCorrupt", len(states), errs)
			}
		})
	}
}

// TestListMakesTheChecksOfGetAndRenew: what get (Token) or a writer
// (Lock, which renew and store take) refuses, List refuses with the same
// error, so that status and doctor, which read the store through List,
// never call healthy a store that get or renew will not use.
func TestListMakesTheChecksOfGetAndRenew(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("unix modes and symlinks; on Windows the owner-only check reads access lists (files_windows_test.go)")
	}
	tests := []struct {
		name    string
		mutate  func(t *testing.T, f *Files, k Key)
		problem string
		// lockOnly: get does not read the lock file; only a writer refuses.
		lockOnly bool
	}{
		{"address directory 0777", func(t *testing.T, f *Files, k Key) { must(t, os.Chmod(f.dir(k), 0o777)) }, "mode 0777", false},
		{"address directory of another owner", func(t *testing.T, f *Files, k Key) {
			if os.Geteuid() != 0 {
				t.Skip("chown needs root")
			}
			must(t, os.Chown(f.dir(k), 4242, -1))
		}, "owned by uid 4242", false},
		{"address directory a symlink", func(t *testing.T, f *Files, k Key) {
			d, real := f.dir(k), filepath.Join(f.Root, "elsewhere")
			must(t, os.Rename(d, real))
			must(t, os.Symlink(real, d))
		}, "symlink", false},
		{"tokens directory 0755", func(t *testing.T, f *Files, k Key) { must(t, os.Chmod(f.tokensDir(), 0o755)) }, "mode 0755", false},
		{"state file 0644", func(t *testing.T, f *Files, k Key) { must(t, os.Chmod(f.statePath(k), 0o644)) }, "mode 0644", false},
		{"lock file 0644", func(t *testing.T, f *Files, k Key) {
			must(t, os.Chmod(filepath.Join(f.dir(k), disk.LockName), 0o644))
		}, "mode 0644", true},
		{"lock file a symlink", func(t *testing.T, f *Files, k Key) {
			lp := filepath.Join(f.dir(k), disk.LockName)
			must(t, os.Remove(lp))
			must(t, os.Symlink(f.statePath(k), lp))
		}, "symlink", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
			k := testKey(t)
			save(t, f, k, "hvs.secret")
			tt.mutate(t, f, k)

			var want error
			if tt.lockOnly {
				if _, err := f.Token(k); err != nil {
					t.Fatalf("Token: got %v, want no error (get does not read the lock file)", err)
				}
				s, err := f.Lock(context.Background(), k, time.Second)
				if err == nil {
					s.Close()
				}
				want = err
			} else {
				_, want = f.Token(k)
			}
			if !errors.Is(want, disk.ErrUnsafe) || !strings.Contains(want.Error(), tt.problem) {
				t.Fatalf("the read or write path: got %v, want disk.ErrUnsafe saying %q", want, tt.problem)
			}
			states, errs := f.List()
			if len(states) != 0 || len(errs) != 1 {
				t.Fatalf("List: got %d states and errors %v, want none and one error", len(states), errs)
			}
			if got := errs[0]; !errors.Is(got, disk.ErrUnsafe) || got.Error() != want.Error() {
				t.Errorf("List: got %v, want the same error as get or renew: %v", got, want)
			}
		})
	}
}
