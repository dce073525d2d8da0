package heal_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// rotated stores an admin login's periodic token A, rotates it with a
// grace of an hour and returns A's token and accessor and B's accessor.
func (w *world) rotated() (oldTok, oldAcc, newAcc string) {
	w.t.Helper()
	w.grace = time.Hour
	w.mustStore(w.admin())
	oldTok, oldAcc = w.stored(), w.state().Current.Accessor
	res, err := w.healer().Rotate(context.Background())
	if err != nil {
		w.t.Fatalf("Rotate: %v", err)
	}
	return oldTok, oldAcc, res.Accessor
}

// TestPendingIsNeverStoredAgain: a token queued for revocation (here A,
// rotated out with a grace) is never stored again, by any way it can come
// back within the grace; B stays current and A is revoked after it.
func TestPendingIsNeverStoredAgain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// act puts A in front of the tool and returns what it answered.
		act     func(w *world, oldTok, oldAcc string) error
		wantErr error
	}{
		{"vault login -method=token with A", func(w *world, oldTok, _ string) error {
			_, err := w.store(oldTok)
			return err
		}, heal.ErrWeakToken},
		{"vault-token-helper adopt with A", func(w *world, oldTok, _ string) error {
			_, err := w.healer().Adopt(context.Background(), oldTok)
			return err
		}, heal.ErrWeakToken},
		{"setup's keep of a ~/.vault-token holding A", func(w *world, oldTok, _ string) error {
			_, err := w.healer().KeepToken(context.Background(), oldTok)
			return err
		}, heal.ErrWeakToken},
		{"renew healing a stale ~/.vault-token holding A", func(w *world, oldTok, _ string) error {
			w.useMirror = true
			if err := os.WriteFile(w.mirror, []byte(oldTok), 0o600); err != nil {
				return err
			}
			rep := w.renew(heal.RenewOptions{})
			if b, _ := os.ReadFile(w.mirror); string(b) != w.stored() {
				w.t.Errorf("mirror not restored:\n%s", reportText(rep))
			}
			if !rep.Healthy || !strings.Contains(reportText(rep), "queued for revocation") {
				w.t.Errorf("report:\n%s\nwant healthy, saying A is queued for revocation", reportText(rep))
			}
			return nil
		}, nil},
		{"A pending at another local address, nothing valid stored here", func(w *world, oldTok, oldAcc string) error {
			w.setOther(other, func(st *store.State) {
				st.AddPending(store.Pending{Accessor: oldAcc, Reason: "replaced", RevokeAfter: w.now.Add(time.Hour)})
			})
			cur := w.state().Current
			w.setState(func(st *store.State) { st.Current, st.Pending = nil, nil })
			_, err := w.store(oldTok)
			w.setState(func(st *store.State) {
				st.Current = cur
				st.AddPending(store.Pending{Accessor: oldAcc, Reason: "replaced", RevokeAfter: w.now.Add(time.Hour)})
			})
			if err != nil && errors.Is(err, heal.ErrWeakToken) {
				w.t.Errorf("got a refusal keeping a token, with nothing stored: %v", err)
			}
			return err
		}, heal.ErrPendingRevocation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			oldTok, oldAcc, newAcc := w.rotated()
			w.now = w.now.Add(10 * time.Minute)
			err := tt.act(w, oldTok, oldAcc)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr != nil && !errors.Is(err, heal.ErrPendingRevocation)) {
				t.Fatalf("got %v, want %v (and ErrPendingRevocation)", err, tt.wantErr)
			}
			if st := w.state(); st.Current == nil || st.Current.Accessor != newAcc || !slices.ContainsFunc(st.Pending, func(p store.Pending) bool { return p.Accessor == oldAcc }) {
				t.Fatalf("stored %+v pending %+v, want B %s current and A %s pending", st.Current, st.Pending, newAcc, oldAcc)
			}
			w.now = w.now.Add(time.Hour)
			w.renew(heal.RenewOptions{})
			if w.live(oldAcc) || !w.live(newAcc) {
				t.Errorf("after the grace: A live %v, B live %v; want A revoked, B live", w.live(oldAcc), w.live(newAcc))
			}
		})
	}
}

// TestRenewHealByMintGrace: renew's heal by mint replaces the stored
// token with no grace only when Vault said it is revoked or expired.
func TestRenewHealByMintGrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		spoil     func(w *world)
		wantGrace bool
	}{
		{"the stored token was revoked: no grace", func(w *world) { w.v.Revoke(w.stored()) }, false},
		{"the stored token is live but fails every guard: the rotation's grace", func(w *world) {
			w.setState(func(st *store.State) { st.Current.RequiredPolicy = "ops" })
			w.spec.RequiredPolicy = "ops"
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.grace = time.Hour
			w.useMirror = true
			old := w.mustStore(w.admin()).Accessor
			tt.spoil(w)
			w.spec.RequiredPolicy = ""
			if err := os.WriteFile(w.mirror, []byte(w.admin()), 0o600); err != nil {
				t.Fatal(err)
			}
			rep := w.renew(heal.RenewOptions{})
			if !slices.Contains(lineEvents(rep), heal.EventHealed) || w.state().Current.Accessor == old {
				t.Fatalf("report:\n%s\nwant a mint from the mirror", reportText(rep))
			}
			if tt.wantGrace {
				i := slices.IndexFunc(w.state().Pending, func(p store.Pending) bool { return p.Accessor == old })
				if !w.live(old) || i < 0 || !w.state().Pending[i].RevokeAfter.Equal(w.now.Add(time.Hour)) {
					t.Errorf("old token live %v, pending %+v; want it live, pending until the grace ends", w.live(old), w.state().Pending)
				}
			}
		})
	}
}

// TestRenewAfterConfigEdit: a config edit never stops the renewal of a
// live token of ours that passes the guard recorded with it; the run says
// so and is unhealthy until an admin login rotates it.
func TestRenewAfterConfigEdit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(s *heal.Spec)
	}{
		{"display_name changed", func(s *heal.Spec) { s.DisplayName = "laptop" }},
		{"required_policy changed", func(s *heal.Spec) { s.RequiredPolicy, s.Policies = "ops", []string{"admin", "ops"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			acc := w.mustStore(w.admin()).Accessor
			tt.edit(&w.spec)
			w.now = w.now.Add(period - time.Hour)
			rep := w.renew(heal.RenewOptions{})
			if got := lineEvents(rep); rep.Healthy || !slices.Equal(got, []string{heal.EventWarn, heal.EventRenewed}) ||
				!strings.Contains(reportText(rep), "no longer matches") || !strings.Contains(reportText(rep), "next admin login") {
				t.Errorf("report (healthy %v):\n%s\nwant unhealthy, WARN no longer matches, then renewed", rep.Healthy, reportText(rep))
			}
			w.now = w.now.Add(2 * time.Hour) // past the expiry before the renewal
			if !w.live(acc) {
				t.Fatal("the only token expired after a config edit")
			}
			if st := w.state(); st.LastRenew == nil || st.LastRenew.OK {
				t.Errorf("last renew %+v, want recorded as not OK", st.LastRenew)
			}
			// The next admin login rotates it, and renew is healthy again.
			res := w.mustStore(w.v.Login("wizard", []string{"admin", "ops"}, nil, time.Hour))
			if res.Event != heal.EventMinted || res.Replaced != acc {
				t.Errorf("admin login: %+v, want a mint replacing %s", res, acc)
			}
			if rep := w.renew(heal.RenewOptions{}); !rep.Healthy {
				t.Errorf("renew after the rotation:\n%s\nwant healthy", reportText(rep))
			}
		})
	}
}

// TestScanWithUnreadableConfig: --scan never sweeps by the default
// display name when the configuration could not be read.
func TestScanWithUnreadableConfig(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustStore(w.admin())
	_, handMade := w.v.Token(fakevault.TokenSpec{DisplayName: "token-" + heal.DefaultDisplayName, Policies: []string{"admin"}, Period: period})
	w.recorded = true
	w.spec = heal.Spec{}
	rep := w.renew(heal.RenewOptions{Scan: true})
	if !w.live(handMade) {
		t.Errorf("--scan with an unreadable config revoked a hand-made %s token:\n%s", "token-"+heal.DefaultDisplayName, reportText(rep))
	}
	if !slices.Equal(lineEvents(rep), []string{heal.EventRenewed, heal.EventSkip}) || !strings.Contains(reportText(rep), "--scan skipped") {
		t.Errorf("report:\n%s\nwant renewed, then --scan skipped", reportText(rep))
	}
}
