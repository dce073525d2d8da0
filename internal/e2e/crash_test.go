package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// journalLen is the number of journal entries in the state file.
func journalLen(t *testing.T, h *vaulttest.Home) int {
	t.Helper()
	b, err := os.ReadFile(statePath(t, h))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Journal []json.RawMessage `json:"journal"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return len(st.Journal)
}

// A mint killed with SIGKILL at any step is finished or undone by the next
// store, erase or renew: the stored token works, exactly one live periodic
// token is left (none after an erase), and the journal is empty.
func TestCrashDuringMint(t *testing.T) {
	t.Parallel()
	crash := crashBinaries(t)
	steps := []struct {
		step string
		// newStored: the crashed run already stored its new token.
		newStored bool
	}{
		{heal.StepBeforeMint, false},
		{heal.StepMintAnswered, false},
		{heal.StepMintRecorded, false},
		{heal.StepChecked, false},
		{heal.StepStored, true},
	}
	nexts := []struct {
		name string
		run  func(t *testing.T, h *vaulttest.Home)
		live int // live periodic tokens afterwards
	}{
		{"store", func(t *testing.T, h *vaulttest.Home) { mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0) }, 1},
		{"renew", func(t *testing.T, h *vaulttest.Home) { mustExit(t, "renew", renew(t, h), 0) }, 1},
		{"erase", func(t *testing.T, h *vaulttest.Home) { mustExit(t, "erase", h.Run(t, "", bins.Helper, "erase"), 0) }, 0},
	}
	for _, st := range steps {
		for _, next := range nexts {
			t.Run(st.step+"/then "+next.name, func(t *testing.T) {
				t.Parallel()
				s, h := world(t, rotatingConfig)
				mustExit(t, "first admin login", h.LoginUserpass(t, "admin"), 0)
				old := helperGet(t, h)

				// The crashing login: the CLI runs our crashpoints build,
				// which kills itself at the step.
				h.UseHelper(t, crash.Helper)
				h.Setenv("VAULT_TOKEN_HELPER_CRASH_AT", st.step)
				res := h.LoginUserpass(t, "admin")
				mustExit(t, "login killed at "+st.step, res, 2)
				h.Unsetenv("VAULT_TOKEN_HELPER_CRASH_AT")
				h.UseHelper(t, bins.Helper)

				// An interrupted write leaves the old token intact and working.
				got := helperGet(t, h)
				if st.newStored {
					if got == old {
						t.Fatalf("killed after storing, yet the old token is stored")
					}
				} else if got != old {
					t.Fatalf("killed at %s before storing, yet the stored token changed", st.step)
				}
				if _, err := s.LookupToken(t, got); err != nil {
					t.Fatalf("the stored token does not work after the crash: %v", err)
				}
				if st.step != heal.StepStored && journalLen(t, h) == 0 {
					t.Errorf("killed at %s, but the journal is empty", st.step)
				}

				next.run(t, h)

				if n := journalLen(t, h); n != 0 {
					t.Errorf("journal has %d entries after the next %s, want 0", n, next.name)
				}
				live := s.Tokens(t, wizard)
				if len(live) != next.live {
					t.Errorf("live %s tokens after the next %s = %d, want %d: %+v", wizard, next.name, len(live), next.live, live)
				}
				if next.live == 1 {
					tok := helperGet(t, h)
					info, err := s.LookupToken(t, tok)
					if err != nil || info.Accessor != live[0].Accessor {
						t.Errorf("the stored token is not the one live periodic token (%v)", err)
					}
				}
				if log := logText(t, h); st.step != heal.StepStored && !strings.Contains(log, "msg=RECOVERED") {
					t.Errorf("the log has no RECOVERED line after a crash at %s", st.step)
				}
			})
		}
	}
}
