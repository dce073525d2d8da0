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
)

// ErrLocked is returned when an address's lock could not be taken in time.
var ErrLocked = errors.New("token store is locked")

// ErrCorrupt is returned for a state file that cannot be decoded or that
// belongs to another address.
var ErrCorrupt = errors.New("corrupt state file")

// stateVersion is written into every state file; a newer one is refused.
const stateVersion = 1

// maxStateSize bounds what is read from a state file.
const maxStateSize = 1 << 20

// Source says how the current token came to be stored.
type Source string

const (
	// SourceMinted: this tool minted the periodic token.
	SourceMinted Source = "minted"
	// SourceAdopted: a periodic token of ours that someone else minted.
	SourceAdopted Source = "adopted"
	// SourcePassthrough: a login token kept as it is, because it could not
	// mint and no valid periodic token was stored.
	SourcePassthrough Source = "passthrough"
)

// Periodic reports whether a token from this source is one of ours.
func (s Source) Periodic() bool { return s == SourceMinted || s == SourceAdopted }

// Token is the token stored for an address and what Vault said about it
// when it was stored.
type Token struct {
	Token       string   `json:"token"`
	Accessor    string   `json:"accessor,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Policies    []string `json:"policies,omitempty"`
	// IdentityPolicies are those the token's entity and groups grant.
	IdentityPolicies []string  `json:"identity_policies,omitempty"`
	Source           Source    `json:"source"`
	RequiredPolicy   string    `json:"required_policy,omitempty"`
	Period           Duration  `json:"period,omitempty"`
	StoredAt         time.Time `json:"stored_at"`
	ExpireTime       time.Time `json:"expire_time,omitzero"`
	// TLS is what the storing command set of the VAULT_* client TLS
	// variables (nil: none); see TLS.
	TLS *TLS `json:"tls,omitempty"`
}

// Pending is a token this tool means to revoke: a periodic token that
// was replaced, erased or minted and never stored.
type Pending struct {
	Accessor    string    `json:"accessor"`
	DisplayName string    `json:"display_name,omitempty"`
	Reason      string    `json:"reason"`
	Since       time.Time `json:"since"`
	Attempts    int       `json:"attempts,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	// RevokeAfter is the end of the grace of a replaced token: no sweep
	// revokes it before. Zero: at the next sweep.
	RevokeAfter time.Time `json:"revoke_after,omitzero"`
	// Token is the token itself, kept only so that it can revoke itself:
	// one erased while Vault did not answer, which nothing else stored
	// may have the authority to revoke. It is never used for anything
	// else, never printed, and goes with the entry.
	Token string `json:"token,omitempty"`
}

// Due reports whether p may be revoked at now (its grace is over).
func (p Pending) Due(now time.Time) bool { return !now.Before(p.RevokeAfter) }

// Intent steps, in the order a mint goes through them.
const (
	// StepMinting: recorded before the mint request; the outcome is not
	// known. The token, if any, carries the intent ID in its metadata.
	StepMinting = "minting"
	// StepMinted: Vault answered with a token; its accessor is recorded.
	StepMinted = "minted"
)

// Intent is one journal entry: a mint in progress.
type Intent struct {
	ID       string    `json:"id"`
	Step     string    `json:"step"`
	Accessor string    `json:"accessor,omitempty"`
	Started  time.Time `json:"started"`
	PID      int       `json:"pid"`
}

// Renewal is the outcome of the last renew run for an address.
type Renewal struct {
	Time   time.Time `json:"time"`
	OK     bool      `json:"ok"`
	Result string    `json:"result"`
}

// Login is what the last login that changed or kept the stored token
// did, for status: the event (MINTED, KEPT, ADOPTED, PASSTHROUGH), when,
// and the token it left stored.
type Login struct {
	Time     time.Time `json:"time"`
	Event    string    `json:"event"`
	Accessor string    `json:"accessor,omitempty"`
}

// State is everything stored for one address.
type State struct {
	Version   int       `json:"version"`
	Address   string    `json:"address"`
	Namespace string    `json:"namespace,omitempty"`
	Current   *Token    `json:"current,omitempty"`
	Pending   []Pending `json:"pending_revocations,omitempty"`
	Journal   []Intent  `json:"journal,omitempty"`
	LastRenew *Renewal  `json:"last_renew,omitempty"`
	LastLogin *Login    `json:"last_login,omitempty"`
}

// Key returns the key the state belongs to.
func (s State) Key() Key { return Key{Addr: s.Address, Namespace: s.Namespace} }

// AddPending records accessor for revocation unless it is already
// pending or empty.
func (s *State) AddPending(p Pending) {
	if p.Accessor == "" || slices.ContainsFunc(s.Pending, func(q Pending) bool { return q.Accessor == p.Accessor }) {
		return
	}
	s.Pending = append(s.Pending, p)
}

// Duration is a time.Duration stored as a Go duration string.
type Duration time.Duration

// MarshalJSON writes the duration as "768h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Files is the on-disk store rooted at Root.
type Files struct {
	Root string
	// Redact, when set, learns every token read from the store, and
	// redacts the error texts (Pending.LastError) of every state saved.
	Redact *Redactor
	uid    int
	fs     fileSystem
}

// New returns the store rooted at root (normally
// $XDG_DATA_HOME/vault-token-helper); nothing is created until a write.
func New(root string) *Files {
	return &Files{Root: root, uid: os.Geteuid(), fs: osFS{}}
}

func (f *Files) tokensDir() string      { return filepath.Join(f.Root, "tokens") }
func (f *Files) dir(k Key) string       { return filepath.Join(f.tokensDir(), k.dirName()) }
func (f *Files) statePath(k Key) string { return filepath.Join(f.dir(k), stateName) }

// The files of an address directory.
const (
	stateName = "state.json"
	lockName  = "lock"
)

// StatePath is the file holding the state (and the token) for k.
func (f *Files) StatePath(k Key) string { return f.statePath(k) }

// Token returns the token stored for k, or "" when none is stored. It
// takes no lock and does no network I/O: this is the path of `get`.
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

// read loads the state of k without the lock; a missing state is empty.
func (f *Files) read(k Key) (State, error) {
	empty := State{Version: stateVersion, Address: k.Addr, Namespace: k.Namespace}
	st, found, err := f.readDir(f.dir(k))
	if err != nil || !found {
		return empty, err
	}
	if st.Address != k.Addr || st.Namespace != k.Namespace {
		return empty, fmt.Errorf("%w %q: it belongs to %s, not %s", ErrCorrupt, f.statePath(k), st.Key(), k)
	}
	f.learn(st)
	return st, nil
}

// readDir is the read path's checks and decoding of the state in the
// address directory dir (under the tokens directory), shared by Token,
// Peek, Load and List: each directory from Root down is a private
// directory of ours, the state file a private regular file read with
// ReadPrivateFile, decoded by decodeState. A missing directory or state
// file is found = false with a nil error.
func (f *Files) readDir(dir string) (st State, found bool, err error) {
	for _, d := range []string{f.Root, f.tokensDir(), dir} {
		if err := checkDir(d, f.uid); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return State{}, false, nil
			}
			return State{}, false, err
		}
	}
	p := filepath.Join(dir, stateName)
	data, err := ReadPrivateFile(p, f.uid, maxStateSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return State{}, false, nil
		}
		return State{}, false, err
	}
	st, err = decodeState(p, data)
	if err != nil {
		return State{}, false, err
	}
	return st, true, nil
}

// checkLock is the writers' check of the lock file in the address
// directory dir, made before Lock opens it: when it exists it must be a
// private regular file of ours. A missing lock file is fine (Lock
// creates it).
func (f *Files) checkLock(dir string) error {
	lp := filepath.Join(dir, lockName)
	fi, err := os.Lstat(lp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return checkOwnedPrivate(lp, fi, f.uid, false)
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

// decodeState is the one decoder of a state file read from p: JSON of a
// version this tool knows.
func decodeState(p string, data []byte) (State, error) {
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("%w %q: %v; move it away and log in again", ErrCorrupt, p, err)
	}
	if st.Version > stateVersion {
		return State{}, fmt.Errorf("%w %q: version %d is newer than this tool (%d); upgrade vault-token-helper", ErrCorrupt, p, st.Version, stateVersion)
	}
	return st, nil
}

// List returns the state of every address in the store, in directory
// order. An entry that cannot be read is returned in errs and skipped.
// Each entry passes the checks of both paths: those of the read path
// (readDir, which get makes) and the lock file's (checkLock, which every
// writer makes), so that what List reports usable, get, store and renew
// can use; status and doctor report what it refuses.
func (f *Files) List() (states []State, errs []error) {
	for _, d := range []string{f.Root, f.tokensDir()} {
		if err := checkDir(d, f.uid); err != nil {
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
		st, found, err := f.readDir(dir)
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
		if st.Key().dirName() != e.Name() {
			errs = append(errs, fmt.Errorf("%w %q: it names %s, which does not belong in this directory", ErrCorrupt, filepath.Join(dir, stateName), st.Key()))
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
		if err := ensureDir(d, f.uid); err != nil {
			return nil, err
		}
	}
	if err := f.checkLock(f.dir(k)); err != nil {
		return nil, err
	}
	lp := filepath.Join(f.dir(k), lockName)
	// gofrs/flock opens the file itself: with openFlags, as OpenPrivate
	// does, and the descriptor is checked as OpenPrivate checks it.
	l := flock.New(lp, flock.SetFlag(os.O_CREATE|os.O_RDONLY|openFlags), flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 25*time.Millisecond)
	if !ok {
		holder := "another process"
		if b, rerr := ReadPrivateFile(lp, f.uid, 64); rerr == nil {
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
		return nil, fmt.Errorf("lock: %w", openError(lp, err))
	}
	fi, err := l.Stat()
	if err == nil {
		err = checkOwnedPrivate(lp, fi, f.uid, false)
	}
	if err != nil {
		l.Unlock()
		return nil, err
	}
	// Record the holder so that a waiter can name it. The lock is on the
	// inode, so rewriting the file's content does not affect it.
	// Best effort: a full disk must not turn into a failure to lock.
	if hf, err := OpenPrivate(lp, os.O_WRONLY|os.O_TRUNC, f.uid); err == nil {
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
	st.Version = stateVersion
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
	return writeFileAtomic(s.f.fs, s.f.statePath(s.key), append(data, '\n'))
}

// Close releases the lock.
func (s *Session) Close() error { return s.lock.Unlock() }
