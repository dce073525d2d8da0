package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// The fault tests put vaulttest.Proxy between the commands and a real dev
// Vault and break the network or Vault's answers in one way at a time.
//
// The bounds the tests hold the commands to:
//   - each Vault request: VAULT_CLIENT_TIMEOUT, else heal.DefaultTimeout (10s);
//   - an idempotent call: retried within its budget, RetryPolicy.CallBound
//     (budget + timeout): heal.InteractiveRetry (10s) in store, erase and
//     status, heal.UnattendedRetry (60s) in renew; create-orphan: 1
//     attempt, never retried;
//   - a whole store, erase, adopt or rotate: 2 x
//     heal.InteractiveRetry.CallBound(timeout) (40s by default); renew of
//     one address: 2 x heal.UnattendedRetry.CallBound(timeout) (140s);
//     status: helper.StatusTimeout (10s) per address.
//
// The commands here run with VAULT_CLIENT_TIMEOUT=faultTimeout so that a
// hang costs seconds; TestFaultDefaultTimeoutBoundsHang runs without it.
// A test asserts that a command ended within faultSlack times its
// documented bound, never a tight wall time: the machine is shared.
const (
	faultTimeout = 2 * time.Second
	faultSlack   = 3
)

const (
	createOrphanPath = "/v1/auth/token/create-orphan"
	lookupSelfPath   = "/v1/auth/token/lookup-self"
)

// faultEnv is one user whose VAULT_ADDR is a fault proxy in front of a
// dev Vault, with a periodic token minted through the proxy.
type faultEnv struct {
	s     *vaulttest.Server
	p     *vaulttest.Proxy
	h     *vaulttest.Home
	name  string // the periodic token's display name, as Vault shows it
	token string // the stored periodic token
	acc   string // its accessor
}

// newFaultWorld starts a dev Vault, a proxy in front of it and one user
// with the wizard's configuration.
func newFaultWorld(t *testing.T) *faultEnv {
	t.Helper()
	s := vaulttest.Start(t)
	return newFaultEnv(t, s, vaulttest.StartProxy(t, s), "devvm-wizard")
}

// newFaultEnv makes a user of s through p whose periodic token has its
// own display name, so that several users can share a server and still
// count their own tokens.
func newFaultEnv(t *testing.T, s *vaulttest.Server, p *vaulttest.Proxy, displayName string) *faultEnv {
	t.Helper()
	h := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, h, strings.Replace(rotatingConfig, `"devvm-wizard"`, strconv.Quote(displayName), 1))
	h.Setenv("VAULT_ADDR", p.Addr)
	h.Setenv("VAULT_CLIENT_TIMEOUT", faultTimeout.String())
	mustExit(t, "admin login through the proxy", h.LoginUserpass(t, "admin"), 0)
	e := &faultEnv{s: s, p: p, h: h, name: "token-" + displayName, token: helperGet(t, h)}
	info, err := s.LookupToken(t, e.token)
	if err != nil {
		t.Fatalf("the minted token does not work: %v", err)
	}
	e.acc = info.Accessor
	return e
}

// live lists the accessors of this user's live periodic tokens, as root
// on the real server.
func (e *faultEnv) live(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, tok := range e.s.Tokens(t, e.name) {
		out = append(out, tok.Accessor)
	}
	return out
}

// noNewToken fails when a periodic token other than the original is live.
func (e *faultEnv) noNewToken(t *testing.T, after string) {
	t.Helper()
	for _, acc := range e.live(t) {
		if acc != e.acc {
			t.Errorf("after %s a new periodic token %s is live (leaked)", after, acc)
		}
	}
}

// settled checks the end state once the fault is gone: exactly one live
// periodic token, the stored one, and nothing left in the journal or
// pending revocation.
func (e *faultEnv) settled(t *testing.T) {
	t.Helper()
	live := e.s.Tokens(t, e.name)
	if len(live) != 1 {
		t.Fatalf("live %s tokens = %d, want 1: %+v", e.name, len(live), live)
	}
	info, err := e.s.LookupToken(t, helperGet(t, e.h))
	if err != nil || info.Accessor != live[0].Accessor {
		t.Errorf("the stored token is not the one live periodic token %s (%v)", live[0].Accessor, err)
	}
	st := readFaultState(t, e.h)
	if len(st.Journal) != 0 || len(st.Pending) != 0 {
		t.Errorf("state journal = %+v, pending = %+v; want both empty", st.Journal, st.Pending)
	}
}

// faultState is the part of the state file these tests look at.
type faultState struct {
	Current *struct {
		Accessor string `json:"accessor"`
		Source   string `json:"source"`
	} `json:"current"`
	Pending []struct {
		Accessor    string    `json:"accessor"`
		RevokeAfter time.Time `json:"revoke_after"`
	} `json:"pending_revocations"`
	Journal []struct {
		ID       string `json:"id"`
		Step     string `json:"step"`
		Accessor string `json:"accessor"`
	} `json:"journal"`
}

func readFaultState(t *testing.T, h *vaulttest.Home) faultState {
	t.Helper()
	b, err := os.ReadFile(statePath(t, h))
	if err != nil {
		t.Fatal(err)
	}
	var st faultState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("decode the state file: %v", err)
	}
	return st
}

func (st faultState) pending(acc string) bool {
	for _, p := range st.Pending {
		if p.Accessor == acc {
			return true
		}
	}
	return false
}

// nonEmptyLines are the non-empty lines of out.
func nonEmptyLines(out string) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) != "" {
			got = append(got, l)
		}
	}
	return got
}

// outputLines are the non-empty lines of stdout and stderr.
func outputLines(res vaulttest.Result) []string {
	return append(nonEmptyLines(res.Stdout), nonEmptyLines(res.Stderr)...)
}

// renewProblems are renew's output lines but its notice of what it waits
// for (on stderr, after helper.RenewWaitNotice without an answer), which
// is progress, not a problem line.
func renewProblems(res vaulttest.Result) []string {
	return slices.DeleteFunc(outputLines(res), func(l string) bool {
		return strings.HasPrefix(l, "vault-token-renew: ") && strings.Contains(l, ": waiting for Vault to answer ")
	})
}

// statusProblems are the problem lines of `status` and whatever it wrote
// on stderr.
func statusProblems(res vaulttest.Result) []string {
	var got []string
	for _, l := range nonEmptyLines(res.Stdout) {
		if strings.Contains(l, "problem:") {
			got = append(got, l)
		}
	}
	return append(got, nonEmptyLines(res.Stderr)...)
}

// faultRun runs a command in h from any goroutine and says how long it
// took. A command still running after 5 minutes is killed (renew's own
// bound is 2 x heal.UnattendedRetry.CallBound).
func faultRun(h *vaulttest.Home, stdin, name string, args ...string) (vaulttest.Result, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := h.Exec(ctx, stdin, name, args...)
	return res, time.Since(start), err
}

// loginAndRenew runs an admin userpass login through the CLI, then
// vault-token-renew, in h, from any goroutine; both must succeed.
func loginAndRenew(h *vaulttest.Home, vault string) error {
	steps := []struct {
		bin  string
		args []string
	}{
		{vault, []string{"login", "-method=userpass", "username=admin", "password=" + vaulttest.Password}},
		{bins.Renew, nil},
	}
	for _, st := range steps {
		res, _, err := faultRun(h, "", st.bin, st.args...)
		if err == nil && res.Code != 0 {
			err = fmt.Errorf("exit %d", res.Code)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w\n%s", filepath.Base(st.bin), strings.Join(st.args[:min(len(st.args), 2)], " "), err, res)
		}
	}
	return nil
}

// runTimed runs a command in h and says how long it took.
func runTimed(t *testing.T, h *vaulttest.Home, stdin, name string, args ...string) (vaulttest.Result, time.Duration) {
	t.Helper()
	res, took, err := faultRun(h, stdin, name, args...)
	if err != nil {
		t.Fatalf("run %s %v: %v after %s\n%s", name, args, err, took, res)
	}
	return res, took
}

// endedWithin fails the test when a command took more than faultSlack
// times its documented bound.
func endedWithin(t *testing.T, what string, took, bound time.Duration) {
	t.Helper()
	if took > faultSlack*bound {
		t.Errorf("%s took %s, want it to end within its documented bound %s (x%d)", what, took.Round(time.Millisecond), bound, faultSlack)
	}
}

// oneProblemLine checks that lines is exactly one line naming the address
// and the cause, and that no token shows in the output.
func oneProblemLine(t *testing.T, what string, lines []string, addr, cause string, res vaulttest.Result, tokens ...string) {
	t.Helper()
	if len(lines) != 1 || !strings.Contains(lines[0], addr) || !strings.Contains(lines[0], cause) {
		t.Errorf("%s: got problem lines %q, want one line naming %s and %q\n%s", what, lines, addr, cause, res)
	}
	for _, tok := range tokens {
		if strings.Contains(res.Stdout+res.Stderr, tok) {
			t.Errorf("%s printed a token", what)
		}
	}
}

// Each fault, on every request, against status, renew, store and erase:
// bounded time, one line naming the address and the cause, the stored
// token unchanged (erase forgets it and, unless Vault says it is gone,
// records it for revocation), no token leaked. Once the fault is gone,
// one login and one renew leave exactly one live periodic token and an
// empty journal.
func TestFaultEachCommand(t *testing.T) {
	t.Parallel()
	rule := func(r vaulttest.Rule) func(*vaulttest.Proxy) { return func(p *vaulttest.Proxy) { p.Set(r) } }
	faults := []struct {
		name  string
		set   func(*vaulttest.Proxy)
		cause string
		// erased: Vault got erase's revoke-self and a retry learned it
		// (the reset comes after the 403 status line of the retry).
		erased bool
	}{
		{"connection refused", (*vaulttest.Proxy).Refuse, "connection refused", false},
		{"no answer", rule(vaulttest.Rule{Fault: vaulttest.Hang}), "timed out", false},
		{"slower than the timeout", rule(vaulttest.Rule{Fault: vaulttest.Slow, Delay: faultTimeout + time.Second}), "timed out", false},
		{"reset mid-response", rule(vaulttest.Rule{Fault: vaulttest.Reset}), "connection reset", true},
		{"HTTP 429", rule(vaulttest.Rule{Fault: vaulttest.Status, Status: 429,
			Body: `{"errors":["request path \"auth/token/lookup-self\": rate limit quota exceeded"]}`}), "HTTP 429", false},
		{"HTTP 500", rule(vaulttest.Rule{Fault: vaulttest.Status, Status: 500, Body: `{"errors":["internal error"]}`}), "HTTP 500", false},
		{"HTTP 500 after Vault did it", rule(vaulttest.Rule{Fault: vaulttest.Status, Status: 500, Forward: true}), "HTTP 500", false},
		{"HTTP 503 sealed", rule(vaulttest.Rule{Fault: vaulttest.Status, Status: 503}), "Vault is sealed", false},
	}
	commands := []struct {
		name  string
		bin   string
		args  []string
		login bool // stdin is an admin login token
		code  int
		// bound: one idempotent call that keeps failing, with its retries
		bound time.Duration
		// problems picks the lines that report the problem.
		problems func(vaulttest.Result) []string
	}{
		{"status", bins.Helper, []string{"status"}, false, 1, heal.InteractiveRetry.CallBound(faultTimeout), statusProblems},
		{"renew", bins.Renew, nil, false, 1, heal.UnattendedRetry.CallBound(faultTimeout), renewProblems},
		{"store", bins.Helper, []string{"store"}, true, 1, heal.InteractiveRetry.CallBound(faultTimeout), outputLines},
		// erase forgets the token even when Vault cannot revoke it.
		{"erase", bins.Helper, []string{"erase"}, false, 0, heal.InteractiveRetry.CallBound(faultTimeout), outputLines},
	}

	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			s := vaulttest.Start(t)
			p := vaulttest.StartProxy(t, s)
			login := s.Login(t, "admin") // straight from Vault, for store
			envs := make([]*faultEnv, len(commands))
			for i, c := range commands {
				envs[i] = newFaultEnv(t, s, p, "devvm-"+c.name)
			}
			f.set(p)

			// Each command has its own home: they run at the same time,
			// so that waiting for timeouts costs the suite seconds once.
			type outcome struct {
				res  vaulttest.Result
				took time.Duration
				err  error
			}
			outcomes := make([]outcome, len(commands))
			var wg sync.WaitGroup
			for i, c := range commands {
				wg.Add(1)
				go func() {
					defer wg.Done()
					stdin := ""
					if c.login {
						stdin = login
					}
					o := &outcomes[i]
					o.res, o.took, o.err = faultRun(envs[i].h, stdin, c.bin, c.args...)
				}()
			}
			wg.Wait()

			for i, c := range commands {
				e, o := envs[i], outcomes[i]
				t.Run(c.name, func(t *testing.T) {
					if o.err != nil {
						t.Fatalf("%s: %v after %s\n%s", c.name, o.err, o.took, o.res)
					}
					if o.res.Code != c.code {
						t.Errorf("%s: got exit %d, want %d\n%s", c.name, o.res.Code, c.code, o.res)
					}
					endedWithin(t, c.name, o.took, c.bound)
					want := e.token
					if c.name == "erase" {
						want = ""
						pending := readFaultState(t, e.h).pending(e.acc)
						if f.erased {
							if lines := withoutConfirmation(outputLines(o.res)); len(lines) != 0 || pending || slices.Contains(e.live(t), e.acc) {
								t.Errorf("erase when Vault's 403 got through: output %q, pending %v, live %v; want silence, nothing pending, %s revoked", lines, pending, e.live(t), e.acc)
							}
						} else {
							oneProblemLine(t, c.name, c.problems(o.res), p.Addr, f.cause, o.res, e.token, login)
							if !pending {
								t.Errorf("after erase, %s is not pending revocation", e.acc)
							}
						}
					} else {
						oneProblemLine(t, c.name, c.problems(o.res), p.Addr, f.cause, o.res, e.token, login)
					}
					if got := helperGet(t, e.h); got != want {
						t.Errorf("after %s the stored token changed (got %d bytes, want %d)", c.name, len(got), len(want))
					}
					e.noNewToken(t, c.name)
					if st := readFaultState(t, e.h); len(st.Journal) != 0 {
						t.Errorf("after %s the journal has %+v, want it empty", c.name, st.Journal)
					}
				})
			}

			// The fault clears: the next login mints and revokes what the
			// erase could not; the renew after it is healthy.
			p.Set()
			p.Resume(t)
			vault := vaulttest.Bin(t)
			errs := make([]error, len(commands))
			for i := range commands {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = loginAndRenew(envs[i].h, vault)
				}()
			}
			wg.Wait()
			for i, c := range commands {
				e := envs[i]
				if errs[i] != nil {
					t.Fatalf("%s: after the fault: %v", c.name, errs[i])
				}
				e.settled(t)
				if c.name == "erase" && slices.Contains(e.live(t), e.acc) {
					t.Errorf("the erased token %s is still live", e.acc)
				}
			}
		})
	}
}

// Slow answers under the timeout are only slow: every command works.
func TestFaultSlowAnswersUnderTheTimeout(t *testing.T) {
	t.Parallel()
	e := newFaultWorld(t)
	e.p.Set(vaulttest.Rule{Fault: vaulttest.Slow, Delay: faultTimeout / 4})
	mustExit(t, "status", e.h.Run(t, "", bins.Helper, "status"), 0)
	mustExit(t, "renew", renew(t, e.h), 0)
	mustExit(t, "store", e.h.Run(t, e.s.Login(t, "admin"), bins.Helper, "store"), 0)
	if got := helperGet(t, e.h); got == e.token {
		t.Errorf("store of an admin login did not mint a new periodic token")
	}
	e.settled(t)
	mustExit(t, "erase", e.h.Run(t, "", bins.Helper, "erase"), 0)
	if live := e.live(t); len(live) != 0 {
		t.Errorf("after erase live periodic tokens = %v, want none", live)
	}
}

// The outcome-unknown mint and its neighbours: a fault on create-orphan
// only. create-orphan is sent exactly once (never retried blindly); when
// the client cannot know whether Vault minted, the journal keeps the
// intent and the next store or renew finds the token by its intent ID
// and revokes it. When Vault's answer proves nothing was minted (sealed,
// rate limited), the intent is dropped at once.
func TestFaultMintOutcome(t *testing.T) {
	t.Parallel()
	onMint := func(r vaulttest.Rule) vaulttest.Rule { r.Path = createOrphanPath; return r }
	tests := []struct {
		name   string
		rule   vaulttest.Rule
		cause  string
		minted bool // Vault minted a token the client never got
		intent bool // the journal keeps the intent
		next   string
	}{
		{"reset after Vault minted", onMint(vaulttest.Rule{Fault: vaulttest.Reset}), "connection reset", true, true, "store"},
		{"HTTP 500 after Vault minted", onMint(vaulttest.Rule{Fault: vaulttest.Status, Status: 500, Forward: true}), "HTTP 500", true, true, "renew"},
		{"no answer after Vault minted", onMint(vaulttest.Rule{Fault: vaulttest.Hang, Forward: true}), "timed out", true, true, "renew"},
		{"HTTP 503 from a load balancer after Vault minted", onMint(vaulttest.Rule{Fault: vaulttest.Status, Status: 503, Forward: true,
			Body: "upstream connect error or disconnect/reset before headers. reset reason: connection termination"}), "HTTP 503", true, true, "store"},
		{"HTTP 500, nothing minted", onMint(vaulttest.Rule{Fault: vaulttest.Status, Status: 500}), "HTTP 500", false, true, "renew"},
		{"HTTP 503 sealed", onMint(vaulttest.Rule{Fault: vaulttest.Status, Status: 503}), "Vault is sealed", false, false, "store"},
		{"HTTP 429", onMint(vaulttest.Rule{Fault: vaulttest.Status, Status: 429, Body: `{"errors":["rate limit quota exceeded"]}`}), "HTTP 429", false, false, "store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newFaultWorld(t)
			login := e.s.Login(t, "admin")
			e.p.Set(tt.rule)
			mints := e.p.Count(createOrphanPath)

			res, took := runTimed(t, e.h, login, bins.Helper, "store")
			mustExit(t, "store", res, 1)
			// lookup-self of the login token, then one create-orphan
			endedWithin(t, "store", took, heal.InteractiveRetry.CallBound(faultTimeout)+faultTimeout)
			oneProblemLine(t, "store", outputLines(res), e.p.Addr, tt.cause, res, e.token, login)
			if got := e.p.Count(createOrphanPath) - mints; got != 1 {
				t.Errorf("create-orphan sent %d times, want exactly 1 (never retried)", got)
			}
			if got := helperGet(t, e.h); got != e.token {
				t.Errorf("the stored token changed")
			}

			st := readFaultState(t, e.h)
			switch {
			case tt.intent && (len(st.Journal) != 1 || st.Journal[0].Step != "minting" || st.Journal[0].Accessor != ""):
				t.Fatalf("journal = %+v, want one intent still minting, without accessor", st.Journal)
			case !tt.intent && len(st.Journal) != 0:
				t.Errorf("journal = %+v, want it empty: Vault's answer says nothing was minted", st.Journal)
			}
			var orphans []string
			for _, tok := range e.s.Tokens(t, e.name) {
				if tok.Accessor == e.acc {
					continue
				}
				orphans = append(orphans, tok.Accessor)
				if !tt.intent || tok.Meta["intent_id"] != st.Journal[0].ID {
					t.Errorf("minted token %s carries intent_id %q, not one the journal knows: it would leak", tok.Accessor, tok.Meta["intent_id"])
				}
			}
			if got := len(orphans) == 1; got != tt.minted {
				t.Errorf("Vault minted %d token(s) behind the client's back, want minted = %v", len(orphans), tt.minted)
			}

			// The fault clears; the next run settles the journal.
			e.p.Set()
			switch tt.next {
			case "store":
				mustExit(t, "the next admin login", e.h.LoginUserpass(t, "admin"), 0)
			case "renew":
				mustExit(t, "the next renew", renew(t, e.h), 0)
				if got := helperGet(t, e.h); got != e.token {
					t.Errorf("renew changed the stored token")
				}
			}
			e.settled(t)
			for _, acc := range orphans {
				if slices.Contains(e.live(t), acc) {
					t.Errorf("the token minted behind the client's back (%s) is still live", acc)
				}
			}
			if tt.intent && countEvents(logText(t, e.h), "RECOVERED") != 1 {
				t.Errorf("the log has %d RECOVERED lines, want 1", countEvents(logText(t, e.h), "RECOVERED"))
			}
		})
	}
}

// ONE test runs without VAULT_CLIENT_TIMEOUT, to show that the default
// per-request timeout (heal.DefaultTimeout) bounds a Vault that accepts
// a mint and never answers. It costs the suite about 10 seconds.
func TestFaultDefaultTimeoutBoundsHang(t *testing.T) {
	t.Parallel()
	e := newFaultWorld(t)
	e.h.Unsetenv("VAULT_CLIENT_TIMEOUT")
	e.p.Set(vaulttest.Rule{Fault: vaulttest.Hang, Path: createOrphanPath})
	res, took := runTimed(t, e.h, e.s.Login(t, "admin"), bins.Helper, "store")
	mustExit(t, "store", res, 1)
	oneProblemLine(t, "store", outputLines(res), e.p.Addr, "timed out", res, e.token)
	// Only create-orphan hangs: the default timeout, not the 60s
	// operation timeout, is what ends the store.
	if took < heal.DefaultTimeout {
		t.Errorf("store gave up after %s, before the default timeout %s", took, heal.DefaultTimeout)
	}
	endedWithin(t, "store", took, heal.DefaultTimeout)
	if n := len(readFaultState(t, e.h).Journal); n != 1 {
		t.Errorf("journal has %d entries, want the intent of the unanswered mint", n)
	}
	e.p.Set()
	mustExit(t, "renew", renew(t, e.h), 0)
	e.settled(t)
	if !strings.Contains(logText(t, e.h), "nothing was minted") {
		t.Errorf("the log does not say the unanswered mint minted nothing")
	}
}

// Retries are for idempotent calls and transient failures only: renew's
// lookup-self gets through after several failed attempts within its
// budget (heal.UnattendedRetry; TestFaultEachCommand shows it giving up),
// and never repeats a sealed answer or a 404.
func TestFaultRetries(t *testing.T) {
	t.Parallel()
	onLookup := func(r vaulttest.Rule) vaulttest.Rule { r.Path = lookupSelfPath; return r }
	tests := []struct {
		name     string
		rule     vaulttest.Rule
		wantCode int
		attempts int // lookup-self requests renew sends
	}{
		{"five HTTP 500 then an answer", onLookup(vaulttest.Rule{Fault: vaulttest.Status, Status: 500, Times: 5}), 0, 6},
		{"three resets then an answer", onLookup(vaulttest.Rule{Fault: vaulttest.Reset, Times: 3}), 0, 4},
		{"three HTTP 429 then an answer", onLookup(vaulttest.Rule{Fault: vaulttest.Status, Status: 429, Times: 3}), 0, 4},
		{"no active node, then an answer", onLookup(vaulttest.Rule{Fault: vaulttest.Status, Status: 500, Times: 3,
			Body: `{"errors":["local node not active but active cluster node not found"]}`}), 0, 4},
		{"sealed once: not retried", onLookup(vaulttest.Rule{Fault: vaulttest.Status, Status: 503, Times: 1}), 1, 1},
		{"404 once: not retried", onLookup(vaulttest.Rule{Fault: vaulttest.Status, Status: 404, Times: 1}), 1, 1},
	}
	e := newFaultWorld(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.p.Set(tt.rule)
			defer e.p.Set()
			before := e.p.Count(lookupSelfPath)
			res := renew(t, e.h)
			if res.Code != tt.wantCode {
				t.Errorf("renew: got exit %d, want %d\n%s", res.Code, tt.wantCode, res)
			}
			if got := e.p.Count(lookupSelfPath) - before; got != tt.attempts {
				t.Errorf("lookup-self sent %d times, want %d", got, tt.attempts)
			}
		})
	}
	e.settled(t)
}

// A real Vault sealed, then unsealed: while sealed, store, renew and
// status fail at once (a sealed answer is not retried) naming "sealed",
// and nothing changes; once unsealed, renew works again.
func TestFaultSealedThenUnsealed(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	h.Setenv("VAULT_CLIENT_TIMEOUT", faultTimeout.String())
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	tok := helperGet(t, h)
	login := s.Login(t, "admin")
	m := unsealKeyRE.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatal("no unseal key in the dev server's log")
	}
	root := s.Root(t)
	if err := root.Sys().Seal(); err != nil {
		t.Fatalf("seal: %v", err)
	}

	commands := []struct {
		name     string
		stdin    string
		bin      string
		args     []string
		problems func(vaulttest.Result) []string
	}{
		{"status", "", bins.Helper, []string{"status"}, statusProblems},
		{"renew", "", bins.Renew, nil, renewProblems},
		{"store", login, bins.Helper, []string{"store"}, outputLines},
	}
	for _, c := range commands {
		t.Run("sealed/"+c.name, func(t *testing.T) {
			res, took := runTimed(t, h, c.stdin, c.bin, c.args...)
			mustExit(t, c.name+" while sealed", res, 1)
			endedWithin(t, c.name, took, faultTimeout) // one request, not retried
			oneProblemLine(t, c.name, c.problems(res), s.Addr, "Vault is sealed", res, tok, login)
			if got := helperGet(t, h); got != tok {
				t.Errorf("%s while sealed changed the stored token", c.name)
			}
		})
	}

	if _, err := root.Sys().Unseal(m[1]); err != nil {
		t.Fatalf("unseal: %v", err)
	}
	waitUnsealed(t, s)
	res := renew(t, h)
	mustExit(t, "renew after unseal", res, 0)
	if ok := linesWith(res.Stdout, "OK"); len(ok) != 1 {
		t.Errorf("renew after unseal: OK lines = %q, want 1\n%s", ok, res)
	}
	mustExit(t, "status after unseal", h.Run(t, "", bins.Helper, "status"), 0)
	if got := helperGet(t, h); got != tok {
		t.Errorf("the stored token changed")
	}
	if n := len(s.Tokens(t, wizard)); n != 1 {
		t.Errorf("live periodic tokens = %d, want 1", n)
	}
}

var unsealKeyRE = regexp.MustCompile(`Unseal Key: (\S+)`)

// waitUnsealed waits until the unsealed server answers as the active node.
func waitUnsealed(t *testing.T, s *vaulttest.Server) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	vaulttest.Eventually(t, "vault is active after the unseal", func() bool {
		resp, err := c.Get(s.Addr + "/v1/sys/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// The periodic token revoked by someone else (renew's side is in
// TestRenewRevokedToken; status's in TestStatus): a weak login is kept as
// it is rather than refused, since there is no valid token to keep; an
// admin login mints a new one; erase forgets it without a warning.
func TestFaultPeriodicRevokedBySomeoneElse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		run   func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home) vaulttest.Result
		event string // logged by the run
		check func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home, old string)
	}{
		{"weak login passes through", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home) vaulttest.Result {
			return h.LoginUserpass(t, "weak")
		}, "PASSTHROUGH", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home, old string) {
			if got := lookupJSON(t, h)["display_name"]; got != "userpass-weak" {
				t.Errorf("the CLI now uses %v, want the passed-through userpass-weak", got)
			}
			if st := readFaultState(t, h); st.Current == nil || st.Current.Source != "passthrough" {
				t.Errorf("stored token source = %+v, want passthrough", st.Current)
			}
			if n := len(s.Tokens(t, wizard)); n != 0 {
				t.Errorf("live periodic tokens = %d, want 0", n)
			}
		}},
		{"admin login mints a new one", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home) vaulttest.Result {
			return h.LoginUserpass(t, "admin")
		}, "MINTED", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home, old string) {
			live := s.Tokens(t, wizard)
			if len(live) != 1 || live[0].Accessor == old {
				t.Errorf("live periodic tokens = %+v, want one new one", live)
			}
			if st := readFaultState(t, h); len(st.Pending) != 0 || len(st.Journal) != 0 {
				t.Errorf("state = %+v, want nothing pending and an empty journal", st)
			}
		}},
		{"erase forgets it quietly", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home) vaulttest.Result {
			return h.Run(t, "", bins.Helper, "erase")
		}, "ERASED", func(t *testing.T, s *vaulttest.Server, h *vaulttest.Home, old string) {
			if got := helperGet(t, h); got != "" {
				t.Errorf("get after erase printed a token")
			}
			if st := readFaultState(t, h); len(st.Pending) != 0 {
				t.Errorf("pending = %+v, want nothing: the token is already revoked", st.Pending)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, h := world(t, wizardConfig)
			mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
			acc := lookupJSON(t, h)["accessor"].(string)
			s.Revoke(t, acc)
			events := countEvents(logText(t, h), tt.event)
			res := tt.run(t, s, h)
			mustExit(t, tt.name, res, 0)
			if lines := withoutConfirmation(outputLines(res)); strings.Contains(strings.Join(lines, "\n"), "vault-token-helper:") {
				t.Errorf("the helper complained:\n%s", res)
			}
			if n := countEvents(logText(t, h), tt.event) - events; n != 1 {
				t.Errorf("the run logged %d %s lines, want 1", n, tt.event)
			}
			tt.check(t, s, h, acc)
		})
	}
}

// The vault-admin policy deleted by root. The periodic token still names
// it and Vault still accepts the token: renew keeps renewing it (policies
// are resolved by name at each request, so re-creating the policy gives
// the token its power back; revoking it would lose it for nothing) and
// status reports it valid. An admin login can no longer mint (Vault
// answers 403), so store refuses it and keeps the periodic token, naming
// the 403; with no valid periodic token stored it passes the login token
// through instead. Once the policy is back, an admin login keeps it again.
func TestFaultPolicyDeleted(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	tok := helperGet(t, h)
	acc := lookupJSON(t, h)["accessor"].(string)
	root := s.Root(t)
	rules, err := root.Sys().GetPolicy(vaulttest.AdminPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if err := root.Sys().DeletePolicy(vaulttest.AdminPolicy); err != nil {
		t.Fatal(err)
	}

	res := renew(t, h)
	mustExit(t, "renew", res, 0)
	if ok := linesWith(res.Stdout, "OK"); len(ok) != 1 || !strings.Contains(ok[0], acc) {
		t.Errorf("OK lines = %q, want one for %s\n%s", ok, acc, res)
	}
	mustExit(t, "status", h.Run(t, "", bins.Helper, "status"), 0)

	login := s.Login(t, "admin")
	res = h.Run(t, login, bins.Helper, "store")
	mustExit(t, "store of an admin login that cannot mint", res, 1)
	lines := outputLines(res)
	if len(lines) != 1 {
		t.Errorf("store: got %d lines, want 1\n%s", len(lines), res)
	}
	// Vault's capabilities-self answer, before any mint, says it may not.
	for _, want := range []string{"refused", "userpass-admin", "may not create periodic tokens", acc} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("store: the refusal does not say %q\n%s", want, res)
		}
	}
	if got := helperGet(t, h); got != tok {
		t.Errorf("the refused store changed the stored token")
	}
	if st := readFaultState(t, h); len(st.Journal) != 0 {
		t.Errorf("journal = %+v, want empty: Vault's 403 says nothing was minted", st.Journal)
	}
	if live := s.Tokens(t, wizard); len(live) != 1 || live[0].Accessor != acc {
		t.Errorf("live periodic tokens = %+v, want only %s", live, acc)
	}

	// No valid periodic token to keep: the login token is kept as it is.
	h2 := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, h2, wizardConfig)
	mustExit(t, "admin login with no periodic token stored", h2.LoginUserpass(t, "admin"), 0)
	if got := lookupJSON(t, h2)["display_name"]; got != "userpass-admin" {
		t.Errorf("the CLI uses %v, want the passed-through userpass-admin", got)
	}
	if n := countEvents(logText(t, h2), "PASSTHROUGH"); n != 1 {
		t.Errorf("log has %d PASSTHROUGH lines, want 1", n)
	}

	if err := root.Sys().PutPolicy(vaulttest.AdminPolicy, rules); err != nil {
		t.Fatal(err)
	}
	mustExit(t, "admin login once the policy is back", h.LoginUserpass(t, "admin"), 0)
	live := s.Tokens(t, wizard)
	if len(live) != 1 || live[0].Accessor != acc || countEvents(logText(t, h), "KEPT") != 1 {
		t.Errorf("live periodic tokens = %+v, want %s kept", live, acc)
	}
}
