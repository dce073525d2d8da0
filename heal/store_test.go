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

// TestStoreDecision is every row of the store decision (README "How it
// works", docs/design.md): what is kept, what Vault is asked, what is
// revoked.
func TestStoreDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup shapes the world and returns the incoming token.
		setup     func(w *world) string
		wantEvent string
		wantErr   error
		// check looks at the world after the store.
		check func(t *testing.T, w *world, incoming string, res heal.Result)
	}{
		{
			name:      "admin login mints the periodic token",
			setup:     func(w *world) string { return w.admin() },
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				info, ok := w.v.Info(res.Accessor)
				if !ok || info.DisplayName != ourName || info.Period != heal.DefaultPeriod || !info.Orphan {
					t.Errorf("minted %+v (live %v), want an orphan %s with period %s", info, ok, ourName, heal.DefaultPeriod)
				}
				if !slices.Equal(info.Policies, []string{"admin", "default"}) {
					t.Errorf("minted policies %v, want the login's own: [admin default]", info.Policies)
				}
				want := map[string]string{"created_by": "vault-token-helper", "host": "devvm", "user": "wizard", "address": addr, "intent_id": "intent-1"}
				for k, v := range want {
					if info.Meta[k] != v {
						t.Errorf("meta %s = %q, want %q", k, info.Meta[k], v)
					}
				}
				st := w.state()
				if st.Current == nil || st.Current.Source != store.SourceMinted || st.Current.Accessor != res.Accessor || st.Current.RequiredPolicy != "admin" {
					t.Errorf("stored %+v, want the minted token, required policy admin", st.Current)
				}
				if len(st.Journal) != 0 {
					t.Errorf("journal %v, want empty", st.Journal)
				}
				if !w.live(w.accessorOf(incoming)) {
					t.Error("the login token was revoked; want it left alone")
				}
			},
		},
		{
			name: "the stored token again is unchanged",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				return w.stored()
			},
			wantEvent: heal.EventUnchanged,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if got := w.v.Calls(heal.OpLookupSelf); got != 2 {
					t.Errorf("%d lookups, want the 2 of the first store only", got)
				}
			},
		},
		{
			name: "a hand-made periodic token of ours is adopted and the old one revoked",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				tok, _ := w.handMade()
				return tok
			},
			wantEvent: heal.EventAdopted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				w.onlyOurs(t, res.Accessor)
				if st := w.state(); st.Current.Source != store.SourceAdopted || st.Current.Token != incoming || len(st.Pending) != 0 {
					t.Errorf("stored %+v pending %v, want the adopted token and nothing pending", st.Current, st.Pending)
				}
			},
		},
		{
			name: "ours but minted on another host is not adopted: its authority mints",
			setup: func(w *world) string {
				tok, _ := w.v.Token(fakevault.TokenSpec{DisplayName: ourName, Policies: []string{"admin"}, Period: period,
					Meta: map[string]string{"created_by": "vault-token-helper", "host": "laptop", "user": "wizard"}})
				return tok
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if !w.live(w.accessorOf(incoming)) {
					t.Error("the other host's token was revoked")
				}
				if w.stored() == incoming {
					t.Error("the other host's token was stored")
				}
			},
		},
		{
			name: "a second admin login keeps the valid periodic token that matches: KEPT, renewed",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				w.now = w.now.Add(240 * time.Hour)
				return w.admin()
			},
			wantEvent: heal.EventKept,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				w.onlyOurs(t, res.Accessor)
				if got := w.v.Calls(heal.OpCreateOrphan); got != 1 {
					t.Errorf("%d mints, want only the first", got)
				}
				if info, _ := w.v.Info(res.Accessor); info.TTL != period || res.TTL != period {
					t.Errorf("ttl %s (result %s), want renewed to the full %s", info.TTL, res.TTL, period)
				}
				if !w.live(w.accessorOf(incoming)) || w.logged(heal.EventRevoked) {
					t.Errorf("log %v: want nothing revoked, the login token left alone", w.events())
				}
				if st := w.state(); st.Current.Accessor != res.Accessor || len(st.Pending) != 0 {
					t.Errorf("stored %+v pending %v, want the kept token and nothing pending", st.Current, st.Pending)
				}
				if l := w.state().LastLogin; l == nil || l.Event != heal.EventKept || l.Accessor != res.Accessor {
					t.Errorf("last login %+v, want KEPT %s for status", l, res.Accessor)
				}
			},
		},
		{
			name: "a login Vault does not let check its capabilities keeps the stored token",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				w.v.SetPolicy("nocaps", fakevault.Policy{"sys/capabilities-self": {"deny"}})
				return w.v.Login("nocaps", []string{"admin", "nocaps"}, nil, time.Hour)
			},
			wantEvent: heal.EventKept,
		},
		{
			name: "KEPT with revoke_login_token revokes the login token",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				w.revokeLogin = true
				return w.admin()
			},
			wantEvent: heal.EventKept,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if _, err := w.v.LookupSelf(context.Background(), incoming); !errors.Is(err, heal.ErrInvalidToken) {
					t.Errorf("login token lookup: got %v, want it revoked", err)
				}
			},
		},
		{
			name: "the stored token revoked behind our back: an admin login mints, and the dead one gets no grace",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				w.v.Revoke(w.stored())
				w.grace = time.Hour
				return w.admin()
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if st := w.state(); len(st.Pending) != 0 || !res.RevokeAfter.IsZero() {
					t.Errorf("pending %+v revoke after %s, want nothing pending for a dead token", st.Pending, res.RevokeAfter)
				}
			},
		},
		{
			name: "rotate_on_login mints on every admin login; grace 0 revokes the old one at once",
			setup: func(w *world) string {
				w.rotateOnLogin = true
				w.mustStore(w.admin())
				return w.admin()
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				w.onlyOurs(t, res.Accessor)
				if !w.logged(heal.EventRevoked) {
					t.Errorf("log %v has no %s", w.events(), heal.EventRevoked)
				}
			},
		},
		{
			name: "a config change of policies rotates; the old token lives through the grace, then the sweep revokes it",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				w.spec.Policies = []string{"admin", "dev"}
				w.grace = time.Hour
				return w.admin()
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if info, _ := w.v.Info(res.Accessor); !slices.Equal(info.Policies, []string{"admin", "default", "dev"}) {
					t.Errorf("new token policies %v, want [admin default dev]", info.Policies)
				}
				old := res.Replaced
				st := w.state()
				if old == "" || !w.live(old) || len(st.Pending) != 1 || !st.Pending[0].RevokeAfter.Equal(w.now.Add(time.Hour)) {
					t.Fatalf("replaced %q live %v pending %+v, want the old token live and pending until %s", old, w.live(old), st.Pending, w.now.Add(time.Hour))
				}
				if !w.logged(heal.EventRotating) {
					t.Errorf("log %v has no %s", w.events(), heal.EventRotating)
				}
				w.renew(heal.RenewOptions{})
				if !w.live(old) {
					t.Error("the sweep revoked the old token during its grace")
				}
				w.now = w.now.Add(time.Hour + time.Minute)
				rep := w.renew(heal.RenewOptions{})
				if w.live(old) || !slices.Contains(lineEvents(rep), heal.EventRevoked) || len(w.state().Pending) != 0 {
					t.Errorf("after the grace: live %v\n%s\nwant it revoked by the sweep", w.live(old), reportText(rep))
				}
			},
		},
		{
			name: "downgrade guard: no policies configured, a login holding only a sudo minter policy keeps the stored token",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				return w.v.Login("ci", []string{"sudominter"}, nil, time.Hour)
			},
			wantEvent: heal.EventKept,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if st := w.state(); !slices.Contains(st.Current.Policies, "admin") {
					t.Errorf("stored policies %v, want admin kept", st.Current.Policies)
				}
			},
		},
		{
			name: "downgrade guard with rotate_on_login: the new token gets the recorded policies, not the login's",
			setup: func(w *world) string {
				w.rotateOnLogin = true
				w.mustStore(w.admin())
				return w.v.Login("ci", []string{"sudominter"}, nil, time.Hour)
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if info, _ := w.v.Info(res.Accessor); !slices.Equal(info.Policies, []string{"admin", "default"}) {
					t.Errorf("minted policies %v, want the recorded [admin default]", info.Policies)
				}
			},
		},
		{
			name: "downgrade guard with rotate_on_login: a minter that cannot reproduce the recorded policies is refused",
			setup: func(w *world) string {
				w.rotateOnLogin = true
				w.mustStore(w.v.Login("wizard", []string{"admin", "dev"}, nil, time.Hour))
				w.v.SetPolicy("subminter", fakevault.Policy{"auth/token/create-orphan": {"update"}})
				return w.v.Login("ci", []string{"subminter", "dev"}, nil, time.Hour)
			},
			wantEvent: heal.EventRefused,
			wantErr:   heal.ErrWeakToken,
		},
		{
			name: "a login that may mint but not look itself up, with configured policies: mints",
			setup: func(w *world) string {
				w.spec.Policies = []string{"admin"}
				w.v.SetPolicy("nolookup", fakevault.Policy{"auth/token/lookup-self": {"deny"}})
				return w.v.Login("blind", []string{"admin", "nolookup"}, nil, time.Hour)
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if info, _ := w.v.Info(res.Accessor); !slices.Equal(info.Policies, []string{"admin", "default"}) {
					t.Errorf("minted policies %v, want [admin default]", info.Policies)
				}
			},
		},
		{
			name: "a login that may not look itself up, with no policies configured: not stored, denied (not invalid)",
			setup: func(w *world) string {
				w.v.SetPolicy("nolookup", fakevault.Policy{"auth/token/lookup-self": {"deny"}})
				return w.v.Login("blind", []string{"admin", "nolookup"}, nil, time.Hour)
			},
			wantErr: heal.ErrDenied,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if _, err := w.store(incoming); err == nil || errors.Is(err, heal.ErrInvalidToken) || !strings.Contains(err.Error(), "policies") {
					t.Errorf("got %v, want a denial naming the policies to configure", err)
				}
			},
		},
		{
			name: "a batch login while a periodic token is stored is refused, saying batch tokens cannot mint",
			setup: func(w *world) string {
				w.rotateOnLogin = true
				w.mustStore(w.admin())
				tok, _ := w.v.Token(fakevault.TokenSpec{DisplayName: "oidc-batch", Path: "auth/oidc/oidc/callback", Policies: []string{"admin"}, TTL: time.Hour, Batch: true})
				return tok
			},
			wantEvent: heal.EventRefused,
			wantErr:   heal.ErrWeakToken,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if _, err := w.store(incoming); err == nil || !strings.Contains(err.Error(), "batch token") {
					t.Errorf("got %v, want the refusal to name batch tokens", err)
				}
				if got := w.v.Calls(heal.OpCreateOrphan); got != 1 {
					t.Errorf("%d mints, want only the first (a batch token is never asked to mint)", got)
				}
			},
		},
		{
			name: "a weak login while a valid periodic token is stored is refused",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				return w.weak()
			},
			wantEvent: heal.EventRefused,
			wantErr:   heal.ErrWeakToken,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if st := w.state(); st.Current.Source != store.SourceMinted || st.Current.Accessor != res.Accessor {
					t.Errorf("stored %+v, want the periodic token kept", st.Current)
				}
				var re *heal.RefusedError
				if _, err := w.store(incoming); !errors.As(err, &re) || re.Login.DisplayName != "userpass-jane" {
					t.Errorf("again: got %v, want a RefusedError naming userpass-jane", err)
				}
			},
		},
		{
			name: "Vault denies the mint (403) of a login that looked able: passes through",
			setup: func(w *world) string {
				w.v.Fail(fakevault.Fault{Op: heal.OpCreateOrphan, Kind: fakevault.Denied})
				return w.admin()
			},
			wantEvent: heal.EventPassthrough,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if st := w.state(); len(st.Journal) != 0 {
					t.Errorf("journal %v, want the intent dropped", st.Journal)
				}
			},
		},
		{
			name:      "a weak login with nothing stored passes through",
			setup:     func(w *world) string { return w.weak() },
			wantEvent: heal.EventPassthrough,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if st := w.state(); st.Current.Source != store.SourcePassthrough || st.Current.Token != incoming {
					t.Errorf("stored %+v, want the login token as it is", st.Current)
				}
			},
		},
		{
			name: "a weak login after the periodic token was revoked passes through",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				w.v.Revoke(w.stored())
				return w.weak()
			},
			wantEvent: heal.EventPassthrough,
		},
		{
			name: "a login allowed to create orphans but not periodic ones (Vault's 400) cannot mint",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				return w.v.Login("ci", []string{"minter"}, nil, time.Hour)
			},
			wantEvent: heal.EventRefused,
			wantErr:   heal.ErrWeakToken,
		},
		{
			name: "configured policies the login does not hold: 400 subset, refused",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				w.spec.Policies = []string{"admin", "ops"}
				return w.v.Login("half", []string{"minter", "admin-lite"}, nil, time.Hour)
			},
			wantEvent: heal.EventRefused,
			wantErr:   heal.ErrWeakToken,
		},
		{
			name:      "a login with only default and no configured policies has nothing to mint: passes through",
			setup:     func(w *world) string { return w.v.Login("nobody", nil, nil, time.Hour) },
			wantEvent: heal.EventPassthrough,
		},
		{
			name:    "a root token with nothing configured is not stored",
			setup:   func(w *world) string { return w.v.Root() },
			wantErr: heal.ErrRootToken,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if w.stored() != "" {
					t.Error("something was stored")
				}
			},
		},
		{
			name: "a root token with configured policies mints",
			setup: func(w *world) string {
				w.spec.Policies = []string{"admin"}
				return w.v.Root()
			},
			wantEvent: heal.EventMinted,
		},
		{
			name: "the minted token fails the drift guard: revoked, nothing stored",
			setup: func(w *world) string {
				w.spec.DisplayName = "dev_vm" // Vault makes it token-dev-vm
				return w.admin()
			},
			wantErr: heal.ErrNotOurs,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if w.stored() != "" || len(w.state().Journal) != 0 {
					t.Errorf("stored %q journal %v, want nothing", w.stored(), w.state().Journal)
				}
				for _, acc := range w.v.Accessors() {
					if info, _ := w.v.Info(acc); info.DisplayName == "token-dev-vm" {
						t.Errorf("the drifted token %s is still live", acc)
					}
				}
			},
		},
		{
			name: "Vault unavailable on the login's lookup: nothing changes",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				tok := w.admin()
				w.v.Fail(fakevault.Fault{Op: heal.OpLookupSelf, Kind: fakevault.Unavailable})
				return tok
			},
			wantErr: heal.ErrUnavailable,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if w.v.Calls(heal.OpCreateOrphan) != 1 {
					t.Errorf("%d mints, want only the first", w.v.Calls(heal.OpCreateOrphan))
				}
			},
		},
		{
			name: "sealed Vault on the mint: the intent is dropped, nothing minted",
			setup: func(w *world) string {
				tok := w.admin()
				w.v.Fail(fakevault.Fault{Op: heal.OpCreateOrphan, Kind: fakevault.Sealed, Times: 1})
				return tok
			},
			wantErr: heal.ErrUnavailable,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if st := w.state(); len(st.Journal) != 0 || st.Current != nil {
					t.Errorf("journal %v current %+v, want neither", st.Journal, st.Current)
				}
			},
		},
		{
			name: "a weak login while the stored token cannot be checked fails",
			setup: func(w *world) string {
				w.mustStore(w.admin())
				tok := w.weak()
				// the login's lookup passes, the stored token's fails
				w.v.Fail(fakevault.Fault{Op: heal.OpLookupSelf, Kind: fakevault.Unavailable, Skip: 1})
				return tok
			},
			wantErr: heal.ErrUnavailable,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if st := w.state(); st.Current == nil || st.Current.Source != store.SourceMinted {
					t.Errorf("stored %+v, want the periodic token kept", st.Current)
				}
			},
		},
		{
			name: "the mint's answer is lost after Vault minted: the intent stays, the next store revokes the orphan",
			setup: func(w *world) string {
				tok := w.admin()
				w.v.Fail(fakevault.Fault{Op: heal.OpCreateOrphan, Kind: fakevault.OutcomeUnknown, Applied: true, Times: 1})
				return tok
			},
			wantErr: heal.ErrOutcomeUnknown,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				st := w.state()
				if len(st.Journal) != 1 || st.Journal[0].Step != store.StepMinting {
					t.Fatalf("journal %v, want one minting intent", st.Journal)
				}
				lost := w.ours()
				res2 := w.mustStore(incoming)
				if got := w.ours(); !slices.Equal(got, []string{res2.Accessor}) || slices.Contains(lost, res2.Accessor) {
					t.Errorf("live tokens of ours %v (lost %v), want only the new %s", got, lost, res2.Accessor)
				}
				if len(w.state().Journal) != 0 || !w.logged(heal.EventRecovered) {
					t.Errorf("journal %v, events %v: want settled and RECOVERED", w.state().Journal, w.events())
				}
			},
		},
		{
			name: "revoke_login_token revokes a login method's token",
			setup: func(w *world) string {
				w.revokeLogin = true
				return w.admin()
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if _, err := w.v.LookupSelf(context.Background(), incoming); !errors.Is(err, heal.ErrInvalidToken) {
					t.Errorf("login token lookup: got %v, want ErrInvalidToken", err)
				}
			},
		},
		{
			name: "revoke_login_token never revokes a token the token store made",
			setup: func(w *world) string {
				w.revokeLogin = true
				tok, _ := w.v.Token(fakevault.TokenSpec{DisplayName: "token-ci", Policies: []string{"admin"}, TTL: time.Hour})
				return tok
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if !w.live(w.accessorOf(incoming)) {
					t.Error("the CI token was revoked")
				}
			},
		},
		{
			name: "revoke_login_token failing is a warning",
			setup: func(w *world) string {
				w.revokeLogin = true
				w.v.Fail(fakevault.Fault{Op: heal.OpRevokeSelf, Kind: fakevault.Unavailable})
				return w.admin()
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if len(res.Warnings) != 1 {
					t.Errorf("warnings %q, want one about the login token", res.Warnings)
				}
			},
		},
		{
			name: "a stale token that cannot be revoked stays pending with a warning",
			setup: func(w *world) string {
				w.rotateOnLogin = true
				w.mustStore(w.admin())
				w.v.Fail(fakevault.Fault{Op: heal.OpRevokeAccessor, Kind: fakevault.Unavailable})
				return w.admin()
			},
			wantEvent: heal.EventMinted,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				st := w.state()
				if len(st.Pending) != 1 || st.Pending[0].Attempts != 1 || len(res.Warnings) == 0 {
					t.Errorf("pending %+v warnings %q, want one pending with one attempt, and a warning", st.Pending, res.Warnings)
				}
			},
		},
		{
			name: "the minted token cannot be looked up: revoked, nothing stored",
			setup: func(w *world) string {
				tok := w.admin()
				// the login's lookup passes, the minted token's fails
				w.v.Fail(fakevault.Fault{Op: heal.OpLookupSelf, Kind: fakevault.Unavailable, Skip: 1, Times: 1})
				return tok
			},
			wantErr: heal.ErrUnavailable,
			check: func(t *testing.T, w *world, incoming string, res heal.Result) {
				if w.stored() != "" || len(w.ours()) != 0 || len(w.state().Journal) != 0 {
					t.Errorf("stored %q, live of ours %v, journal %v: want nothing", w.stored(), w.ours(), w.state().Journal)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			incoming := tt.setup(w)
			res, err := w.store(incoming)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Store: got error %v, want %v", err, tt.wantErr)
			}
			if res.Event != tt.wantEvent {
				t.Errorf("event: got %q, want %q", res.Event, tt.wantEvent)
			}
			if tt.wantEvent != "" && !w.logged(tt.wantEvent) {
				t.Errorf("log events %v, want %s", w.events(), tt.wantEvent)
			}
			if tt.check != nil {
				tt.check(t, w, incoming, res)
			}
			if _, err := os.Stat(w.mirror); err == nil {
				t.Error("the mirror was written without a Mirror")
			}
		})
	}
}
