package bao

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Real namespaces (OpenBao's open-source server has them): a login with
// -namespace or BAO_NAMESPACE mints the periodic token in that namespace
// and keeps it apart from the root namespace's and another's; commands
// get the token of the namespace they name; keep, refuse, status, renew,
// rotate with its sweep, and erase each work on one namespace; and the
// audit log shows that no token was ever sent to another namespace than
// its own.
func TestBaoNamespaces(t *testing.T) {
	t.Parallel()
	team, other := unique("team"), unique("other")
	srv.CreateNamespace(t, team)
	srv.CreateNamespace(t, other)
	u := newUser(t, `rotate_grace = "1s"`)
	h := u.h

	// Three logins, three namespaces, three periodic tokens.
	mustExit(t, "bao login -namespace=team", h.BaoLoginUserpass(t, "admin", "-namespace="+team), 0)
	accTeam := u.only(t, srv, team)
	if live := u.live(t, srv, ""); len(live) != 0 {
		t.Fatalf("a login in namespace %s minted in the root namespace: %v", team, live)
	}
	h.Setenv("BAO_NAMESPACE", other)
	mustExit(t, "BAO_NAMESPACE=other bao login", h.BaoLoginUserpass(t, "admin"), 0)
	h.Unsetenv("BAO_NAMESPACE")
	accOther := u.only(t, srv, other)
	mustExit(t, "bao login (root namespace)", h.BaoLoginUserpass(t, "admin"), 0)
	accRoot := u.only(t, srv, "")
	if got := u.only(t, srv, team); got != accTeam {
		t.Fatalf("the root namespace's login changed team's token: %s, want %s", got, accTeam)
	}

	// tokens maps each raw token to the namespace it belongs to, for the
	// audit log at the end.
	tokens := map[string]string{}
	record := func(ns string) {
		t.Helper()
		if ns != "" {
			h.Setenv("BAO_NAMESPACE", ns)
			defer h.Unsetenv("BAO_NAMESPACE")
		}
		tok := get(t, h)
		if tok == "" {
			t.Fatalf("get in namespace %q: no token", ns)
		}
		if ns != "" {
			ns += "/"
		}
		tokens[tok] = ns
	}
	record("")
	record(team)
	record(other)

	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		wantAc string
		wantNS string
	}{
		{"no namespace", nil, nil, accRoot, ""},
		{"-namespace", nil, []string{"-namespace=" + team}, accTeam, team + "/"},
		{"-ns", nil, []string{"-ns=" + other}, accOther, other + "/"},
		{"-ns wins over -namespace", nil, []string{"-namespace=" + team, "-ns=" + other}, accOther, other + "/"},
		{"BAO_NAMESPACE", map[string]string{"BAO_NAMESPACE": team}, nil, accTeam, team + "/"},
		{"VAULT_NAMESPACE alone", map[string]string{"VAULT_NAMESPACE": other}, nil, accOther, other + "/"},
		{"BAO_NAMESPACE over VAULT_NAMESPACE", map[string]string{"BAO_NAMESPACE": team, "VAULT_NAMESPACE": other}, nil, accTeam, team + "/"},
		{"-namespace over BAO_NAMESPACE", map[string]string{"BAO_NAMESPACE": team}, []string{"-namespace=" + other}, accOther, other + "/"},
		{"empty BAO_NAMESPACE over VAULT_NAMESPACE", map[string]string{"BAO_NAMESPACE": "", "VAULT_NAMESPACE": team}, nil, accRoot, ""},
	}
	for _, tt := range tests {
		for k, v := range tt.env {
			h.Setenv(k, v)
		}
		acc, ns := lookup(t, h, tt.args...)
		if acc != tt.wantAc || ns != tt.wantNS {
			t.Errorf("%s: bao token lookup got accessor %s in %q, want %s in %q", tt.name, acc, ns, tt.wantAc, tt.wantNS)
		}
		for k := range tt.env {
			h.Unsetenv(k)
		}
	}

	// Keep and refuse, in a namespace.
	res := h.BaoLoginUserpass(t, "admin", "-namespace="+team)
	mustExit(t, "second bao login -namespace=team", res, 0)
	if !logHas(t, h, "KEPT", accTeam) || u.only(t, srv, team) != accTeam {
		t.Errorf("a second admin login in %s did not keep %s:\n%s", team, accTeam, res)
	}
	res = h.BaoLoginUserpass(t, "weak", "-namespace="+team)
	mustExit(t, "bao login -namespace=team as weak", res, 2)
	if !strings.Contains(res.Stderr, accTeam) || !strings.Contains(res.Stderr, "bao login -no-store") {
		t.Errorf("the refusal in %s does not name the kept %s and `bao login -no-store`:\n%s", team, accTeam, res.Stderr)
	}

	// status: one entry per namespace, each valid and ours.
	res = helper(t, h, bins.Helper, "status", "--json")
	var st struct {
		Addresses []struct {
			Namespace string `json:"namespace"`
			Accessor  string `json:"accessor"`
			Valid     bool   `json:"valid"`
			Ours      bool   `json:"ours"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, res)
	}
	want := map[string]string{"": accRoot, team: accTeam, other: accOther}
	got := map[string]string{}
	for _, a := range st.Addresses {
		if !a.Valid || !a.Ours {
			t.Errorf("status: namespace %q (accessor %s) valid=%v ours=%v, want both", a.Namespace, a.Accessor, a.Valid, a.Ours)
		}
		got[strings.TrimSuffix(a.Namespace, "/")] = a.Accessor
	}
	if len(got) != len(want) || got[""] != accRoot || got[team] != accTeam || got[other] != accOther {
		t.Errorf("status: accessors by namespace %v, want %v", got, want)
	}

	// renew: each namespace's token renewed in its namespace.
	res = helper(t, h, bins.Renew)
	if n := strings.Count(res.Stdout, "OK renewed"); n != 3 {
		t.Errorf("vault-token-renew: %d OK renewed lines, want 3 (one per namespace)\n%s", n, res)
	}

	// rotate in other, then the sweep after its 1s grace revokes the old
	// token there and touches nothing in team or the root namespace.
	h.Setenv("BAO_NAMESPACE", other)
	mustExit(t, "BAO_NAMESPACE=other rotate", helper(t, h, bins.Helper, "rotate"), 0)
	h.Unsetenv("BAO_NAMESPACE")
	record(other)
	deadline := time.Now().Add(60 * time.Second)
	for {
		helper(t, h, bins.Renew)
		live := u.live(t, srv, other)
		if len(live) == 1 && live[0] != accOther {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sweep did not revoke the old token %s of %s within a minute: live %v", accOther, other, live)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if u.only(t, srv, team) != accTeam || u.only(t, srv, "") != accRoot {
		t.Errorf("the rotation and sweep in %s touched another namespace's token", other)
	}

	// erase in team: team's token revoked, the others stay.
	h.Setenv("BAO_NAMESPACE", team)
	res = helper(t, h, bins.Helper, "erase")
	mustExit(t, "BAO_NAMESPACE=team erase", res, 0)
	if tok := get(t, h); tok != "" {
		t.Errorf("get in %s after its erase printed a token", team)
	}
	h.Unsetenv("BAO_NAMESPACE")
	if live := u.live(t, srv, team); len(live) != 0 {
		t.Errorf("after the erase in %s its periodic tokens are %v, want none", team, live)
	}
	if acc, _ := lookup(t, h); acc != accRoot {
		t.Errorf("after the erase in %s the root namespace's token is %s, want %s", team, acc, accRoot)
	}
	if acc, _ := lookup(t, h, "-namespace="+other); acc == "" || acc == accOther {
		t.Errorf("after the erase in %s the token of %s is %q, want its rotated one", team, other, acc)
	}

	// The witness: every request that carried one of these tokens was
	// sent to the token's own namespace.
	assertOwnNamespace(t, audit, tokens)
}

// assertOwnNamespace checks the audit log: every request carrying one of
// tokens (token -> namespace path) went to that namespace, and each token
// was seen at least once (the check is not empty).
func assertOwnNamespace(t *testing.T, a *vaulttest.Audit, tokens map[string]string) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range a.Requests(t) {
		ns, ok := tokens[r.ClientToken]
		if !ok {
			continue
		}
		seen[r.ClientToken]++
		if r.Namespace != ns {
			t.Errorf("a token of namespace %q was sent to namespace %q (%s)", ns, r.Namespace, r.Path)
		}
	}
	for tok, ns := range tokens {
		if seen[tok] == 0 {
			t.Errorf("the audit log shows no request with the token of namespace %q: the witness saw nothing", ns)
		}
	}
}
