package heal_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// crashed is the panic a test's Crash hook throws: the process "dies"
// at that step, after its deferred unlock (as the kernel drops a dead
// process's flock).
type crashed struct{ step string }

// storeCrashingAt runs a store of a new admin login that dies at step.
func (w *world) storeCrashingAt(step string) {
	w.t.Helper()
	h := w.healer()
	h.RotateOnLogin = true // a login over a valid token would keep it
	h.Crash = func(s string) {
		if s == step {
			panic(crashed{s})
		}
	}
	defer func() {
		r := recover()
		if c, ok := r.(crashed); !ok || c.step != step {
			w.t.Fatalf("store did not crash at %s: recovered %v", step, r)
		}
	}()
	_, err := h.Store(context.Background(), w.admin())
	w.t.Fatalf("store returned (%v) instead of crashing at %s", err, step)
}

var crashSteps = []string{heal.StepBeforeMint, heal.StepMintAnswered, heal.StepMintRecorded, heal.StepChecked, heal.StepStored}

// TestRecoveryAfterEachCrashStep: whatever step a mint dies at, the next
// store, erase or renew leaves exactly the tokens it should and an empty
// journal.
func TestRecoveryAfterEachCrashStep(t *testing.T) {
	t.Parallel()
	next := []struct {
		name string
		run  func(w *world)
		// wantOurs: how many live tokens of ours afterwards (the stored one).
		wantOurs int
	}{
		{"store", func(w *world) { w.mustStore(w.admin()) }, 1},
		{"erase", func(w *world) {
			if _, err := w.healer().Erase(context.Background()); err != nil {
				w.t.Fatalf("Erase: %v", err)
			}
		}, 0},
		{"renew", func(w *world) {
			if rep := w.renew(heal.RenewOptions{}); !rep.Healthy {
				w.t.Fatalf("renew unhealthy:\n%s", reportText(rep))
			}
		}, 1},
	}
	for _, step := range crashSteps {
		for _, n := range next {
			t.Run(step+"/then "+n.name, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t)
				w.mustStore(w.admin()) // a periodic token, whose authority recovers
				w.storeCrashingAt(step)
				n.run(w)
				st := w.state()
				if len(st.Journal) != 0 {
					t.Errorf("journal %+v, want it settled", st.Journal)
				}
				ours := w.ours()
				if len(ours) != n.wantOurs {
					t.Errorf("live tokens of ours %v, want %d", ours, n.wantOurs)
				}
				if n.wantOurs == 1 && (st.Current == nil || ours[0] != st.Current.Accessor) {
					t.Errorf("live %v, stored %+v: want the stored one live", ours, st.Current)
				}
			})
		}
	}
}

// TestRecoveryFromAFirstLogin: no periodic token stored yet; the next
// login's authority settles what the crashed one left.
func TestRecoveryFromAFirstLogin(t *testing.T) {
	t.Parallel()
	for _, step := range crashSteps {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.storeCrashingAt(step)
			res := w.mustStore(w.admin())
			w.onlyOurs(t, res.Accessor)
			if len(w.state().Journal) != 0 {
				t.Errorf("journal %+v, want settled", w.state().Journal)
			}
		})
	}
}

func TestRecoveryThatCannotFinishKeepsTheIntent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		step        string
		fault       fakevault.Fault
		wantWarning string
	}{
		{"the accessor cannot be revoked", heal.StepMintRecorded,
			fakevault.Fault{Op: heal.OpRevokeAccessor, Kind: fakevault.Unavailable}, "could not revoke token"},
		{"the accessors cannot be listed", heal.StepMintAnswered,
			fakevault.Fault{Op: heal.OpListAccessors, Kind: fakevault.Unavailable}, "interrupted mint(s) not settled"},
		{"the found token cannot be revoked", heal.StepMintAnswered,
			fakevault.Fault{Op: heal.OpRevokeAccessor, Kind: fakevault.Unavailable}, "could not revoke token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.mustStore(w.admin())
			w.storeCrashingAt(tt.step)
			w.v.Fail(tt.fault)
			// A weak login: no mint, so only the recovery acts; refused.
			res, _ := w.store(w.weak())
			if got := strings.Join(res.Warnings, "\n"); !strings.Contains(got, tt.wantWarning) {
				t.Errorf("warnings %q, want %q", got, tt.wantWarning)
			}
			if st := w.state(); len(st.Journal) != 1 {
				t.Errorf("journal %+v, want the intent kept", st.Journal)
			}
		})
	}
}

func TestRecoveryBudget(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustStore(w.admin())
	w.storeCrashingAt(heal.StepMintAnswered)
	w.v.Fail(fakevault.Fault{Op: heal.OpListAccessors, Kind: fakevault.Slow, Delay: time.Hour})
	h := w.healer()
	h.RecoveryBudget = time.Millisecond
	res, err := h.Erase(context.Background())
	if err != nil || res.Event != heal.EventErased {
		t.Fatalf("Erase: %+v, %v; want ERASED within the budget", res, err)
	}
	if st := w.state(); len(st.Journal) != 1 {
		t.Errorf("journal %+v, want the unsettled intent kept", st.Journal)
	}
}

func TestRecoveryNothingMinted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustStore(w.admin())
	w.setState(func(st *store.State) {
		st.Journal = append(st.Journal, store.Intent{ID: "lost", Step: store.StepMinting})
	})
	w.mustStore(w.stored()) // UNCHANGED, after settling the journal
	if len(w.state().Journal) != 0 || !strings.Contains(w.log.String(), "nothing was minted") {
		t.Errorf("journal %+v, log:\n%s\nwant settled: nothing was minted", w.state().Journal, w.log)
	}
}

// TestLostFirstMint: the answer to a first mint is lost after Vault
// minted (a connection cut after create-orphan). Nothing stored has the
// authority to find that token, so the nightly renew cannot settle it:
// the run is unhealthy and its ERROR names the command that does, an
// admin login, whose authority finds and revokes it (and mints).
func TestLostFirstMint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.v.Fail(fakevault.Fault{Op: heal.OpCreateOrphan, Kind: fakevault.OutcomeUnknown, Applied: true, Times: 1})
	_, err := w.store(w.admin())
	if !errors.Is(err, heal.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "vault login -method=oidc") {
		t.Fatalf("store: got %v, want ErrOutcomeUnknown naming the admin login that settles it", err)
	}
	orphans := w.ours()
	if len(orphans) != 1 || len(w.state().Journal) != 1 {
		t.Fatalf("live tokens of ours %v, journal %+v; want the one minted behind the client's back, journaled", orphans, w.state().Journal)
	}

	rep := w.renew(heal.RenewOptions{})
	text := reportText(rep)
	if rep.Healthy || !strings.Contains(text, heal.EventError+" "+addr+": 1 interrupted mint(s) not settled") || !strings.Contains(text, "`vault login -method=oidc`") {
		t.Errorf("renew:\n%s\nwant unhealthy, an ERROR naming the admin login", text)
	}
	if got := heal.Unsettled(w.state()); !strings.Contains(got, "`vault login -method=oidc`") {
		t.Errorf("Unsettled = %q, want the admin login", got)
	}

	res := w.mustStore(w.admin())
	w.onlyOurs(t, res.Accessor)
	if w.live(orphans[0]) || len(w.state().Journal) != 0 || heal.Unsettled(w.state()) != "" {
		t.Errorf("after the admin login: orphan live %v, journal %+v; want revoked and settled", w.live(orphans[0]), w.state().Journal)
	}
	if rep := w.renew(heal.RenewOptions{}); !rep.Healthy {
		t.Errorf("renew after the admin login:\n%s\nwant healthy", reportText(rep))
	}
}
