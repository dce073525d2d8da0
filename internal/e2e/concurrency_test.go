package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// run runs a command in h from any goroutine (no t.Fatal).
func run(ctx context.Context, h *vaulttest.Home, stdin, name string, args ...string) (code int, stdout, stderr string, err error) {
	res, err := h.Exec(ctx, stdin, name, args...)
	return res.Code, res.Stdout, res.Stderr, err
}

var tokenRE = regexp.MustCompile(`^hvs\.[A-Za-z0-9_-]{20,}$`)

// 50 concurrent stores (admin and weak logins) plus renew runs, repeated,
// while gets run in a loop: every get prints a complete token, and at the
// end there is exactly one live periodic token, also in ~/.vault-token.
func TestConcurrentStoresRenewsAndGets(t *testing.T) {
	t.Parallel()
	s, h := world(t, rotatingConfig)
	h.Setenv("VAULT_TOKEN_HELPER_LOCK_WAIT", "2m")
	mustExit(t, "first admin login", h.LoginUserpass(t, "admin"), 0)
	first := helperGet(t, h)

	var admins, weaks []string
	for i := 0; i < 25; i++ {
		admins = append(admins, s.Login(t, "admin"))
		weaks = append(weaks, s.Login(t, "weak"))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stopGets := make(chan struct{})
	var getsWG sync.WaitGroup
	var mu sync.Mutex
	var badGets []string
	gets := 0
	for g := 0; g < 3; g++ {
		getsWG.Add(1)
		go func() {
			defer getsWG.Done()
			for {
				select {
				case <-stopGets:
					return
				default:
				}
				code, out, errOut, err := run(ctx, h, "", bins.Helper, "get")
				mu.Lock()
				gets++
				if err != nil || code != 0 || !tokenRE.MatchString(out) || len(out) != len(first) {
					badGets = append(badGets, fmt.Sprintf("exit %d, %d bytes, err %v, stderr %q", code, len(out), err, errOut))
				}
				mu.Unlock()
			}
		}()
	}

	type outcome struct {
		what   string
		code   int
		stderr string
		err    error
	}
	for round := 0; round < 2; round++ {
		results := make(chan outcome, 60)
		var wg sync.WaitGroup
		for i := 0; i < 25; i++ {
			for _, tok := range []struct{ what, token string }{{"admin", admins[i]}, {"weak", weaks[i]}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code, _, errOut, err := run(ctx, h, tok.token, bins.Helper, "store")
					results <- outcome{tok.what, code, errOut, err}
				}()
			}
		}
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, out, _, err := run(ctx, h, "", bins.Renew)
				results <- outcome{"renew", code, out, err}
			}()
		}
		wg.Wait()
		close(results)
		for r := range results {
			want := 0
			if r.what == "weak" {
				want = 1
			}
			if r.err != nil || r.code != want {
				t.Errorf("round %d: %s exited %d (%v), want %d: %s", round, r.what, r.code, r.err, want, r.stderr)
			}
			if r.what == "weak" && !strings.Contains(r.stderr, "refused") {
				t.Errorf("round %d: weak store was not refused: %s", round, r.stderr)
			}
		}
	}
	close(stopGets)
	getsWG.Wait()

	if len(badGets) > 0 {
		t.Errorf("%d of %d concurrent gets were bad, first: %s", len(badGets), gets, badGets[0])
	}
	if gets == 0 {
		t.Fatal("no get ran concurrently")
	}
	live := s.Tokens(t, wizard)
	if len(live) != 1 {
		t.Fatalf("live %s tokens = %d, want 1", wizard, len(live))
	}
	stored := helperGet(t, h)
	info, err := s.LookupToken(t, stored)
	if err != nil || info.Accessor != live[0].Accessor {
		t.Errorf("the stored token is not the live periodic token (%v)", err)
	}
	mirror, err := os.ReadFile(h.TokenFile())
	if err != nil || string(mirror) != stored {
		t.Errorf("~/.vault-token does not hold the stored token (%v)", err)
	}
	t.Logf("%d gets ran during %d stores and 4 renews", gets, 100)
}

// processState is the state letter of /proc/PID/stat ("T" when stopped).
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}

// A lock held by a stopped process: store waits the configured time, then
// fails naming the process, and nothing is lost. A lock file left by a
// dead process does not block.
func TestLockHeldByStoppedProcess(t *testing.T) {
	t.Parallel()
	crash := crashBinaries(t)
	s, h := world(t, rotatingConfig)
	mustExit(t, "first admin login", h.LoginUserpass(t, "admin"), 0)
	old := helperGet(t, h)

	stopped := exec.Command(crash.Helper, "store")
	stopped.Env = append(h.Env(), "VAULT_TOKEN_HELPER_STOP_AT="+heal.StepChecked)
	stopped.Stdin = strings.NewReader(s.Login(t, "admin"))
	if err := stopped.Start(); err != nil {
		t.Fatal(err)
	}
	pid := stopped.Process.Pid
	t.Cleanup(func() { _ = stopped.Process.Kill(); _ = stopped.Wait() })
	vaulttest.Eventually(t, "the crashpoints store stops itself", func() bool { return processState(pid) == "T" })

	h.Setenv("VAULT_TOKEN_HELPER_LOCK_WAIT", "1s")
	res := h.Run(t, s.Login(t, "admin"), bins.Helper, "store")
	mustExit(t, "store while another holds the lock", res, 1)
	if want := "locked by process " + strconv.Itoa(pid); !strings.Contains(res.Stderr, want) {
		t.Errorf("stderr = %q, want it to say %q", res.Stderr, want)
	}
	if strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
		t.Errorf("stderr is not one line: %q", res.Stderr)
	}
	if got := helperGet(t, h); got != old {
		t.Errorf("the stored token changed while locked")
	}

	// Resume the stopped store: it finishes its mint.
	if err := stopped.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := stopped.Wait(); err != nil {
		t.Fatalf("the resumed store failed: %v", err)
	}
	if got := helperGet(t, h); got == old {
		t.Errorf("the resumed store did not store its new token")
	}
	if n := len(s.Tokens(t, wizard)); n != 1 {
		t.Errorf("live %s tokens = %d, want 1", wizard, n)
	}

	// A lock file naming a dead process, with no holder, does not block.
	locks, _ := filepath.Glob(filepath.Join(h.DataHome, "vault-token-helper", "tokens", "*", "lock"))
	if len(locks) != 1 {
		t.Fatalf("lock files = %v, want one", locks)
	}
	if err := os.WriteFile(locks[0], []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustExit(t, "store with a stale lock file", h.Run(t, s.Login(t, "admin"), bins.Helper, "store"), 0)
}
