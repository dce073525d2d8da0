package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// ErrLocked is returned when an address's lock could not be taken in time.
var ErrLocked = errors.New("token store is locked")

// The vocabulary of the store is defined in package disk, where get
// reads it; these are its names here.
type (
	Source   = disk.Source
	Token    = disk.Token
	Pending  = disk.Pending
	Intent   = disk.Intent
	Renewal  = disk.Renewal
	Login    = disk.Login
	State    = disk.State
	Duration = disk.Duration
	TLS      = disk.TLS
)

// Sources and intent steps (disk.SourceMinted...).
const (
	SourceMinted      = disk.SourceMinted
	SourceAdopted     = disk.SourceAdopted
	SourcePassthrough = disk.SourcePassthrough
	StepMinting       = disk.StepMinting
	StepMinted        = disk.StepMinted
)

// ErrCorrupt is disk.ErrCorrupt: a state file that cannot be decoded or
// that belongs to another address.
var ErrCorrupt = disk.ErrCorrupt

// Files is the on-disk store rooted at Root.
type Files struct {
	Root string
	// Redact, when set, learns every token read from the store, and
	// redacts the error texts (Pending.LastError) of every state saved.
	Redact *Redactor
	uid    int
	fs     disk.FS // nil: the operating system's (tests inject faults)
}

// New returns the store rooted at root (normally
// $XDG_DATA_HOME/vault-token-helper); nothing is created until a write.
func New(root string) *Files {
	return &Files{Root: root, uid: os.Geteuid()}
}

func (f *Files) tokensDir() string      { return disk.TokensDir(f.Root) }
func (f *Files) dir(k Key) string       { return filepath.Join(f.tokensDir(), dirName(k)) }
func (f *Files) statePath(k Key) string { return filepath.Join(f.dir(k), disk.StateName) }

// StatePath is the file holding the state (and the token) for k.
func (f *Files) StatePath(k Key) string { return f.statePath(k) }

// Token returns the token stored for k, or "" when none is stored. It
// takes no lock and does no network I/O: it is get's read (disk.Read),
// which the front makes without this package.
func (f *Files) Token(k Key) (string, error) {
	st, err := f.read(k)
	if err != nil || st.Current == nil {
		return "", err
	}
	return st.Current.Token, nil
}

// Peek returns the state of k as Token reads it: no lock, no network; a
// missing state is empty. get uses it to see whether a renew is due.
func (f *Files) Peek(k Key) (State, error) { return f.read(k) }

// read loads the state of k without the lock (disk.Read, get's read);
// a missing state is empty.
func (f *Files) read(k Key) (State, error) {
	st, err := disk.Read(f.Root, f.uid, Namer(), k)
	if err != nil {
		return st, err
	}
	f.learn(st)
	return st, nil
}

// checkLock is the writers' check of the lock file in the address
// directory dir, made before Lock opens it: when it exists it must be a
// private regular file of ours. A missing lock file is fine (Lock
// creates it).
func (f *Files) checkLock(dir string) error {
	lp := filepath.Join(dir, disk.LockName)
	fi, err := os.Lstat(lp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return disk.CheckOwnedPrivate(lp, fi, f.uid, false)
}

// learn registers the state's tokens with the Redactor.
func (f *Files) learn(st State) {
	if st.Current != nil {
		f.Redact.Add(st.Current.Token, st.Current.Accessor)
	}
	for _, p := range st.Pending {
		if p.Token != "" {
			f.Redact.Add(p.Token, p.Accessor)
		}
	}
}

// List returns the state of every address in the store, in directory
// order. An entry that cannot be read is returned in errs and skipped.
// Each entry passes the checks of both paths: those of the read path
// (disk.ReadDir, which get makes) and the lock file's (checkLock, which every
// writer makes), so that what List reports usable, get, store and renew
// can use; status and doctor report what it refuses.
func (f *Files) List() (states []State, errs []error) {
	for _, d := range []string{f.Root, f.tokensDir()} {
		if err := disk.CheckDir(d, f.uid); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, []error{err}
		}
	}
	entries, err := os.ReadDir(f.tokensDir())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, []error{err}
	}
	for _, e := range entries {
		dir := filepath.Join(f.tokensDir(), e.Name())
		st, found, err := disk.ReadDir(f.Root, dir, f.uid)
		if err == nil {
			err = f.checkLock(dir)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found {
			continue
		}
		if dirName(st.Key()) != e.Name() {
			errs = append(errs, fmt.Errorf("%w %q: it names %s, which does not belong in this directory", ErrCorrupt, filepath.Join(dir, disk.StateName), st.Key()))
			continue
		}
		f.learn(st)
		states = append(states, st)
	}
	return states, errs
}

// Session is the only writer of one address's state: it holds the
// address's lock until Close.
type Session struct {
	f    *Files
	key  Key
	lock *flock.Flock
}

// DefaultLockWait is how long Lock waits for another process by default.
const DefaultLockWait = 10 * time.Second

// Lock takes the lock of k, creating the store's directories as needed,
// waiting at most wait. When the lock stays taken, the error wraps
// ErrLocked and names the holder's PID.
func (f *Files) Lock(ctx context.Context, k Key, wait time.Duration) (*Session, error) {
	for _, d := range []string{f.Root, f.tokensDir(), f.dir(k)} {
		if err := disk.EnsureDir(d, f.uid); err != nil {
			return nil, err
		}
	}
	if err := f.checkLock(f.dir(k)); err != nil {
		return nil, err
	}
	lp := filepath.Join(f.dir(k), disk.LockName)
	// gofrs/flock opens the file itself: with disk.OpenFlags, as OpenPrivate
	// does, and the descriptor is checked as OpenPrivate checks it.
	l := flock.New(lp, flock.SetFlag(os.O_CREATE|os.O_RDONLY|disk.OpenFlags), flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 25*time.Millisecond)
	if !ok {
		holder := "another process"
		if b, rerr := disk.ReadPrivateFile(lp, f.uid, 64); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = "process " + strconv.Itoa(pid)
			}
		}
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: %s is locked by %s (waited %s); if it hangs, stop it and try again", ErrLocked, k, holder, wait)
		}
		if errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("lock %q: %w", lp, err)
		}
		return nil, fmt.Errorf("lock: %w", disk.OpenError(lp, err))
	}
	fi, err := l.Stat()
	if err == nil {
		err = disk.CheckOwnedPrivate(lp, fi, f.uid, false)
	}
	if err != nil {
		l.Unlock()
		return nil, err
	}
	// Record the holder so that a waiter can name it. The lock is on the
	// inode, so rewriting the file's content does not affect it.
	// Best effort: a full disk must not turn into a failure to lock.
	if hf, err := disk.OpenPrivate(lp, os.O_WRONLY|os.O_TRUNC, f.uid); err == nil {
		_, _ = hf.WriteString(strconv.Itoa(os.Getpid()) + "\n")
		hf.Close()
	}
	return &Session{f: f, key: k, lock: l}, nil
}

// Key is the address this session holds.
func (s *Session) Key() Key { return s.key }

// Load reads the state; a missing one is empty.
func (s *Session) Load() (State, error) { return s.f.read(s.key) }

// Save replaces the state atomically. Address and namespace are always
// the session's.
func (s *Session) Save(st State) error {
	st.Version = disk.StateVersion
	st.Address, st.Namespace = s.key.Addr, s.key.Namespace
	// An error text may quote a server's answer: never keep a token in it.
	st.Pending = slices.Clone(st.Pending)
	for i := range st.Pending {
		st.Pending[i].LastError = s.f.Redact.String(st.Pending[i].LastError)
	}
	if st.LastRenew != nil {
		lr := *st.LastRenew
		lr.Result = s.f.Redact.String(lr.Result)
		st.LastRenew = &lr
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return disk.WriteFile(s.f.statePath(s.key), append(data, '\n'), disk.WriteOptions{FS: s.f.fs})
}

// Close releases the lock.
func (s *Session) Close() error { return s.lock.Unlock() }
