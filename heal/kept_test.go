package heal_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// TestRotate is `vault-token-helper rotate`: a successor minted with the
// stored token's authority; the old one revoked at once or after the
// grace.
func TestRotate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		grace     time.Duration
		setup     func(w *world)
		wantErr   error
		wantOldOK bool // the old token still live right after
	}{
		{"grace 0 revokes the old token at once", 0, func(w *world) { w.mustStore(w.admin()) }, nil, false},
		{"with a grace the old token lives until the sweep after it", time.Hour, func(w *world) { w.mustStore(w.admin()) }, nil, true},
		{"nothing stored", 0, func(w *world) {}, heal.ErrNothingToRotate, false},
		{"a passed-through login is not rotated", 0, func(w *world) { w.mustStore(w.weak()) }, heal.ErrNothingToRotate, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.grace = tt.grace
			tt.setup(w)
			old := ""
			if st := w.state(); st.Current != nil {
				old = st.Current.Accessor
			}
			res, err := w.healer().Rotate(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Rotate: got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if res.Event != heal.EventMinted || res.Replaced != old || res.Accessor == old {
				t.Errorf("result %+v, want a new token replacing %s", res, old)
			}
			if w.stored() == "" || w.state().Current.Accessor != res.Accessor {
				t.Errorf("stored %+v, want the new token", w.state().Current)
			}
			if w.live(old) != tt.wantOldOK {
				t.Errorf("old token live %v, want %v", w.live(old), tt.wantOldOK)
			}
			if tt.grace > 0 {
				w.now = w.now.Add(tt.grace)
				w.renew(heal.RenewOptions{})
				if w.live(old) {
					t.Error("the old token outlived the first sweep after its grace")
				}
			}
			w.onlyOurs(t, res.Accessor)
		})
	}
}

// TestRevocationGuard: no revocation of any kind revokes a token another
// local address (the same Vault under another spelling) holds as current.
func TestRevocationGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// act returns the accessor another key holds, after revoking what
		// it would revoke.
		act func(w *world) string
	}{
		{"rotation's sweep", func(w *world) string {
			tok, acc := w.handMade()
			w.mustStore(tok)
			w.holdElsewhere(tok, acc)
			w.rotateOnLogin = true
			w.mustStore(w.admin())
			return acc
		}},
		{"the sweep after a grace", func(w *world) string {
			tok, acc := w.handMade()
			w.mustStore(tok)
			w.holdElsewhere(tok, acc)
			w.grace = time.Hour
			if _, err := w.healer().Rotate(context.Background()); err != nil {
				w.t.Fatal(err)
			}
			w.now = w.now.Add(2 * time.Hour)
			rep := w.renew(heal.RenewOptions{})
			if !slices.Contains(lineEvents(rep), heal.EventSpared) {
				w.t.Errorf("renew:\n%s\nwant a SPARED line", reportText(rep))
			}
			return acc
		}},
		{"erase", func(w *world) string {
			res := w.mustStore(w.admin())
			w.holdElsewhere(w.stored(), res.Accessor)
			if _, err := w.healer().Erase(context.Background()); err != nil {
				w.t.Fatal(err)
			}
			return res.Accessor
		}},
		{"recovery of a journaled mint", func(w *world) string {
			w.mustStore(w.admin())
			tok, acc := w.handMade()
			w.holdElsewhere(tok, acc)
			w.setState(func(st *store.State) {
				st.Journal = append(st.Journal, store.Intent{ID: "x", Step: store.StepMinted, Accessor: acc})
			})
			w.mustStore(w.admin())
			return acc
		}},
		{"revoke_login_token", func(w *world) string {
			w.mustStore(w.admin())
			login := w.admin()
			w.holdElsewhere(login, w.accessorOf(login))
			w.revokeLogin = true
			w.mustStore(login)
			return w.accessorOf(login)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			acc := tt.act(w)
			if !w.live(acc) {
				t.Errorf("the token %s another key holds was revoked", acc)
			}
			if !w.logged(heal.EventSpared) {
				t.Errorf("log %v has no %s", w.events(), heal.EventSpared)
			}
			if st := w.state(); slices.ContainsFunc(st.Pending, func(p store.Pending) bool { return p.Accessor == acc }) || len(st.Journal) != 0 {
				t.Errorf("pending %+v journal %+v, want the spared token dropped", st.Pending, st.Journal)
			}
		})
	}
}

// TestRenewWithTheRecordedGuard: when the configuration cannot be read,
// renew checks each stored token against the guard recorded with it.
func TestRenewWithTheRecordedGuard(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustStore(w.admin())
	w.now = w.now.Add(240 * time.Hour)
	w.recorded = true
	w.spec = heal.Spec{DisplayName: "something-else", RequiredPolicy: "nope"} // ignored
	rep := w.renew(heal.RenewOptions{})
	if !rep.Healthy || !slices.Equal(lineEvents(rep), []string{heal.EventRenewed}) {
		t.Errorf("report:\n%s\nwant one OK line", reportText(rep))
	}
	// A token that fails its recorded guard is not renewed.
	w2 := newWorld(t)
	w2.mustStore(w2.admin())
	w2.setState(func(st *store.State) { st.Current.RequiredPolicy = "ops" })
	w2.recorded = true
	if rep := w2.renew(heal.RenewOptions{}); rep.Healthy || !slices.Contains(lineEvents(rep), heal.EventDrift) {
		t.Errorf("report:\n%s\nwant DRIFT", reportText(rep))
	}
}
