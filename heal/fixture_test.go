package heal_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

const (
	addr        = "http://127.0.0.1:8200"
	displayName = "devvm"
	ourName     = "token-" + displayName
	period      = 768 * time.Hour
)

// world is one machine and one Vault: the fake, a token store, a mirror
// and a log, with a clock that only moves when a test moves it.
type world struct {
	t      *testing.T
	v      *fakevault.Vault
	files  *store.Files
	key    store.Key
	mirror string
	spec   heal.Spec
	log    *syncBuffer
	now    time.Time
	ids    int

	// Set before an operation to shape the next healers.
	revokeLogin   bool
	rotateOnLogin bool
	grace         time.Duration
	recorded      bool
	useMirror     bool
	host, user    string
	installID     string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{
		t:      t,
		v:      fakevault.New(addr),
		files:  store.New(filepath.Join(dir, "data")),
		key:    store.Key{Addr: addr},
		mirror: filepath.Join(dir, ".vault-token"),
		spec:   heal.Spec{DisplayName: displayName},
		log:    &syncBuffer{},
		now:    time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC),
		host:   "devvm",
		user:   "wizard",
		// installID is empty: tokens are told apart by host and user, as
		// before install ids, unless a test sets one.
	}
	w.v.SetClock(func() time.Time { return w.now })
	w.v.SetPolicy("dev", fakevault.Policy{"secret/*": {"read"}})
	// May create orphans, but not periodic ones (no sudo): Vault's 400.
	w.v.SetPolicy("minter", fakevault.Policy{"auth/token/create-orphan": {"update"}})
	// May create periodic orphans with any policies (sudo): issue 15's minter.
	w.v.SetPolicy("sudominter", fakevault.Policy{"auth/token/create-orphan": {"update", "sudo"}})
	return w
}

func (w *world) healer() *heal.Healer {
	h := &heal.Healer{
		Files:         w.files,
		Key:           w.key,
		Vault:         w.v,
		Spec:          w.spec,
		Log:           slog.New(slog.NewTextHandler(w.log, nil)),
		LockWait:      time.Second,
		RevokeLogin:   w.revokeLogin,
		RotateOnLogin: w.rotateOnLogin,
		RotateGrace:   w.grace,
		Recorded:      w.recorded,
		Now:           func() time.Time { return w.now },
		NewID: func() string {
			w.ids++
			return fmt.Sprintf("intent-%d", w.ids)
		},
		Host:      w.host,
		User:      w.user,
		InstallID: w.installID,
	}
	if w.useMirror {
		h.Mirror = heal.NewMirror(w.mirror)
	}
	return h
}

// admin is an OIDC-like login that can mint; weak one that cannot.
func (w *world) admin() string { return w.v.Login("wizard", []string{"admin"}, nil, 168*time.Hour) }
func (w *world) weak() string  { return w.v.Login("jane", []string{"dev"}, nil, 168*time.Hour) }

// handMade is a periodic token of ours minted by hand (no metadata).
func (w *world) handMade() (token, accessor string) {
	return w.v.Token(fakevault.TokenSpec{DisplayName: ourName, Path: "auth/token/create-orphan",
		Policies: []string{"admin"}, Period: period})
}

// state is the stored state, read under the lock.
func (w *world) state() store.State {
	w.t.Helper()
	var out store.State
	w.locked(func(sess *store.Session, st store.State) { out = st })
	return out
}

// setState changes the stored state under the lock, as a tool would.
func (w *world) setState(f func(*store.State)) {
	w.t.Helper()
	w.locked(func(sess *store.Session, st store.State) {
		f(&st)
		if err := sess.Save(st); err != nil {
			w.t.Fatalf("save: %v", err)
		}
	})
}

func (w *world) locked(f func(*store.Session, store.State)) {
	w.t.Helper()
	sess, err := w.files.Lock(context.Background(), w.key, time.Second)
	if err != nil {
		w.t.Fatalf("lock: %v", err)
	}
	defer sess.Close()
	st, err := sess.Load()
	if err != nil {
		w.t.Fatalf("load: %v", err)
	}
	f(sess, st)
}

// onlyOurs fails unless accessor is the one live token with our name.
func (w *world) onlyOurs(t *testing.T, accessor string) {
	t.Helper()
	if got := w.ours(); !slices.Equal(got, []string{accessor}) {
		t.Errorf("live tokens of ours %v, want only %s", got, accessor)
	}
}

func (w *world) stored() string {
	w.t.Helper()
	tok, err := w.files.Token(w.key)
	if err != nil {
		w.t.Fatalf("Token: %v", err)
	}
	return tok
}

func (w *world) store(token string) (heal.Result, error) {
	return w.healer().Store(context.Background(), token)
}

func (w *world) mustStore(token string) heal.Result {
	w.t.Helper()
	res, err := w.store(token)
	if err != nil {
		w.t.Fatalf("Store: %v", err)
	}
	return res
}

func (w *world) renew(opt heal.RenewOptions) heal.Report {
	w.t.Helper()
	rep, err := w.healer().Renew(context.Background(), opt)
	if err != nil {
		w.t.Fatalf("Renew: %v", err)
	}
	return rep
}

// ours lists the accessors of live tokens with our display name.
func (w *world) ours() []string {
	var out []string
	for _, acc := range w.v.Accessors() {
		if info, ok := w.v.Info(acc); ok && info.DisplayName == ourName {
			out = append(out, acc)
		}
	}
	return out
}

func (w *world) live(accessor string) bool {
	_, ok := w.v.Info(accessor)
	return ok
}

func (w *world) events() []string {
	var out []string
	for _, line := range strings.Split(w.log.String(), "\n") {
		if _, rest, ok := strings.Cut(line, " msg="); ok {
			ev, _, _ := strings.Cut(rest, " ")
			out = append(out, ev)
		}
	}
	return out
}

func (w *world) logged(event string) bool { return slices.Contains(w.events(), event) }

// accessorOf is the accessor of a token the test holds.
func (w *world) accessorOf(token string) string {
	w.t.Helper()
	info, err := w.v.LookupSelf(context.Background(), token)
	if err != nil {
		w.t.Fatalf("lookup: %v", err)
	}
	return info.Accessor
}

func lineEvents(rep heal.Report) []string {
	var out []string
	for _, l := range rep.Lines {
		out = append(out, l.Event)
	}
	return out
}

func reportText(rep heal.Report) string {
	var b strings.Builder
	for _, l := range rep.Lines {
		b.WriteString(l.String() + "\n")
	}
	return b.String()
}

// other is the same Vault under another spelling of its address, a
// second key in the same local store.
var other = store.Key{Addr: "http://localhost:8200"}

// setOther changes the stored state of key k under its lock.
func (w *world) setOther(k store.Key, f func(*store.State)) {
	w.t.Helper()
	sess, err := w.files.Lock(context.Background(), k, time.Second)
	if err != nil {
		w.t.Fatalf("lock %s: %v", k, err)
	}
	defer sess.Close()
	st, err := sess.Load()
	if err != nil {
		w.t.Fatalf("load %s: %v", k, err)
	}
	f(&st)
	if err := sess.Save(st); err != nil {
		w.t.Fatalf("save %s: %v", k, err)
	}
}

// holdElsewhere makes the other key hold token (with accessor) as its
// current periodic token, as an adoption under that spelling would.
func (w *world) holdElsewhere(token, accessor string) {
	w.t.Helper()
	w.setOther(other, func(st *store.State) {
		st.Current = &store.Token{Token: token, Accessor: accessor, DisplayName: ourName, Source: store.SourceAdopted,
			Policies: []string{"admin", "default"}, RequiredPolicy: "admin", Period: store.Duration(period)}
	})
}
