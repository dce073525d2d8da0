package heal_test

import (
	"testing"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
)

const (
	thisInstall  = "0123456789abcdef0123456789abcdef"
	otherInstall = "fedcba9876543210fedcba9876543210"
)

// TestInstallID: each installation (data directory) sends its id in every
// mint's metadata; adoption and --scan treat a token with another id as
// another installation's, even on the same host for the same user, and a
// token with this id as this one's, even after a host rename. Tokens
// minted before install ids keep the host and user rule.
func TestInstallID(t *testing.T) {
	t.Parallel()
	meta := func(kv ...string) map[string]string {
		m := map[string]string{"created_by": "vault-token-helper", "host": "devvm", "user": "wizard", "address": addr}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	ours := func(w *world, m map[string]string) (token, accessor string) {
		return w.v.Token(fakevault.TokenSpec{DisplayName: ourName, Policies: []string{"admin"}, Period: period, Meta: m})
	}

	t.Run("a mint carries the install id", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.installID = thisInstall
		acc := w.mustStore(w.admin()).Accessor
		if info, _ := w.v.Info(acc); info.Meta["install_id"] != thisInstall {
			t.Errorf("meta install_id: got %q, want %q", info.Meta["install_id"], thisInstall)
		}
	})

	adoption := []struct {
		name      string
		meta      map[string]string
		wantEvent string
	}{
		{"another installation's token, same host and user, is not adopted: its authority mints", meta("install_id", otherInstall), heal.EventMinted},
		{"this installation's token is adopted after a host rename", meta("install_id", thisInstall, "host", "renamed"), heal.EventAdopted},
		{"a token from before install ids, same host and user, is adopted", meta(), heal.EventAdopted},
		{"a token from before install ids, another host, is not adopted", meta("host", "laptop"), heal.EventMinted},
	}
	for _, tt := range adoption {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.installID = thisInstall
			tok, acc := ours(w, tt.meta)
			res := w.mustStore(tok)
			if res.Event != tt.wantEvent {
				t.Errorf("event: got %s, want %s", res.Event, tt.wantEvent)
			}
			if !w.live(acc) {
				t.Errorf("the token was revoked")
			}
		})
	}

	t.Run("--scan spares every token of another installation", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		w.installID = thisInstall
		cur := w.mustStore(w.admin()).Accessor
		_, other := ours(w, meta("install_id", otherInstall))
		_, mine := ours(w, meta("install_id", thisInstall, "host", "renamed"))
		_, oldSame := ours(w, meta())
		_, oldOtherHost := ours(w, meta("host", "laptop"))
		rep := w.renew(heal.RenewOptions{Scan: true})
		if !rep.Healthy {
			t.Errorf("report:\n%s\nwant healthy", reportText(rep))
		}
		for _, tc := range []struct {
			name, acc string
			live      bool
		}{
			{"current", cur, true},
			{"another installation's, same host and user", other, true},
			{"this installation's, unrecorded", mine, false},
			{"from before install ids, this host and user", oldSame, false},
			{"from before install ids, another host", oldOtherHost, true},
		} {
			if w.live(tc.acc) != tc.live {
				t.Errorf("%s token: live %v, want %v", tc.name, w.live(tc.acc), tc.live)
			}
		}
	})
}
