package heal_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

func TestRenew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(w *world)
		opt         heal.RenewOptions
		wantEvents  []string
		wantHealthy bool
		wantText    string
	}{
		{"a valid periodic token is renewed", func(w *world) {
			w.mustStore(w.admin())
			w.now = w.now.Add(24 * time.Hour)
		}, heal.RenewOptions{}, []string{heal.EventRenewed}, true, "ttl 768h0m0s"},
		{"nothing stored", func(w *world) {}, heal.RenewOptions{}, []string{heal.EventSkip}, true, "no token stored"},
		{"the stored token was revoked", func(w *world) {
			w.mustStore(w.admin())
			w.v.Revoke(w.stored())
		}, heal.RenewOptions{}, []string{heal.EventError}, false, "revoked or expired"},
		{"the stored token expired (no renew for a whole period)", func(w *world) {
			w.mustStore(w.admin())
			w.now = w.now.Add(period + time.Second)
		}, heal.RenewOptions{}, []string{heal.EventError}, false, "revoked or expired"},
		{"a passed-through login is never renewed", func(w *world) {
			w.mustStore(w.weak())
		}, heal.RenewOptions{}, []string{heal.EventDrift}, false, "is not ours"},
		{"Vault unavailable", func(w *world) {
			w.mustStore(w.admin())
			w.v.Fail(fakevault.Fault{Op: heal.OpLookupSelf, Kind: fakevault.Unavailable})
		}, heal.RenewOptions{}, []string{heal.EventError}, false, "connection refused"},
		{"renew-self fails", func(w *world) {
			w.mustStore(w.admin())
			w.v.Fail(fakevault.Fault{Op: heal.OpRenewSelf, Kind: fakevault.Sealed})
		}, heal.RenewOptions{}, []string{heal.EventError}, false, "Vault is sealed"},
		{"a recorded stale token is revoked", func(w *world) {
			w.mustStore(w.admin())
			_, acc := w.handMade()
			w.setState(func(st *store.State) {
				st.AddPending(store.Pending{Accessor: acc, DisplayName: ourName, Reason: "replaced"})
			})
		}, heal.RenewOptions{}, []string{heal.EventRenewed, heal.EventRevoked}, true, "stale token"},
		{"a stale token that cannot be revoked is a warning", func(w *world) {
			w.mustStore(w.admin())
			_, acc := w.handMade()
			w.setState(func(st *store.State) { st.AddPending(store.Pending{Accessor: acc, Reason: "replaced"}) })
			w.v.Fail(fakevault.Fault{Op: heal.OpRevokeAccessor, Kind: fakevault.Unavailable})
		}, heal.RenewOptions{}, []string{heal.EventRenewed, heal.EventWarn}, true, "could not revoke stale token"},
		{"the current token recorded as pending is kept", func(w *world) {
			acc := w.mustStore(w.admin()).Accessor
			w.setState(func(st *store.State) { st.AddPending(store.Pending{Accessor: acc, Reason: "bug"}) })
		}, heal.RenewOptions{}, []string{heal.EventRenewed, heal.EventWarn}, true, "kept it and dropped the record"},
		{"dry run changes nothing", func(w *world) {
			w.mustStore(w.admin())
			_, acc := w.handMade()
			w.setState(func(st *store.State) {
				st.AddPending(store.Pending{Accessor: acc, Reason: "replaced"})
				st.Journal = append(st.Journal, store.Intent{ID: "x", Step: store.StepMinting})
			})
		}, heal.RenewOptions{DryRun: true}, []string{heal.EventDryRun, heal.EventDryRun, heal.EventDryRun}, true, "would renew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			tt.setup(w)
			before := w.state()
			rep := w.renew(tt.opt)
			if got := lineEvents(rep); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("events: got %v, want %v\n%s", got, tt.wantEvents, reportText(rep))
			}
			if rep.Healthy != tt.wantHealthy {
				t.Errorf("healthy: got %v, want %v\n%s", rep.Healthy, tt.wantHealthy, reportText(rep))
			}
			if !strings.Contains(reportText(rep), tt.wantText) {
				t.Errorf("report:\n%s\nwant it to say %q", reportText(rep), tt.wantText)
			}
			after := w.state()
			if tt.opt.DryRun {
				if after.LastRenew != nil || len(after.Pending) != len(before.Pending) || len(after.Journal) != len(before.Journal) {
					t.Errorf("dry run changed the state: %+v", after)
				}
				return
			}
			if after.LastRenew == nil || after.LastRenew.OK != tt.wantHealthy || after.LastRenew.Result != strings.Join(tt.wantEvents, ",") {
				t.Errorf("last renew %+v, want ok %v result %q", after.LastRenew, tt.wantHealthy, strings.Join(tt.wantEvents, ","))
			}
		})
	}
}

func TestRenewExtendsTheToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acc := w.mustStore(w.admin()).Accessor
	w.now = w.now.Add(period - time.Hour)
	w.renew(heal.RenewOptions{})
	w.now = w.now.Add(2 * time.Hour) // past the first expiry
	if !w.live(acc) {
		t.Fatal("the renewed token expired at its first expiry")
	}
	if st := w.state(); !st.Current.ExpireTime.Equal(w.now.Add(-2 * time.Hour).Add(period)) {
		t.Errorf("recorded expiry %v, want renewal time + period", st.Current.ExpireTime)
	}
}

// TestRenewMirror is every case of the mirror check.
func TestRenewMirror(t *testing.T) {
	t.Parallel()
	const garbage = "not a token\n\x00"
	tests := []struct {
		name string
		// setup stores what it needs and returns the mirror's content
		// ("" for no file).
		setup       func(w *world) string
		opt         heal.RenewOptions
		wantEvents  []string
		wantHealthy bool
		// wantMirror: "stored" for the stored token afterwards, "same" for
		// what setup wrote, "" for no file.
		wantMirror string
		wantSource store.Source
	}{
		{"in sync", func(w *world) string { w.mustStore(w.admin()); return w.stored() },
			heal.RenewOptions{}, []string{heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"missing: restored", func(w *world) string { w.mustStore(w.admin()); return "" },
			heal.RenewOptions{}, []string{heal.EventHealed, heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"garbage: restored with a warning", func(w *world) string { w.mustStore(w.admin()); return garbage },
			heal.RenewOptions{}, []string{heal.EventWarn, heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"a token Vault does not know: restored with a warning", func(w *world) string { w.mustStore(w.admin()); return "hvs.revoked" },
			heal.RenewOptions{}, []string{heal.EventWarn, heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"an admin-capable login: restored", func(w *world) string { w.mustStore(w.admin()); return w.admin() },
			heal.RenewOptions{}, []string{heal.EventHealed, heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"a weak login: restored, DRIFT", func(w *world) string { w.mustStore(w.admin()); return w.weak() },
			heal.RenewOptions{}, []string{heal.EventDrift, heal.EventRenewed}, false, "stored", store.SourceMinted},
		{"capabilities unknown: restored with a warning", func(w *world) string {
			w.mustStore(w.admin())
			w.v.Fail(fakevault.Fault{Op: heal.OpCapabilities, Kind: fakevault.Unavailable})
			return w.weak()
		}, heal.RenewOptions{}, []string{heal.EventWarn, heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"a token of ours in the file is adopted", func(w *world) string {
			w.mustStore(w.admin())
			tok, _ := w.handMade()
			return tok
		}, heal.RenewOptions{}, []string{heal.EventHealed, heal.EventRenewed}, true, "same", store.SourceAdopted},
		{"the stored token revoked, an admin login in the file: minted from it", func(w *world) string {
			w.mustStore(w.admin())
			w.v.Revoke(w.stored())
			return w.admin()
		}, heal.RenewOptions{}, []string{heal.EventWarn, heal.EventHealed, heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"nothing stored, an admin login in the file: minted from it", func(w *world) string { return w.admin() },
			heal.RenewOptions{}, []string{heal.EventHealed, heal.EventRenewed}, true, "stored", store.SourceMinted},
		{"nothing stored, a weak login in the file: DRIFT", func(w *world) string { return w.weak() },
			heal.RenewOptions{}, []string{heal.EventDrift}, false, "same", ""},
		{"a passed-through login stored and in the file: DRIFT", func(w *world) string { w.mustStore(w.weak()); return w.stored() },
			heal.RenewOptions{}, []string{heal.EventDrift}, false, "same", store.SourcePassthrough},
		{"the file's token cannot be checked: a warning", func(w *world) string {
			w.mustStore(w.admin())
			tok := w.admin()
			w.v.Fail(fakevault.Fault{Op: heal.OpLookupSelf, Kind: fakevault.Unavailable, Skip: 1, Times: 1})
			return tok
		}, heal.RenewOptions{}, []string{heal.EventWarn, heal.EventRenewed}, true, "same", store.SourceMinted},
		{"minting from the file fails: ERROR", func(w *world) string {
			tok := w.admin()
			w.v.Fail(fakevault.Fault{Op: heal.OpCreateOrphan, Kind: fakevault.Sealed})
			return tok
		}, heal.RenewOptions{}, []string{heal.EventError}, false, "same", ""},
		// A weak token in the file needs a person even in a dry run.
		{"dry run: would restore over a weak token", func(w *world) string { w.mustStore(w.admin()); return w.weak() },
			heal.RenewOptions{DryRun: true}, []string{heal.EventDryRun, heal.EventDryRun}, false, "same", store.SourceMinted},
		{"dry run: would adopt", func(w *world) string { tok, _ := w.handMade(); return tok },
			heal.RenewOptions{DryRun: true}, []string{heal.EventDryRun, heal.EventSkip}, true, "same", ""},
		{"dry run: would mint", func(w *world) string { return w.admin() },
			heal.RenewOptions{DryRun: true}, []string{heal.EventDryRun, heal.EventSkip}, true, "same", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.useMirror = true
			content := tt.setup(w)
			if content == "" {
				os.Remove(w.mirror)
			} else if err := os.WriteFile(w.mirror, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			rep := w.renew(tt.opt)
			if got := lineEvents(rep); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("events: got %v, want %v\n%s", got, tt.wantEvents, reportText(rep))
			}
			if rep.Healthy != tt.wantHealthy {
				t.Errorf("healthy: got %v, want %v\n%s", rep.Healthy, tt.wantHealthy, reportText(rep))
			}
			b, err := os.ReadFile(w.mirror)
			switch tt.wantMirror {
			case "stored":
				if err != nil || string(b) != w.stored() {
					t.Errorf("mirror: got %q, %v; want the stored token", b, err)
				}
			case "same":
				if string(b) != content {
					t.Errorf("mirror: got %q, want %q untouched", b, content)
				}
			}
			st := w.state()
			if tt.wantSource == "" && st.Current != nil || tt.wantSource != "" && (st.Current == nil || st.Current.Source != tt.wantSource) {
				t.Errorf("stored %+v, want source %q", st.Current, tt.wantSource)
			}
		})
	}
}

func TestRenewMirrorUnreadable(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.useMirror = true
	w.mustStore(w.admin())
	if err := os.Chmod(w.mirror, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := w.renew(heal.RenewOptions{})
	if got := lineEvents(rep); !slices.Equal(got, []string{heal.EventWarn, heal.EventRenewed}) || !strings.Contains(reportText(rep), "unreadable") {
		t.Errorf("report:\n%s\nwant WARN unreadable, then OK", reportText(rep))
	}
	if fi, err := os.Stat(w.mirror); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mirror mode: got %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestRenewMirrorCannotBeRestored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.useMirror = true
	w.mustStore(w.admin())
	os.Remove(w.mirror)
	if err := os.Mkdir(w.mirror, 0o700); err != nil {
		t.Fatal(err)
	}
	rep := w.renew(heal.RenewOptions{})
	if rep.Healthy || !slices.Contains(lineEvents(rep), heal.EventError) {
		t.Errorf("report:\n%s\nwant an ERROR and unhealthy", reportText(rep))
	}
}

// TestRenewScan is --scan: what it revokes and what it spares. A token
// no metadata attributes to this installation (a hand-made one, which
// another installation may have adopted) is revoked only when named.
func TestRenewScan(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	acc := w.mustStore(w.admin()).Accessor
	_, handMade := w.handMade()
	_, named := w.handMade()
	_, kept := w.handMade()
	mk := func(meta map[string]string) string {
		_, a := w.v.Token(fakevault.TokenSpec{DisplayName: ourName, Policies: []string{"admin"}, Period: period, Meta: meta})
		return a
	}
	otherHost := mk(map[string]string{"created_by": "vault-token-helper", "host": "laptop", "user": "wizard", "address": addr})
	otherUser := mk(map[string]string{"created_by": "vault-token-helper", "host": "devvm", "user": "jane", "address": addr})
	otherAddr := mk(map[string]string{"created_by": "vault-token-helper", "host": "devvm", "user": "wizard", "address": "http://localhost:8200"})
	sameMachine := mk(map[string]string{"created_by": "vault-token-helper", "host": "devvm", "user": "wizard", "address": addr})
	otherTool := mk(map[string]string{"host": "devvm", "user": "wizard"})
	_, otherName := w.v.Token(fakevault.TokenSpec{DisplayName: "token-other", Policies: []string{"admin"}, Period: period})
	_, heldCurrent := w.handMade()
	w.setOther(other, func(st *store.State) {
		st.Current = &store.Token{Token: "hvs.other", Accessor: heldCurrent, Source: store.SourceAdopted}
		st.Pending = []store.Pending{{Accessor: kept, Reason: "replaced"}}
	})
	opt := heal.RenewOptions{Scan: true, Revoke: []string{named, heldCurrent, "nonesuch"}}

	dry := opt
	dry.DryRun = true
	if rep := w.renew(dry); strings.Count(reportText(rep), "would revoke") != 2 {
		t.Errorf("dry run:\n%s\nwant 2 would-revoke lines", reportText(rep))
	}
	rep := w.renew(opt)
	if !rep.Healthy || !strings.Contains(reportText(rep), "revoked 2 with display name "+ourName) {
		t.Errorf("report:\n%s\nwant healthy and 2 revoked", reportText(rep))
	}
	for _, tc := range []struct {
		name, acc string
		live      bool
	}{
		{"current", acc, true}, {"hand-made, not named", handMade, true}, {"hand-made, named", named, false},
		{"pending at another key", kept, true}, {"current at another key, named", heldCurrent, true},
		{"another host's", otherHost, true}, {"another user's", otherUser, true}, {"another address's", otherAddr, true},
		{"another tool's metadata", otherTool, true},
		{"this machine's, unrecorded", sameMachine, false}, {"another display name", otherName, true},
	} {
		if w.live(tc.acc) != tc.live {
			t.Errorf("%s token: live %v, want %v", tc.name, w.live(tc.acc), tc.live)
		}
	}
	text := reportText(rep)
	for _, want := range []string{
		heal.EventSpared + " " + addr + ": " + ourName + " (accessor " + handMade + ") not revoked",
		"--scan --revoke " + handMade,
		heal.EventSpared + " " + addr + ": " + ourName + " (accessor " + heldCurrent + ") not revoked",
		heal.EventWarn + " " + addr + ": --revoke nonesuch",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report:\n%s\nwant a line with %q", text, want)
		}
	}
}

func TestRenewScanDenied(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.spec.Policies = []string{"ops"}
	w.v.SetPolicy("ops", fakevault.Policy{"auth/token/create-orphan": {"update", "sudo"}})
	w.mustStore(w.v.Login("wizard", []string{"ops"}, nil, time.Hour))
	rep := w.renew(heal.RenewOptions{Scan: true})
	if rep.Healthy || !strings.Contains(reportText(rep), "ERROR") || !strings.Contains(reportText(rep), "scan") {
		t.Errorf("report:\n%s\nwant an unhealthy scan ERROR", reportText(rep))
	}
}

func TestRenewLocked(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mustStore(w.admin())
	sess, err := w.files.Lock(context.Background(), w.key, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	h := w.healer()
	h.LockWait = time.Millisecond
	rep, err := h.Renew(context.Background(), heal.RenewOptions{})
	if err == nil || rep.Healthy || !slices.Equal(lineEvents(rep), []string{heal.EventError}) {
		t.Errorf("Renew while locked: %v\n%s\nwant an error and one ERROR line", err, reportText(rep))
	}
}
