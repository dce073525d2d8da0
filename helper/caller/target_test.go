package caller

import (
	"errors"
	"strings"
	"testing"
)

func testEnv(vars map[string]string) Env {
	norm := func(s string) string { return strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), "/") }
	return Env{
		Lookup:   func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		SameAddr: func(a, b string) bool { return norm(a) == norm(b) },
		SameNS:   func(a, b string) bool { return strings.Trim(a, "/") == strings.Trim(b, "/") },
	}
}

// The precedence table of docs/design.md, row by row.
func TestTarget(t *testing.T) {
	t.Parallel()
	const a, b, c = "http://a:8200", "http://b:8200", "http://agent:8100"
	vault := Caller{CLI: Vault, Args: []string{"token", "lookup"}}
	bao := Caller{CLI: Bao, Args: []string{"token", "lookup"}}
	unknown := Caller{}
	withArgs := func(c Caller, args ...string) Caller {
		c.Args = append(append([]string{}, c.Args...), args...)
		return c
	}
	tests := []struct {
		name     string
		caller   Caller
		env      map[string]string
		addr, ns string
		err      error
	}{
		{"vault: VAULT_ADDR", vault, map[string]string{"VAULT_ADDR": a}, a, "", nil},
		// vault server -dev hands the root token of the server it starts:
		// the dev listener, never VAULT_ADDR (security review).
		{"vault server -dev: the default listener, not VAULT_ADDR", Caller{CLI: Vault, Args: []string{"server", "-dev"}}, map[string]string{"VAULT_ADDR": a, "VAULT_NAMESPACE": "x"}, "http://127.0.0.1:8200", "", nil},
		{"vault server -dev: -dev-listen-address", Caller{CLI: Vault, Args: []string{"server", "-dev", "-dev-listen-address=127.0.0.1:8300"}}, map[string]string{"VAULT_ADDR": a}, "http://127.0.0.1:8300", "", nil},
		{"vault server -dev: VAULT_DEV_LISTEN_ADDRESS", Caller{CLI: Vault, Args: []string{"server", "-dev"}}, map[string]string{"VAULT_ADDR": a, "VAULT_DEV_LISTEN_ADDRESS": "127.0.0.1:8400"}, "http://127.0.0.1:8400", "", nil},
		{"vault server -dev-tls: https", Caller{CLI: Vault, Args: []string{"server", "-dev-tls"}}, map[string]string{"VAULT_ADDR": a}, "https://127.0.0.1:8200", "", nil},
		{"bao server -dev: BAO_DEV_LISTEN_ADDRESS first", Caller{CLI: Bao, Args: []string{"server", "-dev"}}, map[string]string{"BAO_ADDR": b, "BAO_DEV_LISTEN_ADDRESS": "127.0.0.1:8500", "VAULT_DEV_LISTEN_ADDRESS": "127.0.0.1:8400"}, "http://127.0.0.1:8500", "", nil},
		{"vault: a stray BAO_ADDR changes nothing", vault, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": b}, a, "", nil},
		{"vault: BAO_ADDR alone is not read", vault, map[string]string{"BAO_ADDR": b}, "", "", nil},
		{"vault: BAO_NAMESPACE is not read", vault, map[string]string{"VAULT_ADDR": a, "BAO_NAMESPACE": "x"}, a, "", nil},
		{"vault: -address wins over VAULT_ADDR", withArgs(vault, "-address="+b), map[string]string{"VAULT_ADDR": a}, b, "", nil},
		{"vault: empty -address is VAULT_ADDR", withArgs(vault, "-address="), map[string]string{"VAULT_ADDR": a}, a, "", nil},
		{"vault: -ns wins over VAULT_NAMESPACE", withArgs(vault, "-ns=team"), map[string]string{"VAULT_NAMESPACE": "other"}, "", "team", nil},
		{"vault: empty -namespace is the root", withArgs(vault, "-namespace="), map[string]string{"VAULT_NAMESPACE": "other"}, "", "", nil},
		{"vault: VAULT_NAMESPACE", vault, map[string]string{"VAULT_NAMESPACE": "team"}, "", "team", nil},
		{"vault: uncertain flags", withArgs(vault, "-frob", "-address="+b), map[string]string{"VAULT_ADDR": a}, "", "", ErrUncertain},
		{"vault: completing ignores the flags", withArgs(vault, "-address="+b), map[string]string{"VAULT_ADDR": a, "COMP_LINE": "vault token lookup -address=" + b}, a, "", nil},

		// The agent address is where the CLI sends the request (issue 20).
		{"vault: VAULT_AGENT_ADDR wins over VAULT_ADDR", vault, map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": c}, c, "", nil},
		{"vault: VAULT_AGENT_ADDR wins over -address", withArgs(vault, "-address="+b), map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": c}, c, "", nil},
		{"vault: -agent-address wins over VAULT_AGENT_ADDR", withArgs(vault, "-agent-address="+b), map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": c}, b, "", nil},
		{"vault: -agent-address wins over VAULT_ADDR", withArgs(vault, "-agent-address", b), map[string]string{"VAULT_ADDR": a}, b, "", nil},
		{"vault: empty -agent-address is VAULT_AGENT_ADDR", withArgs(vault, "-agent-address="), map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": c}, c, "", nil},
		{"vault: empty VAULT_AGENT_ADDR is unset", vault, map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": ""}, a, "", nil},
		{"vault: blank VAULT_AGENT_ADDR is unset", vault, map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": "  "}, a, "", nil},
		{"vault: VAULT_AGENT_ADDR keeps VAULT_NAMESPACE", vault, map[string]string{"VAULT_AGENT_ADDR": c, "VAULT_NAMESPACE": "team"}, c, "team", nil},
		{"vault: BAO_AGENT_ADDR is not read", vault, map[string]string{"VAULT_ADDR": a, "BAO_AGENT_ADDR": c}, a, "", nil},
		{"vault server -dev: not VAULT_AGENT_ADDR", Caller{CLI: Vault, Args: []string{"server", "-dev"}}, map[string]string{"VAULT_AGENT_ADDR": c}, "http://127.0.0.1:8200", "", nil},
		{"vault: completing ignores -agent-address", withArgs(vault, "-agent-address="+b), map[string]string{"VAULT_ADDR": a, "COMP_LINE": "vault token lookup -agent-address=" + b}, a, "", nil},
		{"vault: uncertain -agent-address", withArgs(vault, "-frob", "-agent-address="+b), map[string]string{"VAULT_ADDR": a}, "", "", ErrUncertain},
		{"bao: BAO_AGENT_ADDR first", bao, map[string]string{"BAO_ADDR": a, "VAULT_AGENT_ADDR": b, "BAO_AGENT_ADDR": c}, c, "", nil},
		{"bao: VAULT_AGENT_ADDR when BAO_AGENT_ADDR is unset", bao, map[string]string{"BAO_ADDR": a, "VAULT_AGENT_ADDR": c}, c, "", nil},
		{"bao: a set but empty BAO_AGENT_ADDR is no agent", bao, map[string]string{"BAO_ADDR": a, "VAULT_AGENT_ADDR": c, "BAO_AGENT_ADDR": ""}, a, "", nil},
		{"bao: -agent-address wins", withArgs(bao, "-agent-address="+b), map[string]string{"BAO_AGENT_ADDR": c}, b, "", nil},
		{"unknown: VAULT_AGENT_ADDR wins over VAULT_ADDR", unknown, map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": c}, c, "", nil},
		{"unknown: BAO_AGENT_ADDR alone", unknown, map[string]string{"VAULT_ADDR": a, "BAO_AGENT_ADDR": c}, c, "", nil},
		{"unknown: agent addresses disagree", unknown, map[string]string{"VAULT_AGENT_ADDR": b, "BAO_AGENT_ADDR": c}, "", "", ErrConflict},
		{"unknown: -agent-address in the arguments is not read", Caller{Args: []string{"token", "lookup", "-agent-address=" + b}}, map[string]string{"VAULT_ADDR": a}, a, "", nil},

		{"bao: BAO_ADDR first", bao, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": b}, b, "", nil},
		{"bao: a set but empty BAO_ADDR still wins", bao, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": ""}, "", "", nil},
		{"bao: VAULT_ADDR when BAO_ADDR is unset", bao, map[string]string{"VAULT_ADDR": a}, a, "", nil},
		{"bao: BAO_NAMESPACE first", bao, map[string]string{"VAULT_NAMESPACE": "v", "BAO_NAMESPACE": "b"}, "", "b", nil},
		{"bao: VAULT_NAMESPACE when BAO_NAMESPACE is unset", bao, map[string]string{"VAULT_NAMESPACE": "v"}, "", "v", nil},
		{"bao: -address wins over BAO_ADDR", withArgs(bao, "--address", a), map[string]string{"BAO_ADDR": b}, a, "", nil},

		{"unknown: VAULT_ADDR alone", unknown, map[string]string{"VAULT_ADDR": a}, a, "", nil},
		{"unknown: BAO_ADDR alone selects the address", unknown, map[string]string{"BAO_ADDR": b}, b, "", nil},
		{"unknown: BAO_ADDR counts where VAULT_ADDR is empty", unknown, map[string]string{"VAULT_ADDR": "", "BAO_ADDR": b}, b, "", nil},
		{"unknown: both, the same server", unknown, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": strings.ToUpper(a) + "/"}, a, "", nil},
		{"unknown: both, different servers", unknown, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": b}, "", "", ErrConflict},
		{"unknown: set but empty BAO_ADDR against VAULT_ADDR", unknown, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": ""}, "", "", ErrConflict},
		{"unknown: both namespaces, different", unknown, map[string]string{"VAULT_NAMESPACE": "x", "BAO_NAMESPACE": "y"}, "", "", ErrConflict},
		{"unknown: both namespaces, the same", unknown, map[string]string{"VAULT_NAMESPACE": "x/", "BAO_NAMESPACE": "x"}, "", "x/", nil},
		{"unknown: BAO_NAMESPACE alone", unknown, map[string]string{"BAO_NAMESPACE": "y"}, "", "y", nil},
		{"unknown: nothing set", unknown, map[string]string{}, "", "", nil},
		{"unknown: arguments are not read", Caller{Args: []string{"-address=" + b}}, map[string]string{"VAULT_ADDR": a}, a, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, ns, err := Target(tt.caller, testEnv(tt.env))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("got %q, %q, %v; want %v", addr, ns, err, tt.err)
				}
				return
			}
			if err != nil || addr != tt.addr || ns != tt.ns {
				t.Fatalf("got %q, %q, %v; want %q, %q", addr, ns, err, tt.addr, tt.ns)
			}
		})
	}
}

// The conflict message names both variables and what to do.
func TestTargetConflictMessage(t *testing.T) {
	t.Parallel()
	_, _, err := Target(Caller{}, testEnv(map[string]string{"VAULT_ADDR": "http://a:8200", "BAO_ADDR": "http://b:8200"}))
	for _, want := range []string{`VAULT_ADDR="http://a:8200"`, `BAO_ADDR="http://b:8200"`, "unset one"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
