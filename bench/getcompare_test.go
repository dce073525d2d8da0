//go:build bench

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// TestGetBeforeAfter compares `get` of two builds of the front, run
// interleaved in one process tree against one state file, and `vault
// token lookup` through each: a before/after measurement of a change to
// the front, cheaper than the whole of TestPerformance. It prints a
// markdown table; it writes no file and asserts no time.
//
//	BENCH_GET_BEFORE  directory of the earlier build (vault-token-helper, vault-token-helper-full)
//	BENCH_BIN         directory of the later build (default bin/, as `make build` makes it)
//	BENCH_GET_RUNS    rounds of get (default 400); BENCH_LOOKUP_RUNS rounds of the CLI (default 200)
//
// Run: go test -tags bench -run '^TestGetBeforeAfter$' -count=1 -v ./bench
func TestGetBeforeAfter(t *testing.T) {
	beforeDir := os.Getenv("BENCH_GET_BEFORE")
	if beforeDir == "" {
		t.Skip("set BENCH_GET_BEFORE to the directory of the earlier build")
	}
	set := loadSettings(t)
	before := filepath.Join(beforeDir, "vault-token-helper")
	after := filepath.Join(set.bin, "vault-token-helper")
	for _, p := range []string{before, after} {
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
	}
	s := vaulttest.Start(t)
	h := newHome(t, s, after)
	if r := h.LoginUserpass(t, "admin"); r.Code != 0 {
		t.Fatalf("first login: %s", r)
	}
	tok, statePath := storedToken(t, h, s.Addr)
	content, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	isToken := func(out, _ string) error {
		if out != tok {
			return fmt.Errorf("got %d bytes, want the stored token", len(out))
		}
		return nil
	}
	isFile := func(out, _ string) error {
		if out != string(content) {
			return fmt.Errorf("got %d bytes, want the state file", len(out))
		}
		return nil
	}
	cat := "/bin/cat"
	gets := []proc{
		{name: "`cat` of the state file", path: cat, args: []string{statePath}, env: h.Env(), dir: h.Dir, check: isFile},
		{name: "`vault-token-helper get` before", path: before, args: []string{"get"}, env: h.Env(), dir: h.Dir, check: isToken},
		{name: "`vault-token-helper get` after", path: after, args: []string{"get"}, env: h.Env(), dir: h.Dir, check: isToken},
	}
	gs := interleave(t, gets, 10, set.getRuns)

	// The CLI runs the front: a home per build, one token store.
	hb := vaulttest.NewHome(t, s, before)
	hb.Setenv("XDG_DATA_HOME", h.DataHome)
	lookup := func(name string, home *vaulttest.Home, args ...string) proc {
		return proc{name: name, path: vaulttest.Bin(t), args: append([]string{"token", "lookup"}, args...), env: home.Env(), dir: home.Dir}
	}
	lookups := []proc{
		lookup("`vault token lookup`, helper before", hb),
		lookup("`vault token lookup`, helper after", h),
		lookup("`vault token lookup -format=json -address=$VAULT_ADDR`, helper after", h, "-format=json", "-address="+s.Addr),
	}
	ls := interleave(t, lookups, 2, set.lookupRuns)

	var b strings.Builder
	table := func(procs []proc, samples [][]sample, base int) {
		fmt.Fprintf(&b, "| Command | Median ms | p10–p90 ms | CPU ms | × the first row [95%%] |\n|---|---|---|---|---|\n")
		for i, p := range procs {
			st := summarize(samples[i])
			lo, hi := ratioCI(samples[i], samples[base])
			fmt.Fprintf(&b, "| %s | %s | %s–%s | %s | %.2f × [%.2f–%.2f] |\n", p.name, ms(st.med, 2), ms(st.p10, 2), ms(st.p90, 2), ms(st.cpu, 2),
				ratio(st.med, summarize(samples[base]).med), lo, hi)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "get: %d interleaved rounds; vault token lookup: %d interleaved rounds\n\n", set.getRuns, set.lookupRuns)
	table(gets, gs, 0)
	lo, hi := diffCI(gs[2], gs[1])
	fmt.Fprintf(&b, "get after − before: %s ms [%s–%s]\n\n", ms(summarize(gs[2]).med-summarize(gs[1]).med, 3), ms(lo, 3), ms(hi, 3))
	table(lookups, ls, 0)
	t.Log("\n" + b.String())
}
