package heal_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
)

// TestEraseWhileVaultIsDown: an erase whose revocation Vault did not
// answer keeps it pending with the token itself (nothing else stored may
// revoke it), and the next renew, with nothing stored, revokes it
// (issue 21, friction 8).
func TestEraseWhileVaultIsDown(t *testing.T) {
	t.Parallel()
	for _, next := range []string{"renew", "admin login"} {
		t.Run(next, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			acc := w.mustStore(w.admin()).Accessor
			w.v.Fail(fakevault.Fault{Op: heal.OpRevokeSelf, Kind: fakevault.Unavailable, Times: 1})
			res, err := w.healer().Erase(context.Background())
			if err != nil || !strings.Contains(strings.Join(res.Warnings, "\n"), "its revocation is pending: the next vault-token-renew or `vault login` retries it") {
				t.Fatalf("Erase: got %+v, %v; want a warning that the revocation is pending", res, err)
			}
			st := w.state()
			if st.Current != nil || len(st.Pending) != 1 || st.Pending[0].Accessor != acc || st.Pending[0].Token == "" {
				t.Fatalf("after erase: got current %v pending %+v, want nothing stored and %s pending with its token", st.Current, st.Pending, acc)
			}
			if !w.live(acc) {
				t.Fatal("the erased token is revoked already; the fault did not apply")
			}
			switch next {
			case "renew":
				rep := w.renew(heal.RenewOptions{})
				if !strings.Contains(reportText(rep), "REVOKED") {
					t.Errorf("renew: got\n%s\nwant the erased token REVOKED", reportText(rep))
				}
			default:
				w.mustStore(w.admin())
			}
			if w.live(acc) {
				t.Errorf("after the %s the erased token %s is still live", next, acc)
			}
			for _, p := range w.state().Pending {
				if p.Accessor == acc {
					t.Errorf("after the %s %s is still pending", next, acc)
				}
			}
		})
	}
}
