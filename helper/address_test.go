package helper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// get prints the token of the server the caller talks to, whatever the
// environment says; when that cannot be told, nothing.
func TestGetFollowsTheCaller(t *testing.T) {
	t.Parallel()
	const a, b = "http://a:8200", "http://b:8200"
	data := filepath.Join(t.TempDir(), "vault-token-helper")
	for addr, tok := range map[string]string{a: "token-of-a", b: "token-of-b"} {
		key, err := store.NewKey(addr, "")
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.New(data).Lock(context.Background(), key, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Save(store.State{Current: &store.Token{Token: tok, Accessor: "acc-" + tok}}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	vault := func(args ...string) func(string) caller.Caller {
		return func(string) caller.Caller { return caller.Caller{CLI: caller.Vault, PID: 2, Args: args} }
	}
	tests := []struct {
		name   string
		caller func(string) caller.Caller
		env    map[string]string
		want   string
		code   int
	}{
		{"vault -address=b", vault("token", "lookup", "-address="+b), map[string]string{"VAULT_ADDR": a}, "token-of-b", ExitOK},
		{"vault without a flag", vault("token", "lookup"), map[string]string{"VAULT_ADDR": a}, "token-of-a", ExitOK},
		{"vault, stray BAO_ADDR", vault("token", "lookup"), map[string]string{"VAULT_ADDR": a, "BAO_ADDR": b}, "token-of-a", ExitOK},
		{"vault, uncertain", vault("token", "lookup", "-frob", "-address="+b), map[string]string{"VAULT_ADDR": a}, "", ExitFail},
		{"unknown caller, BAO_ADDR alone", nil, map[string]string{"BAO_ADDR": b}, "token-of-b", ExitOK},
		{"unknown caller, both differ", nil, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": b}, "", ExitFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			identify := tt.caller
			if identify == nil {
				identify = func(string) caller.Caller { return caller.Caller{} }
			}
			env := Env{
				Getenv:    func(k string) string { return tt.env[k] },
				LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
				Caller:    identify,
				Paths:     Paths{Data: data},
			}
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), []string{"get"}, nil, &stdout, &stderr, env)
			if code != tt.code || stdout.String() != tt.want {
				t.Fatalf("get: got exit %d, stdout %q; want %d, %q (stderr %q)", code, stdout.String(), tt.code, tt.want, stderr.String())
			}
			if code != ExitOK && (strings.Count(stderr.String(), "\n") != 1 || strings.Contains(stderr.String(), "token-of")) {
				t.Errorf("stderr %q: want one line naming no token", stderr.String())
			}
		})
	}
}

// store refuses, with nothing changed, when the server cannot be told.
func TestStoreRefusesAnUncertainServer(t *testing.T) {
	t.Parallel()
	env := Env{
		Getenv: func(k string) string { return map[string]string{"VAULT_ADDR": "http://a:8200"}[k] },
		Caller: func(string) caller.Caller {
			return caller.Caller{CLI: caller.Vault, PID: 2, Args: []string{"login", "-frob", "-address=http://b:8200"}}
		},
		Paths: Paths{Data: filepath.Join(t.TempDir(), "data"), Config: filepath.Join(t.TempDir(), "none.hcl")},
	}
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"store"}, strings.NewReader("s.login-token"), nil, &stderr, env)
	if code != ExitFail || !strings.Contains(stderr.String(), "nothing changed") || !strings.Contains(stderr.String(), "cannot tell which server") {
		t.Fatalf("store: got exit %d, stderr %q; want 1, nothing changed, cannot tell which server", code, stderr.String())
	}
}

// store under `vault server -dev` is handed the dev server's root token:
// it contacts no server (VAULT_ADDR names another one) and keeps nothing,
// and it succeeds, or dev mode would fail to start (security review).
func TestStoreUnderDevServerContactsNoServer(t *testing.T) {
	t.Parallel()
	for _, cli := range []caller.CLI{caller.Vault, caller.Bao} {
		t.Run(cli.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := Env{
				Getenv: func(k string) string {
					return map[string]string{"VAULT_ADDR": "https://prod:8200", "BAO_ADDR": "https://prod:8200"}[k]
				},
				Caller: func(string) caller.Caller {
					return caller.Caller{CLI: cli, PID: 2, Args: []string{"server", "-dev"}}
				},
				NewVault: func(addr, ns string, _ heal.ClientOptions) (heal.Vault, error) {
					t.Errorf("store contacted %s", addr)
					return nil, errors.New("no server may be contacted")
				},
				Paths: Paths{Data: filepath.Join(dir, "data"), State: filepath.Join(dir, "state"), LogFile: filepath.Join(dir, "state", "log"), Config: filepath.Join(dir, "none.hcl")},
			}
			var stderr bytes.Buffer
			code := Run(context.Background(), []string{"store"}, strings.NewReader("s.dev-root-token"), nil, &stderr, env)
			if code != ExitOK {
				t.Fatalf("store: got exit %d, want 0 (stderr %q)", code, stderr.String())
			}
			if strings.Contains(stderr.String(), "s.dev-root-token") {
				t.Errorf("stderr %q names the token", stderr.String())
			}
			states, errs := store.New(env.Paths.Data).List()
			if len(states) != 0 || len(errs) != 0 {
				t.Errorf("store: got %d stored addresses (%v), want none", len(states), errs)
			}
		})
	}
}

// With only VAULT_AGENT_ADDR set, the CLI talks to the agent: status
// marks that address as the selected one, and doctor's address check
// names the variable it followed instead of saying VAULT_ADDR is unset.
func TestStatusAndDoctorFollowAgentAddr(t *testing.T) {
	t.Parallel()
	env, _ := storedEnv(t)
	inner := env.Getenv
	env.Getenv = func(k string) string {
		switch k {
		case "VAULT_ADDR":
			return ""
		case "VAULT_AGENT_ADDR":
			return "http://127.0.0.1:8200"
		}
		return inner(k)
	}
	env.LookupEnv = func(k string) (string, bool) { v := env.Getenv(k); return v, v != "" }
	rep, _ := statusJSON(t, env)
	if len(rep.Addresses) != 1 || !rep.Addresses[0].Selected {
		t.Errorf("status: got addresses %+v, want the one stored address selected", rep.Addresses)
	}
	r := runHelper(env, "", "doctor", "--json")
	var doc DoctorReport
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("doctor --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	for _, c := range doc.Checks {
		if c.Name == CheckVaultAddr && (!c.OK || !strings.HasPrefix(c.Detail, "VAULT_AGENT_ADDR=http://127.0.0.1:8200 has a stored token")) {
			t.Errorf("doctor %s: got %+v, want it passed naming VAULT_AGENT_ADDR", CheckVaultAddr, c)
		}
		if c.Name == CheckReachable && (!c.OK || strings.HasPrefix(c.Detail, "not checked")) {
			t.Errorf("doctor %s: got %+v, want the agent's address checked", CheckReachable, c)
		}
	}
}
