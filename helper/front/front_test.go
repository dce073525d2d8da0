package front

import (
	"bytes"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// lookup is os.LookupEnv over a map.
func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// TestKeyFor: the key is the address the CLI really sends the request to
// (issue 20): the agent address when there is one, with the address
// comparison of the store for VAULT_ADDR against BAO_ADDR.
func TestKeyFor(t *testing.T) {
	t.Parallel()
	const a, b = "http://127.0.0.1:8200", "http://127.0.0.2:8200"
	vault := func(args ...string) caller.Caller {
		return caller.Caller{CLI: caller.Vault, Args: append([]string{"token", "lookup"}, args...)}
	}
	tests := []struct {
		name   string
		caller caller.Caller
		env    map[string]string
		want   store.Key
		err    error
	}{
		{"VAULT_ADDR", vault(), map[string]string{"VAULT_ADDR": a}, store.Key{Addr: a}, nil},
		{"VAULT_AGENT_ADDR is where the request goes", vault(), map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": b}, store.Key{Addr: b}, nil},
		{"-agent-address is where the request goes", vault("-agent-address=" + b), map[string]string{"VAULT_ADDR": a}, store.Key{Addr: b}, nil},
		{"-agent-address over -address", vault("-address="+a, "-agent-address", b+"/"), nil, store.Key{Addr: b}, nil},
		{"the agent address of an unknown caller", caller.Caller{}, map[string]string{"VAULT_ADDR": a, "VAULT_AGENT_ADDR": b}, store.Key{Addr: b}, nil},
		{"localhost and 127.0.0.1 agree", caller.Caller{}, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": "http://localhost:8200"}, store.Key{Addr: a}, nil},
		{"127.0.0.1 and 127.0.0.2 disagree", caller.Caller{}, map[string]string{"VAULT_ADDR": a, "BAO_ADDR": b}, store.Key{}, caller.ErrConflict},
		{"a non-ASCII host keys as the client dials it", vault(), map[string]string{"VAULT_AGENT_ADDR": "http://İ.example:8100"}, store.Key{Addr: "http://xn--i-9bb.example:8100"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := KeyFor(tt.caller, lookup(tt.env), store.Namer())
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("KeyFor: got %v, %v; want %v, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestGetEmptyStore(t *testing.T) {
	var stdout, stderr bytes.Buffer
	key, err := KeyFor(caller.Caller{}, lookup(map[string]string{"VAULT_ADDR": "http://127.0.0.1:8200"}), store.Namer())
	code := Get(&stdout, &stderr, key, err, filepath.Join(t.TempDir(), "vault-token-helper"), store.Namer(), nil)
	if code != 0 || stdout.Len() != 0 || stderr.Len() != 0 {
		t.Fatalf("Get on an empty store: exit %d, stdout %q, stderr %q; want 0 and nothing", code, stdout.String(), stderr.String())
	}
}

func TestGetBadAddress(t *testing.T) {
	var stdout, stderr bytes.Buffer
	key, err := KeyFor(caller.Caller{}, lookup(map[string]string{"VAULT_ADDR": "vault.example.com:8200"}), store.Namer())
	code := Get(&stdout, &stderr, key, err, t.TempDir(), store.Namer(), nil)
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "no scheme") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("Get with a bad VAULT_ADDR: exit %d, stdout %q, stderr %q; want 1 and one line", code, stdout.String(), stderr.String())
	}
}

// A refused token file: one line, and no double quote for the Vault CLI
// to escape when it shows the output inside its own quotes.
func TestGetRefusedFileOneLineNoQuotes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "vault-token-helper")
	if err := os.MkdirAll(data, 0o755); err != nil { // loose: refused
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	key, err := KeyFor(caller.Caller{}, lookup(map[string]string{"VAULT_ADDR": "http://127.0.0.1:8200"}), store.Namer())
	code := Get(&stdout, &stderr, key, err, data, store.Namer(), nil)
	out := stderr.String()
	if code != 1 || stdout.Len() != 0 || strings.Count(out, "\n") != 1 || strings.Contains(out, `"`) {
		t.Fatalf("Get with a loose data directory: exit %d, stdout %q, stderr %q; want 1 and one line without double quotes", code, stdout.String(), out)
	}
}

func TestMainRunsFullForOtherVerbs(t *testing.T) {
	// With no full binary next to the test executable, every verb but get
	// fails with one line that says how to fix it.
	if _, err := os.Stat(filepath.Join(filepath.Dir(os.Args[0]), FullName)); err == nil {
		t.Skip("a vault-token-helper-full sits next to the test binary")
	}
	var stdout, stderr bytes.Buffer
	code := Main([]string{"status"}, &stdout, &stderr, lookup(map[string]string{"HOME": t.TempDir()}))
	if code != 1 || !strings.Contains(stderr.String(), FullName) || !strings.Contains(stderr.String(), "install.sh") {
		t.Fatalf("Main(status) without the full binary: exit %d, stderr %q", code, stderr.String())
	}
}

// get is the front's to answer unless its key needs IDNA or SHA-256,
// which the front does not link: then the full binary answers it.
func TestMainLeavesKeysItCannotNameToFull(t *testing.T) {
	if _, err := os.Stat(filepath.Join(filepath.Dir(os.Args[0]), FullName)); err == nil {
		t.Skip("a vault-token-helper-full sits next to the test binary")
	}
	tests := []struct {
		name, addr, ns string
		full           bool
	}{
		{"an ASCII host", "http://127.0.0.1:8200", "", false},
		{"a host that is not ASCII", "http://１２７.０.０.１:8200", "", true},
		{"a host escaped to one that is not ASCII", "https://%C3%BC.example", "", true},
		{"a key too long for a directory name", "https://vault.example", strings.Repeat("team/", 50), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := map[string]string{"HOME": t.TempDir(), "VAULT_ADDR": tt.addr, "VAULT_NAMESPACE": tt.ns}
			code := Main([]string{"get"}, &stdout, &stderr, lookup(env))
			ranFull := strings.Contains(stderr.String(), FullName)
			if ranFull != tt.full || stdout.Len() != 0 {
				t.Fatalf("Main(get) for %q, %q: exit %d, stdout %q, stderr %q; want the full binary run: %v", tt.addr, tt.ns, code, stdout.String(), stderr.String(), tt.full)
			}
			if !tt.full && code != 0 {
				t.Errorf("Main(get) with nothing stored: exit %d, stderr %q; want 0", code, stderr.String())
			}
		})
	}
}

func TestEnsureHome(t *testing.T) {
	var set []string
	setenv := func(k, v string) error { set = append(set, k+"="+v); return nil }
	if err := EnsureHome(lookup(map[string]string{"HOME": "/home/x"}), setenv); err != nil || len(set) != 0 {
		t.Fatalf("with HOME set: got %v, set %q; want nothing done", err, set)
	}
	u, err := user.Current()
	if err != nil || u.HomeDir == "" {
		t.Skipf("no password database entry for this user (%v)", err)
	}
	for _, env := range []map[string]string{{}, {"HOME": ""}, {"BAO_ADDR": "x", "VAULT_ADDR": "x"}} {
		set = nil
		if err := EnsureHome(lookup(env), setenv); err != nil || len(set) != 1 || set[0] != "HOME="+u.HomeDir {
			t.Errorf("env %q: got %v, set %q; want HOME=%s from the password database", env, err, set, u.HomeDir)
		}
	}
}
