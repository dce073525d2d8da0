// Package cluster holds the end-to-end tests against Vault as it runs in
// production: three `vault server` processes with integrated storage
// (raft), one active and two standbys, behind a round-robin load
// balancer. The cluster is started once for the package (about 30s) and
// shared; the tests run one at a time, each with its own HOME and its
// own display name, and a test that kills nodes brings them back
// (Cluster.Heal) before the next one starts.
package cluster

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// bins are the commands under test, built once for the whole run.
var bins vaulttest.Binaries

// bg owns the shared cluster: it outlives every test.
var bg *vaulttest.Background

var (
	sharedOnce sync.Once
	shared     *vaulttest.Cluster
	sharedErr  error
)

func TestMain(m *testing.M) {
	flag.Parse()
	if _, run := vaulttest.Gate("the cluster tests", vaulttest.BinPath, os.Exit); !run {
		return
	}
	dir, err := os.MkdirTemp("", "vth-cluster-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err = vaulttest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	bg, err = vaulttest.NewBackground()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	bg.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// theCluster returns the shared 3-node cluster, started on first use,
// with every node running and ready. When the test fails, the tails of
// the nodes' logs are printed.
func theCluster(t *testing.T) *vaulttest.Cluster {
	t.Helper()
	sharedOnce.Do(func() {
		sharedErr = bg.Do(func(bt vaulttest.T) { shared = vaulttest.StartCluster(bt, 3) })
	})
	if sharedErr != nil {
		t.Fatalf("start the shared cluster: %v", sharedErr)
	}
	shared.Heal(t)
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range shared.Nodes {
				t.Logf("%s (%s, running %v) log (tail):\n%s", nd.ID, nd.Addr, nd.Running(), tail(nd.Log(), 30))
			}
		}
	})
	return shared
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// config is a configuration whose periodic token has its own display
// name, so that each test counts its own tokens on the shared cluster.
func config(displayName string) string {
	return fmt.Sprintf(`periodic_token {
  display_name    = %q
  policies        = ["vault-admin", "sops-admin"]
  period          = "768h"
  required_policy = "vault-admin"
}
`, displayName)
}

// user is one person of a test: a home whose CLI uses our helper and
// whose VAULT_ADDR is addr, with a display name of its own.
type user struct {
	c    *vaulttest.Cluster
	h    *vaulttest.Home
	addr string
	name string // as Vault shows it: token-<display name>
}

func newUser(t *testing.T, c *vaulttest.Cluster, addr, displayName string) *user {
	t.Helper()
	h := vaulttest.NewHome(t, c.Server(), bins.Helper)
	h.Setenv("VAULT_ADDR", addr)
	p := filepath.Join(h.ConfigHome, "vault-token-helper", "config.hcl")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(config(displayName)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &user{c: c, h: h, addr: addr, name: "token-" + displayName}
}

// get runs `vault-token-helper get` as the CLI does.
func (u *user) get(t *testing.T) string {
	t.Helper()
	res := u.h.Run(t, "", bins.Helper, "get")
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("vault-token-helper get: %s", res)
	}
	return res.Stdout
}

// live lists the accessors of the user's live periodic tokens, as root
// through the load balancer.
func (u *user) live(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, tok := range u.c.Server().Tokens(t, u.name) {
		out = append(out, tok.Accessor)
	}
	return out
}

// state is the part of the state file these tests look at.
type state struct {
	Current *struct {
		Accessor string `json:"accessor"`
	} `json:"current"`
	Pending []struct {
		Accessor string `json:"accessor"`
	} `json:"pending_revocations"`
	Journal []struct {
		ID   string `json:"id"`
		Step string `json:"step"`
	} `json:"journal"`
}

func (u *user) state(t *testing.T) state {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(u.h.DataHome, "vault-token-helper", "tokens", "*", "state.json"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("state files = %v (%v), want exactly one", matches, err)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("decode the state file: %v", err)
	}
	return st
}

// settled checks the end state: exactly one live periodic token, the
// stored one, which works, and nothing in the journal or pending.
func (u *user) settled(t *testing.T) {
	t.Helper()
	live := u.live(t)
	if len(live) != 1 {
		t.Fatalf("live %s tokens = %v, want exactly one", u.name, live)
	}
	info, err := u.c.Server().LookupToken(t, u.get(t))
	if err != nil || info.Accessor != live[0] {
		t.Errorf("the stored token is not the one live periodic token %s (%v)", live[0], err)
	}
	st := u.state(t)
	if len(st.Journal) != 0 || len(st.Pending) != 0 {
		t.Errorf("state journal = %+v, pending = %+v; want both empty", st.Journal, st.Pending)
	}
}

func mustExit(t *testing.T, what string, res vaulttest.Result, want int) {
	t.Helper()
	if res.Code != want {
		t.Fatalf("%s: got exit %d, want %d\n%s", what, res.Code, want, res)
	}
}

// nonEmptyLines are the non-empty lines of stdout and stderr.
func nonEmptyLines(res vaulttest.Result) []string {
	var out []string
	for _, l := range strings.Split(res.Stdout+"\n"+res.Stderr, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
