package e2e

import (
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
