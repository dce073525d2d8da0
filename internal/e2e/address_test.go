package e2e

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// twoServers starts servers A and B, each with a raw file audit device,
// and a home whose VAULT_ADDR is A and whose CLI uses our helper.
func twoServers(t *testing.T) (a, b *vaulttest.Server, auditA, auditB *vaulttest.Audit, h *vaulttest.Home) {
	t.Helper()
	a, b = vaulttest.Start(t), vaulttest.Start(t)
	auditA, auditB = a.EnableRawAudit(t), b.EnableRawAudit(t)
	h = vaulttest.NewHome(t, a, bins.Helper)
	writeConfig(t, h, wizardConfig)
	return a, b, auditA, auditB, h
}

// With VAULT_ADDR=A and A's periodic token stored, `vault token lookup
// -address=B` gets no token from the helper: the CLI fails, and B never
// sees A's token. Every form of the flag, and flags after the subcommand.
func TestAddressFlagNeverSendsTokenElsewhere(t *testing.T) {
	t.Parallel()
	a, b, _, auditB, h := twoServers(t)
	mustExit(t, "login to A", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	if tokA == "" {
		t.Fatal("no token stored for A after the login")
	}
	accA := lookupJSON(t, h)["accessor"].(string)

	for _, args := range [][]string{
		{"token", "lookup", "-address=" + b.Addr},
		{"token", "lookup", "--address=" + b.Addr},
		{"token", "lookup", "-address", b.Addr},
		{"token", "lookup", "--address", b.Addr},
		{"token", "lookup", "-format=json", "-address", b.Addr},
		{"token", "lookup", "-non-interactive", "-address=" + b.Addr},
		{"token", "lookup", "-address=http://127.0.0.1:1", "-address=" + b.Addr},
	} {
		res := h.Vault(t, args...)
		if res.Code == 0 {
			t.Errorf("vault %s: got exit 0, want a failure (no token for B)\n%s", strings.Join(args, " "), res)
		}
		if strings.Contains(res.Stdout, accA) {
			t.Errorf("vault %s: printed A's accessor: A's token went to B", strings.Join(args, " "))
		}
	}
	// A request that did reach B proves its audit log works.
	if _, err := b.Root(t).Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	if !auditB.Contains(t, b.RootToken) {
		t.Fatalf("B's raw audit log does not show B's own root token: the check below would prove nothing")
	}
	if auditB.Contains(t, tokA) {
		t.Errorf("B's audit log holds A's periodic token")
	}
	if _, err := a.LookupToken(t, tokA); err != nil {
		t.Errorf("A's token stopped working: %v", err)
	}

	// After a positional argument, -address is not a flag (the CLI warns
	// and sends it as data): the CLI talks to VAULT_ADDR, and the helper
	// gives it A's token.
	res := h.Vault(t, "read", "-format=json", "auth/token/lookup-self", "-address="+b.Addr)
	if res.Code != 0 || !strings.Contains(res.Stdout, accA) {
		t.Errorf("vault read auth/token/lookup-self -address=B (not a flag there): want A's token at A\n%s", res)
	}
}

// `vault login -address=B` mints B's periodic token with B's login token,
// talking to B only; then -address=B gets B's token and no flag A's.
func TestLoginWithAddressFlagMintsForThatServer(t *testing.T) {
	t.Parallel()
	a, b, auditA, auditB, h := twoServers(t)
	mustExit(t, "login to A", h.LoginUserpass(t, "admin"), 0)
	accA := lookupJSON(t, h)["accessor"].(string)

	mustExit(t, "login to B with -address", h.LoginUserpass(t, "admin", "-address="+b.Addr), 0)
	onB := b.Tokens(t, wizard)
	if len(onB) != 1 {
		t.Fatalf("periodic tokens on B = %d, want 1", len(onB))
	}
	if n := len(a.Tokens(t, wizard)); n != 1 {
		t.Errorf("periodic tokens on A = %d, want 1 (the login to B must not mint on A)", n)
	}
	logins := b.Tokens(t, "userpass-admin")
	if len(logins) != 1 {
		t.Fatalf("userpass logins on B = %d, want 1", len(logins))
	}
	// The helper looked the login token up on B, and A never saw it.
	if !auditB.Contains(t, logins[0].Accessor) {
		t.Errorf("B's audit log does not show B's login token: the helper did not talk to B")
	}
	if auditA.Contains(t, logins[0].Accessor) || auditA.Contains(t, onB[0].Accessor) {
		t.Errorf("A's audit log shows a token of B")
	}

	if got := lookupJSON(t, h, "-address="+b.Addr)["accessor"]; got != onB[0].Accessor {
		t.Errorf("vault token lookup -address=B: accessor %v, want B's periodic %s", got, onB[0].Accessor)
	}
	if got := lookupJSON(t, h, "-address", b.Addr)["accessor"]; got != onB[0].Accessor {
		t.Errorf("vault token lookup -address B: accessor %v, want B's periodic %s", got, onB[0].Accessor)
	}
	if got := lookupJSON(t, h)["accessor"]; got != accA {
		t.Errorf("vault token lookup: accessor %v, want A's periodic %s", got, accA)
	}
	// VAULT_ADDR=B without a flag agrees: the flag and the variable name
	// one key.
	h.Setenv("VAULT_ADDR", b.Addr)
	if got := lookupJSON(t, h)["accessor"]; got != onB[0].Accessor {
		t.Errorf("VAULT_ADDR=B: accessor %v, want B's periodic %s", got, onB[0].Accessor)
	}
}

// -namespace and -ns choose the key too (namespaces themselves need Vault
// Enterprise or OpenBao: here nothing is stored for one).
func TestNamespaceFlagChoosesTheKey(t *testing.T) {
	t.Parallel()
	_, _, _, _, h := twoServers(t)
	mustExit(t, "login", h.LoginUserpass(t, "admin"), 0)
	for _, args := range [][]string{
		{"token", "lookup", "-namespace=team"},
		{"token", "lookup", "-ns", "team"},
		{"token", "lookup", "--namespace", "team"},
	} {
		if res := h.Vault(t, args...); res.Code == 0 {
			t.Errorf("vault %s: got exit 0, want a failure: no token is stored for namespace team\n%s", strings.Join(args, " "), res)
		}
	}
	// An empty -namespace is the root namespace, where the token is.
	lookupJSON(t, h, "-namespace=")
}

// When the CLI's command line cannot be read with certainty, the helper
// prints nothing and the CLI shows its one line. -dr-token is boolean in
// some Vault commands and takes a value in others: whether -address=B
// is a flag here depends on which.
func TestUncertainCommandLinePrintsNothing(t *testing.T) {
	t.Parallel()
	_, b, _, auditB, h := twoServers(t)
	mustExit(t, "login to A", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	res := h.Vault(t, "operator", "raft", "list-peers", "-dr-token", "-address="+b.Addr)
	if res.Code == 0 || !strings.Contains(res.Stderr, "cannot tell which server") || !strings.Contains(res.Stderr, "VAULT_ADDR") {
		t.Errorf("vault operator raft list-peers -dr-token -address=B: want a failure saying the helper cannot tell the server\n%s", res)
	}
	if auditB.Contains(t, tokA) {
		t.Errorf("B's audit log holds A's token")
	}
}

// A parent that is not the CLI: its arguments are not read, even when
// they look like an -address flag; VAULT_ADDR decides, as before.
func TestParentThatIsNotTheCLI(t *testing.T) {
	t.Parallel()
	_, b, _, _, h := twoServers(t)
	mustExit(t, "login to A", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	// sh keeps running (the script does not end with the helper), so it
	// is the helper's parent, with "-address=B" among its arguments.
	cmd := exec.Command("/bin/sh", "-c", `"$0" get; exit $?`, bins.Helper, "-address="+b.Addr)
	res := h.RunCmd(t, "", cmd)
	if res.Code != 0 || res.Stdout != tokA {
		t.Fatalf("get under sh: got exit %d, %d bytes; want A's token\n%s", res.Code, len(res.Stdout), res.Stderr)
	}
}

// Issue 20.2: the Vault CLI sends every request to -agent-address, else
// VAULT_AGENT_ADDR, whatever -address and VAULT_ADDR say: a stale
// VAULT_AGENT_ADDR naming B must not take A's token to B. The audit logs
// are the witness.
func TestAgentAddressNeverSendsTokenElsewhere(t *testing.T) {
	t.Parallel()
	a, b, _, auditB, h := twoServers(t)
	mustExit(t, "login to A", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	if tokA == "" {
		t.Fatal("no token stored for A after the login")
	}
	accA := lookupJSON(t, h)["accessor"].(string)

	for _, tt := range []struct {
		name  string
		agent string // VAULT_AGENT_ADDR; "" unset
		args  []string
	}{
		{"VAULT_AGENT_ADDR=B", b.Addr, nil},
		{"VAULT_AGENT_ADDR=B with -address=A", b.Addr, []string{"-address=" + a.Addr}},
		{"VAULT_AGENT_ADDR=B with an empty -agent-address", b.Addr, []string{"-agent-address="}},
		{"-agent-address=B", "", []string{"-agent-address=" + b.Addr}},
		{"--agent-address B", "", []string{"--agent-address", b.Addr}},
		{"-agent-address=B over VAULT_AGENT_ADDR=A", a.Addr, []string{"-agent-address=" + b.Addr}},
	} {
		h.Unsetenv("VAULT_AGENT_ADDR")
		if tt.agent != "" {
			h.Setenv("VAULT_AGENT_ADDR", tt.agent)
		}
		args := append([]string{"token", "lookup", "-format=json"}, tt.args...)
		res := h.Vault(t, args...)
		if res.Code == 0 {
			t.Errorf("%s: vault %s: got exit 0, want a failure (no token for B)\n%s", tt.name, strings.Join(args, " "), res)
		}
		if strings.Contains(res.Stdout, accA) {
			t.Errorf("%s: printed A's accessor: A's token went to B", tt.name)
		}
	}

	// A request that did reach B proves its audit log works.
	if _, err := b.Root(t).Auth().Token().LookupSelf(); err != nil {
		t.Fatal(err)
	}
	if !auditB.Contains(t, b.RootToken) {
		t.Fatalf("B's raw audit log does not show B's own root token: the check below would prove nothing")
	}
	if auditB.Contains(t, tokA) || auditB.Contains(t, accA) {
		t.Errorf("B's audit log holds A's periodic token (or its accessor)")
	}
	if _, err := a.LookupToken(t, tokA); err != nil {
		t.Errorf("A's token stopped working: %v", err)
	}

	// An agent address naming A takes the request to A, whatever
	// -address says: the helper gives A's token.
	h.Setenv("VAULT_AGENT_ADDR", a.Addr)
	if got := lookupJSON(t, h, "-address="+b.Addr)["accessor"]; got != accA {
		t.Errorf("VAULT_AGENT_ADDR=A -address=B: accessor %v, want A's %s", got, accA)
	}
}

// Issue 20.2, the other way: a login with VAULT_AGENT_ADDR=B goes to B,
// and so does everything the helper does with it (the lookup, the mint):
// the periodic token is B's, stored for B, and A never sees a token of B,
// nor B one of A.
func TestLoginThroughAgentAddressMintsThere(t *testing.T) {
	t.Parallel()
	a, b, auditA, auditB, h := twoServers(t)
	mustExit(t, "login to A", h.LoginUserpass(t, "admin"), 0)
	tokA := helperGet(t, h)
	accA := lookupJSON(t, h)["accessor"].(string)

	if !auditA.Contains(t, tokA) {
		t.Fatalf("A's raw audit log does not show A's token: the checks below would prove nothing")
	}

	h.Setenv("VAULT_AGENT_ADDR", b.Addr)
	res := h.LoginUserpass(t, "admin", "-format=json")
	var login struct {
		Auth struct {
			ClientToken string `json:"client_token"`
		} `json:"auth"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &login); err != nil || login.Auth.ClientToken == "" {
		t.Fatalf("login with VAULT_AGENT_ADDR=B: no login token in its output (%v)\n%s", err, res)
	}
	// The helper looked B's login token up where the CLI got it, never at A.
	if auditA.Contains(t, login.Auth.ClientToken) {
		t.Errorf("A's audit log holds B's login token: the helper took it to A")
	}
	mustExit(t, "login with VAULT_AGENT_ADDR=B", res, 0)
	onB := b.Tokens(t, wizard)
	if len(onB) != 1 {
		t.Fatalf("periodic tokens on B = %d, want 1", len(onB))
	}
	if n := len(a.Tokens(t, wizard)); n != 1 {
		t.Errorf("periodic tokens on A = %d, want 1 (the login at B must not mint on A)", n)
	}
	logins := b.Tokens(t, "userpass-admin")
	if len(logins) != 1 {
		t.Fatalf("userpass logins on B = %d, want 1", len(logins))
	}
	if !auditB.Contains(t, logins[0].Accessor) {
		t.Errorf("B's audit log does not show B's login token: the helper did not talk to B")
	}
	if got := lookupJSON(t, h)["accessor"]; got != onB[0].Accessor {
		t.Errorf("VAULT_AGENT_ADDR=B: accessor %v, want B's periodic %s", got, onB[0].Accessor)
	}
	tokB := helperGet(t, h)
	h.Unsetenv("VAULT_AGENT_ADDR")
	if got := lookupJSON(t, h)["accessor"]; got != accA {
		t.Errorf("without VAULT_AGENT_ADDR: accessor %v, want A's periodic %s", got, accA)
	}
	// -agent-address=B agrees with the variable: one key.
	if got := lookupJSON(t, h, "-agent-address="+b.Addr)["accessor"]; got != onB[0].Accessor {
		t.Errorf("-agent-address=B: accessor %v, want B's periodic %s", got, onB[0].Accessor)
	}

	if tokB == "" || tokB == tokA {
		t.Fatalf("get with VAULT_AGENT_ADDR=B: got %d bytes, want B's token", len(tokB))
	}
	if auditA.Contains(t, tokB) || auditA.Contains(t, onB[0].Accessor) || auditA.Contains(t, logins[0].Accessor) {
		t.Errorf("A's audit log shows a token of B")
	}
	if auditB.Contains(t, tokA) || auditB.Contains(t, accA) {
		t.Errorf("B's audit log shows A's token")
	}
}

// Issue 20.7: a key names the host the client dials. Go's HTTP client
// (the CLI's and the helper's) dials a non-ASCII host in its IDNA form:
// VAULT_ADDR written with fullwidth digits reaches 127.0.0.1, so its token
// is the token of 127.0.0.1, whichever way the address is written.
func TestNonASCIIHostKeysAsTheClientDialsIt(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	fullwidth := strings.NewReplacer("127.0.0.1", "１２７.０.０.１").Replace(s.Addr)
	if fullwidth == s.Addr {
		t.Fatalf("server address %s is not on 127.0.0.1", s.Addr)
	}
	h.Setenv("VAULT_ADDR", fullwidth)
	mustExit(t, "admin login at the fullwidth spelling", h.LoginUserpass(t, "admin"), 0)
	onS := s.Tokens(t, wizard)
	if len(onS) != 1 {
		t.Fatalf("periodic tokens on the server = %d, want 1: the CLI did not reach it", len(onS))
	}
	if got := lookupJSON(t, h)["accessor"]; got != onS[0].Accessor {
		t.Errorf("fullwidth VAULT_ADDR: accessor %v, want the periodic %s", got, onS[0].Accessor)
	}
	h.Setenv("VAULT_ADDR", s.Addr)
	if got := lookupJSON(t, h)["accessor"]; got != onS[0].Accessor {
		t.Errorf("VAULT_ADDR=%s after a login at its fullwidth spelling: accessor %v, want the periodic %s (one host, one key)", s.Addr, got, onS[0].Accessor)
	}
}
