package heal_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

func TestErase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(w *world) (accessor string)
		wantRevoked bool
		wantPending bool
		wantWarning string
	}{
		{"nothing stored", func(w *world) string { return "" }, false, false, ""},
		{"a minted token is revoked", func(w *world) string { return w.mustStore(w.admin()).Accessor }, true, false, ""},
		{"an adopted token is kept in Vault", func(w *world) string {
			tok, _ := w.handMade()
			return w.mustStore(tok).Accessor
		}, false, false, ""},
		{"a passed-through login is kept in Vault", func(w *world) string { return w.mustStore(w.weak()).Accessor }, false, false, ""},
		{"a minted token already revoked is forgotten", func(w *world) string {
			acc := w.mustStore(w.admin()).Accessor
			w.v.Revoke(w.stored())
			return acc
		}, true, false, ""},
		{"Vault says the minted token is gone: forgotten, nothing pending", func(w *world) string {
			acc := w.mustStore(w.admin()).Accessor
			w.v.Fail(fakevault.Fault{Op: heal.OpRevokeSelf, Kind: fakevault.InvalidToken})
			return acc
		}, false, false, ""},
		{"Vault unavailable: forgotten, kept pending for the next admin login", func(w *world) string {
			acc := w.mustStore(w.admin()).Accessor
			w.v.Fail(fakevault.Fault{Op: heal.OpRevokeSelf, Kind: fakevault.Unavailable})
			return acc
		}, false, true, "could not revoke the erased token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.useMirror = true
			acc := tt.setup(w)
			res, err := w.healer().Erase(context.Background())
			if err != nil {
				t.Fatalf("Erase: %v", err)
			}
			if res.Event != heal.EventErased || res.Accessor != acc {
				t.Errorf("result %+v, want ERASED %s", res, acc)
			}
			if w.stored() != "" {
				t.Error("a token is still stored")
			}
			if acc != "" && w.live(acc) == tt.wantRevoked {
				t.Errorf("token live = %v, want revoked %v", w.live(acc), tt.wantRevoked)
			}
			st := w.state()
			if got := slices.ContainsFunc(st.Pending, func(p store.Pending) bool { return p.Accessor == acc }); got != tt.wantPending {
				t.Errorf("pending %+v, want pending %v", st.Pending, tt.wantPending)
			}
			if tt.wantPending && st.Pending[0].Attempts != 1 {
				t.Errorf("attempts %d, want 1", st.Pending[0].Attempts)
			}
			if got := strings.Join(res.Warnings, "\n"); !strings.Contains(got, tt.wantWarning) || tt.wantWarning == "" && got != "" {
				t.Errorf("warnings %q, want %q", got, tt.wantWarning)
			}
			if _, err := os.Stat(w.mirror); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("mirror: got %v, want it removed", err)
			}
		})
	}
}

func TestEraseKeepsAMirrorOfAnotherToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.useMirror = true
	w.mustStore(w.admin())
	if err := os.WriteFile(w.mirror, []byte("hvs.other"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := w.healer().Erase(context.Background()); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	if b, err := os.ReadFile(w.mirror); err != nil || string(b) != "hvs.other" {
		t.Errorf("mirror: got %q, %v; want hvs.other kept", b, err)
	}
}

func TestAdoptVerb(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(w *world) string
		wantEvent string
		wantErr   error
	}{
		{"ours is adopted", func(w *world) string { tok, _ := w.handMade(); return tok }, heal.EventAdopted, nil},
		{"the stored one is unchanged", func(w *world) string { w.mustStore(w.admin()); return w.stored() }, heal.EventUnchanged, nil},
		{"a login is not ours and never mints", func(w *world) string { return w.admin() }, "", heal.ErrNotOurs},
		// setup kept ~/.vault-token as passed through; once the config
		// matches it, `adopt < ~/.vault-token` takes it over.
		{"the stored passed-through token, ours, is adopted", func(w *world) string {
			tok, _ := w.handMade()
			w.keepUnchecked(tok)
			return tok
		}, heal.EventAdopted, nil},
		{"the stored passed-through token, not ours", func(w *world) string {
			tok := w.weak()
			w.keepUnchecked(tok)
			return tok
		}, "", heal.ErrNotOurs},
		{"an invalid token", func(w *world) string { return "hvs.nothing" }, "", heal.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tok := tt.setup(w)
			mints := w.v.Calls(heal.OpCreateOrphan)
			res, err := w.healer().Adopt(context.Background(), tok)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Adopt: got %v, want %v", err, tt.wantErr)
			}
			if res.Event != tt.wantEvent {
				t.Errorf("event: got %q, want %q", res.Event, tt.wantEvent)
			}
			if w.v.Calls(heal.OpCreateOrphan) != mints {
				t.Error("Adopt minted")
			}
		})
	}
}

func TestMirrorFollowsStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.useMirror = true
	w.mustStore(w.admin())
	if b, err := os.ReadFile(w.mirror); err != nil || string(b) != w.stored() {
		t.Fatalf("mirror after mint: got %v, want the periodic token", err)
	}
	if !w.logged(heal.EventMirrored) {
		t.Errorf("events %v, want MIRRORED", w.events())
	}
	// A weak login is refused and the mirror keeps the periodic token.
	if _, err := w.store(w.weak()); !errors.Is(err, heal.ErrWeakToken) {
		t.Fatalf("weak store: %v", err)
	}
	if b, _ := os.ReadFile(w.mirror); string(b) != w.stored() {
		t.Error("the mirror changed on a refusal")
	}
	// A passed-through login is never mirrored.
	w2 := newWorld(t)
	w2.useMirror = true
	w2.mustStore(w2.weak())
	if _, err := os.Stat(w2.mirror); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mirror after passthrough: got %v, want none", err)
	}
	// A mirror that cannot be written is a warning, not a failure.
	w3 := newWorld(t)
	w3.useMirror = true
	if err := os.Mkdir(w3.mirror, 0o700); err != nil {
		t.Fatal(err)
	}
	res := w3.mustStore(w3.admin())
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "~/.vault-token not updated") {
		t.Errorf("warnings %q, want one about the mirror", res.Warnings)
	}
}

// keepUnchecked stores tok as passed through, as setup does without Vault.
func (w *world) keepUnchecked(tok string) {
	w.t.Helper()
	if _, err := w.healer().KeepTokenUnchecked(context.Background(), tok); err != nil {
		w.t.Fatalf("KeepTokenUnchecked: %v", err)
	}
}
