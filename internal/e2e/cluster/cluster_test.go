package cluster

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/helper"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// noQuorumCause is what a command says when no node is active.
var noQuorumCause = regexp.MustCompile(`lookup-self: (connection refused \(at http://127\.0\.0\.1:\d+, where http://127\.0\.0\.1:\d+ redirected\)|HTTP 50[03] .*(active|not found)).* \(\d+ attempts in `)

// slack is how many times its documented bound a failing command may
// take here: the machine is shared, never assert a tight wall time.
const slack = 3

// Every command works with VAULT_ADDR naming a standby node (which
// forwards to the active one) and naming the load balancer.
func TestStandbyAndLoadBalancer(t *testing.T) {
	c := theCluster(t)
	for _, tt := range []struct {
		name string
		addr string
	}{
		{"standby", c.Standby(t).Addr},
		{"load balancer", c.LB.Addr},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := newUser(t, c, tt.addr, "cl-"+strings.ReplaceAll(tt.name, " ", "-"))
			mustExit(t, "admin login", u.h.LoginUserpass(t, "admin"), 0)
			tok := u.get(t)
			info, err := c.Server().LookupToken(t, tok)
			if err != nil {
				t.Fatalf("the stored token does not work: %v", err)
			}
			if info.DisplayName != u.name || info.Period != 768*time.Hour {
				t.Errorf("stored token: display name %q, period %s; want %q, 768h", info.DisplayName, info.Period, u.name)
			}
			mustExit(t, "vault token lookup (get through the CLI)", u.h.Vault(t, "token", "lookup"), 0)
			res := u.h.Run(t, "", bins.Renew)
			mustExit(t, "renew", res, 0)
			if !strings.Contains(res.Stdout, "OK renewed") {
				t.Errorf("renew: got %q, want an OK renewed line", res.Stdout)
			}
			mustExit(t, "status", u.h.Run(t, "", bins.Helper, "status"), 0)
			u.settled(t)
			mustExit(t, "erase", u.h.Run(t, "", bins.Helper, "erase"), 0)
			if got := u.get(t); got != "" {
				t.Errorf("after erase get printed %d bytes, want nothing", len(got))
			}
			if live := u.live(t); len(live) != 0 {
				t.Errorf("after erase live periodic tokens = %v, want none", live)
			}
		})
	}
}

// The active node dies; the renew run that starts right after waits out
// the election and renews: exit 0, one live periodic token.
func TestKillActiveThenRenew(t *testing.T) {
	c := theCluster(t)
	u := newUser(t, c, c.LB.Addr, "cl-failover")
	mustExit(t, "admin login", u.h.LoginUserpass(t, "admin"), 0)
	tok := u.get(t)

	old := c.Active(t)
	c.Kill(t, old)
	res := u.h.Run(t, "", bins.Renew)
	mustExit(t, "renew right after the active node died", res, 0)
	if !strings.Contains(res.Stdout, "OK renewed") {
		t.Errorf("renew: got %q, want an OK renewed line", res.Stdout)
	}
	if now := c.Active(t); now == old {
		t.Errorf("the killed node %s is active again", old.ID)
	}
	if got := u.get(t); got != tok {
		t.Errorf("renew changed the stored token")
	}
	u.settled(t)
}

// The active node dies while a store waits for its mint's answer (Vault
// minted; the answer never comes): the store fails with the intent
// journaled, and the next login, once a new leader is elected, revokes
// the orphan by its intent id and mints one: exactly one live periodic
// token and an empty journal.
func TestKillActiveDuringMint(t *testing.T) {
	c := theCluster(t)
	p := vaulttest.StartProxy(t, c.Server())
	u := newUser(t, c, p.Addr, "cl-mint-failover")
	// Long enough that the store still waits for the held answer while
	// the test lists the live tokens, which takes seconds on a busy
	// machine (with 5s, the store gave up first and the test never saw
	// the minted token).
	u.h.Setenv("VAULT_CLIENT_TIMEOUT", "30s")
	p.Set(vaulttest.Rule{Fault: vaulttest.Hang, Path: "/v1/auth/token/create-orphan", Forward: true})

	type outcome struct {
		res vaulttest.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		res, err := u.h.Exec(ctx, "", vaulttest.Bin(t), "login", "-method=userpass", "username=admin", "password="+vaulttest.Password)
		done <- outcome{res, err}
	}()
	// Vault minted: the token is there, the answer is held.
	vaulttest.Eventually(t, "the held mint reaches Vault", func() bool { return len(u.live(t)) > 0 })
	c.Kill(t, c.Active(t))
	o := <-done
	if o.err != nil {
		t.Fatalf("vault login: %v\n%s", o.err, o.res)
	}
	// The CLI says the token was not persisted when its helper fails.
	mustExit(t, "login whose mint answer never came", o.res, 2)
	if st := u.state(t); len(st.Journal) != 1 {
		t.Errorf("after the failed store the journal = %+v, want the one intent", st.Journal)
	}

	// The next run, once a new leader is elected (the CLI's own login
	// does not wait for one).
	p.Set()
	c.Active(t)
	mustExit(t, "the next admin login", u.h.LoginUserpass(t, "admin"), 0)
	u.settled(t)
}

// Two of three nodes down: no quorum, no leader. store and renew fail
// within their bounds with one line naming the address and the cause,
// and the stored token does not change; once the nodes are back, renew
// succeeds.
func TestNoQuorum(t *testing.T) {
	c := theCluster(t)
	u := newUser(t, c, c.LB.Addr, "cl-no-quorum")
	u.h.Setenv("VAULT_CLIENT_TIMEOUT", "5s")
	mustExit(t, "admin login", u.h.LoginUserpass(t, "admin"), 0)
	tok := u.get(t)
	acc := u.state(t).Current.Accessor
	login := c.Server().Login(t, "admin")

	active := c.Active(t)
	down := []*vaulttest.Node{active}
	for _, nd := range c.Nodes {
		if nd != active {
			down = append(down, nd)
			break
		}
	}
	for _, nd := range down {
		c.Kill(t, nd)
	}

	for _, cmd := range []struct {
		name  string
		bin   string
		args  []string
		stdin string
		bound time.Duration
	}{
		{"store", bins.Helper, []string{"store"}, login, helper.DefaultOperationBound},
		{"renew", bins.Renew, nil, "", helper.DefaultRenewBound},
	} {
		start := time.Now()
		res := u.h.Run(t, cmd.stdin, cmd.bin, cmd.args...)
		took := time.Since(start)
		t.Logf("%s without quorum, after %s: %s", cmd.name, took.Round(time.Second), strings.TrimSpace(res.Stdout+res.Stderr))
		if res.Code != 1 {
			t.Errorf("%s without quorum: got exit %d, want 1\n%s", cmd.name, res.Code, res)
		}
		if took > slack*cmd.bound {
			t.Errorf("%s took %s, want it to end within its bound %s (x%d)", cmd.name, took.Round(time.Second), cmd.bound, slack)
		}
		// The cause depends on the moment: the standby left redirects to
		// the dead leader, or answers that it knows no active node.
		// renew's notice of what it waits for (stderr, for a person
		// watching) is progress, not a problem line.
		lines := slices.DeleteFunc(nonEmptyLines(res), func(l string) bool {
			return strings.HasPrefix(l, "vault-token-renew: ") && strings.Contains(l, ": waiting for Vault to answer ")
		})
		if len(lines) != 1 || !strings.Contains(lines[0], u.addr) || !noQuorumCause.MatchString(lines[0]) {
			t.Errorf("%s: got %q, want one line naming %s and the cause, after retries", cmd.name, lines, u.addr)
		}
		if strings.Contains(res.Stdout+res.Stderr, tok) || strings.Contains(res.Stdout+res.Stderr, login) {
			t.Errorf("%s printed a token", cmd.name)
		}
		if got := u.get(t); got != tok {
			t.Errorf("after %s the stored token changed", cmd.name)
		}
		if st := u.state(t); st.Current == nil || st.Current.Accessor != acc || len(st.Journal) != 0 {
			t.Errorf("after %s the state changed: %+v", cmd.name, st)
		}
	}

	c.RestartAll(t, down...)
	res := u.h.Run(t, "", bins.Renew)
	mustExit(t, "renew once the nodes are back", res, 0)
	u.settled(t)
	if live := u.live(t); len(live) != 1 || live[0] != acc {
		t.Errorf("live periodic tokens = %v, want only the stored %s", live, acc)
	}
}
