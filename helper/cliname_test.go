package helper

import (
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
)

// The refusal of a weak login tells the user what to run with the name of
// the CLI that ran the helper (heal.Healer.CLI, set from the caller).
func TestRefusalNamesTheCallingCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cli       caller.CLI
		want, not string
	}{
		{caller.Bao, "`bao login -no-store` and pass it as BAO_TOKEN", "vault login"},
		{caller.Vault, "`vault login -no-store` and pass it as VAULT_TOKEN", "bao login"},
		{caller.Unknown, "`vault login -no-store` and pass it as VAULT_TOKEN", "bao login"},
	}
	for _, tt := range tests {
		t.Run(tt.cli.String(), func(t *testing.T) {
			t.Parallel()
			v := fakevault.New("http://127.0.0.1:8200")
			env := testEnv(t, v)
			env.Caller = func(string) caller.Caller {
				if tt.cli == caller.Unknown {
					return caller.Caller{}
				}
				return caller.Caller{CLI: tt.cli, PID: 2, Args: []string{"login", "-method=userpass", "username=jane"}}
			}
			if r := runHelper(env, v.Login("wizard", []string{"admin"}, nil, time.Hour), "store"); r.code != ExitOK {
				t.Fatalf("admin store: got %+v, want exit 0", r)
			}
			r := runHelper(env, v.Login("jane", []string{"default"}, nil, time.Hour), "store")
			if r.code == ExitOK || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, tt.not) {
				t.Errorf("weak store under %s: got exit %d, stderr %q; want a refusal saying %q, not %q", tt.cli, r.code, r.stderr, tt.want, tt.not)
			}
		})
	}
}
