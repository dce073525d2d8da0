package heal_test

import (
	"slices"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// Admin rights through an identity group only (the usual OIDC setup):
// with no policies configured, the login mints with its identity
// policies, and the stored token records both kinds.
func TestStoreMintsWithIdentityPolicies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	login := w.v.Login("grace", []string{"default"}, []string{"admin"}, 168*time.Hour)
	res := w.mustStore(login)
	if res.Event != heal.EventMinted {
		t.Fatalf("store of a login whose admin rights come from a group: got %s, want %s", res.Event, heal.EventMinted)
	}
	cur := w.state().Current
	info, ok := w.v.Info(cur.Accessor)
	if !ok || !slices.Contains(info.Policies, "admin") || cur.RequiredPolicy != "admin" {
		t.Errorf("minted token: policies %v (live %v), required %q; want admin, admin", info.Policies, ok, cur.RequiredPolicy)
	}
	if got := w.renew(heal.RenewOptions{}); !got.Healthy {
		t.Errorf("renew of the minted token: %+v, want healthy", got.Lines)
	}
}

// The TLS settings the healer reaches Vault with are recorded with every
// token it stores, minted or passed through.
func TestStoreRecordsTLS(t *testing.T) {
	t.Parallel()
	tls := &store.TLS{CACert: "/etc/vault/ca.pem", TLSServerName: "vault.internal"}
	for _, tt := range []struct {
		name  string
		login func(w *world) string
		tls   *store.TLS
		want  string
	}{
		{"minted", (*world).admin, tls, heal.EventMinted},
		{"passed through", (*world).weak, tls, heal.EventPassthrough},
		{"none", (*world).admin, nil, heal.EventMinted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			h := w.healer()
			h.TLS = tt.tls
			res, err := h.Store(t.Context(), tt.login(w))
			if err != nil || res.Event != tt.want {
				t.Fatalf("Store: %s, %v; want %s", res.Event, err, tt.want)
			}
			got := w.state().Current.TLS
			if (got == nil) != (tt.tls == nil) || (got != nil && *got != *tt.tls) {
				t.Errorf("recorded TLS settings %+v, want %+v", got, tt.tls)
			}
		})
	}
}

// Stale reads: the lookup of a just-minted token that a standby does not
// know yet (403) is retried briefly; a token that stays unknown fails
// the mint, which is undone.
func TestStoreRetriesStaleLookupOfFreshToken(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		stale int // lookups of the fresh token answered "invalid token"
		ok    bool
	}{
		{"two stale reads", 2, true},
		{"never known", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			// The login token's own lookup is the first; the fresh
			// token's come after the mint.
			w.v.Fail(fakevault.Fault{Op: heal.OpLookupSelf, Kind: fakevault.InvalidToken, Skip: 1, Times: tt.stale})
			res, err := w.store(w.admin())
			if (err == nil) != tt.ok {
				t.Fatalf("Store: %s, %v; want success %v", res.Event, err, tt.ok)
			}
			if tt.ok {
				w.onlyOurs(t, w.state().Current.Accessor)
				if n := w.v.Calls(heal.OpLookupSelf); n != 1+tt.stale+1 {
					t.Errorf("lookup-self calls %d, want %d", n, 1+tt.stale+1)
				}
				return
			}
			if got := w.ours(); len(got) != 0 {
				t.Errorf("live tokens of ours after the failed check %v, want none (the mint undone)", got)
			}
			if n := w.v.Calls(heal.OpLookupSelf); n < 4 {
				t.Errorf("lookup-self calls %d, want the fresh token looked up several times", n)
			}
		})
	}
}
