package heal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// What to run next names the CLI that ran the helper: a bao user is told
// `bao login ...` and BAO_TOKEN, a vault user (or an unknown caller)
// `vault login ...` and VAULT_TOKEN, and never the other: in a refused
// store, a rotate with nothing stored, and renew's report.
func TestMessagesNameTheCallingCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cli       string
		want, not []string
	}{
		{"", []string{"`vault login -no-store`", "VAULT_TOKEN", "vault login -method=oidc"}, []string{"bao"}},
		{"vault", []string{"`vault login -no-store`", "VAULT_TOKEN", "vault login -method=oidc"}, []string{"bao"}},
		{"bao", []string{"`bao login -no-store`", "BAO_TOKEN", "bao login -method=oidc"}, []string{"vault login", "VAULT_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run("cli="+tt.cli, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.mustStore(w.admin())
			h := w.healer()
			h.CLI = tt.cli
			_, refusal := h.Store(t.Context(), w.weak())
			var re *heal.RefusedError
			if !errors.As(refusal, &re) {
				t.Fatalf("store of a weak login: got %v, want a RefusedError", refusal)
			}

			// Nothing to rotate: a fresh store.
			w2 := newWorld(t)
			h2 := w2.healer()
			h2.CLI = tt.cli
			_, rot := h2.Rotate(t.Context())
			if !errors.Is(rot, heal.ErrNothingToRotate) {
				t.Fatalf("rotate with nothing stored: got %v, want ErrNothingToRotate", rot)
			}
			// renew of a revoked periodic token says how to mint a new one.
			w3 := newWorld(t)
			w3.mustStore(w3.admin())
			w3.v.Revoke(w3.stored())
			h3 := w3.healer()
			h3.CLI = tt.cli
			rep, err := h3.Renew(t.Context(), heal.RenewOptions{})
			if err != nil {
				t.Fatalf("renew of a revoked token: %v", err)
			}
			var lines []string
			for _, l := range rep.Lines {
				lines = append(lines, l.String())
			}
			text := refusal.Error() + "\n" + rot.Error() + "\n" + strings.Join(lines, "\n")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("messages do not name %q:\n%s", w, text)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("messages name %q under cli %q:\n%s", n, tt.cli, text)
				}
			}
		})
	}
}
