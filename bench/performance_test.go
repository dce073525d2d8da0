//go:build bench

package bench

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// settings come from the environment (bench/run.sh sets them); every
// one has a default that keeps a full run under about 15 minutes on two
// cores.
type settings struct {
	bin         string        // BENCH_BIN: directory of the three binaries `make build` makes
	out         string        // BENCH_OUT: the markdown file to write
	command     string        // BENCH_COMMAND: the command recorded in the document
	goBench     string        // BENCH_GOBENCH_FILE: output of the in-process benchmarks
	getRuns     int           // BENCH_GET_RUNS
	execRuns    int           // BENCH_EXEC_RUNS: --version through the front and of the full binary
	lookupRuns  int           // BENCH_LOOKUP_RUNS
	loginRuns   int           // BENCH_LOGIN_RUNS
	storeRuns   int           // BENCH_STORE_RUNS
	scanRuns    int           // BENCH_SCAN_RUNS
	renewRuns   int           // BENCH_RENEW_RUNS
	initRuns    int           // BENCH_INIT_RUNS
	rssRuns     int           // BENCH_RSS_RUNS
	noise       []int         // BENCH_NOISE: the values of N, 0 first
	sweepBudget time.Duration // BENCH_SWEEP_BUDGET: seconds the bash sweep may run per N
}

func loadSettings(t *testing.T) settings {
	t.Helper()
	root, err := vaulttest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	s := settings{
		bin:         envOr("BENCH_BIN", filepath.Join(root, "bin")),
		out:         envOr("BENCH_OUT", filepath.Join(root, "docs", "performance.md")),
		command:     envOr("BENCH_COMMAND", "make bench"),
		goBench:     os.Getenv("BENCH_GOBENCH_FILE"),
		getRuns:     envInt(t, "BENCH_GET_RUNS", 400),
		execRuns:    envInt(t, "BENCH_EXEC_RUNS", 200),
		lookupRuns:  envInt(t, "BENCH_LOOKUP_RUNS", 200),
		loginRuns:   envInt(t, "BENCH_LOGIN_RUNS", 15),
		storeRuns:   envInt(t, "BENCH_STORE_RUNS", 40),
		scanRuns:    envInt(t, "BENCH_SCAN_RUNS", 3),
		renewRuns:   envInt(t, "BENCH_RENEW_RUNS", 10),
		initRuns:    envInt(t, "BENCH_INIT_RUNS", 21),
		rssRuns:     envInt(t, "BENCH_RSS_RUNS", 20),
		noise:       []int{0},
		sweepBudget: time.Duration(envInt(t, "BENCH_SWEEP_BUDGET", 240)) * time.Second,
	}
	for _, f := range strings.Split(envOr("BENCH_NOISE", "1000,5000"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			t.Fatalf("BENCH_NOISE: %q is not a positive number", f)
		}
		s.noise = append(s.noise, n)
	}
	return s
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, k string, def int) int {
	t.Helper()
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s: %q is not a number", k, v)
	}
	return n
}

// binaries are the programs measured.
type binaries struct {
	front, full, renew string // as `make build` built them (BENCH_BIN)
	fullCgo            string // vault-token-helper-full built with cgo on, as a plain `go build` would
	frontCgo           string // the front built with cgo on, to see whether it links dynamically
	readfile           string // bench/cmd/readfile
	firstget           string // bench/cmd/firstget
	cat                string
	vault              string
	strace             string // "" when not installed
	gnuTime            string // GNU time, "" when not installed

	// What the binaries are, from their build information and ELF headers.
	info map[string]binInfo // by path
}

// binInfo is what a Go binary says about itself.
type binInfo struct {
	size    int64
	goVer   string   // the toolchain that built it
	cgo     string   // the CGO_ENABLED build setting ("" when not recorded)
	dynamic bool     // has an ELF interpreter: the dynamic loader runs first
	modules []string // the modules it links besides its own, without versions
}

func readBinInfo(t *testing.T, path string) binInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("build information of %s: %v", path, err)
	}
	in := binInfo{size: fi.Size(), goVer: bi.GoVersion}
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" {
			in.cgo = s.Value
		}
	}
	for _, d := range bi.Deps {
		in.modules = append(in.modules, d.Path)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			in.dynamic = true
		}
	}
	return in
}

func buildBinaries(t *testing.T, set settings) binaries {
	t.Helper()
	root, err := vaulttest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := binaries{
		front:    filepath.Join(set.bin, "vault-token-helper"),
		full:     filepath.Join(set.bin, "vault-token-helper-full"),
		renew:    filepath.Join(set.bin, "vault-token-renew"),
		fullCgo:  filepath.Join(dir, "cgo", "vault-token-helper-full"),
		frontCgo: filepath.Join(dir, "cgo", "vault-token-helper"),
		readfile: filepath.Join(dir, "readfile"),
		firstget: filepath.Join(dir, "firstget"),
		vault:    vaulttest.Bin(t),
		info:     map[string]binInfo{},
	}
	for _, p := range []string{b.front, b.full, b.renew} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v: run `make build` first (or set BENCH_BIN)", err)
		}
	}
	for _, bl := range []struct {
		out, pkg string
		env      []string
	}{
		// The cgo builds live in a directory of their own, the front next
		// to the full binary it executes, like an installation.
		{b.fullCgo, "./cmd/token-helper-full", []string{"CGO_ENABLED=1"}},
		{b.frontCgo, "./cmd/token-helper", []string{"CGO_ENABLED=1"}},
		{b.readfile, "./bench/cmd/readfile", []string{"CGO_ENABLED=0"}},
		{b.firstget, "./bench/cmd/firstget", []string{"CGO_ENABLED=0"}},
	} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", bl.out, bl.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), bl.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", bl.pkg, err, out)
		}
	}
	for _, p := range []string{b.front, b.full, b.renew, b.fullCgo, b.frontCgo, b.readfile} {
		b.info[p] = readBinInfo(t, p)
	}
	if b.cat, err = exec.LookPath("cat"); err != nil {
		t.Fatal(err)
	}
	b.strace, _ = exec.LookPath("strace")
	if p, err := exec.LookPath("time"); err == nil {
		if out, err := exec.Command(p, "--version").CombinedOutput(); err == nil && strings.Contains(string(out), "GNU") {
			b.gnuTime = p
		}
	}
	return b
}

// rotate_on_login with no grace: every measured store mints a periodic
// token and revokes the one it replaces, as the report says (without it
// an admin login keeps the valid token, KEPT, and nothing is minted).
const benchConfig = `periodic_token {
  display_name = "bench"
  policies     = ["vault-admin"]
  period       = "768h"
}
rotate_on_login = true
rotate_grace    = "0s"
`

// ourDisplayName is how Vault shows the display name "bench" of a token
// created through auth/token/create.
const ourDisplayName = "token-bench"

// newHome makes a home whose helper config mints periodic "bench"
// tokens and logs every Vault call.
func newHome(t *testing.T, s *vaulttest.Server, helperBin string) *vaulttest.Home {
	t.Helper()
	h := vaulttest.NewHome(t, s, helperBin)
	dir := filepath.Join(h.ConfigHome, "vault-token-helper")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.hcl"), []byte(benchConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	h.Setenv("VAULT_TOKEN_HELPER_LOG_LEVEL", "debug")
	return h
}

func logFile(h *vaulttest.Home) string {
	return filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log")
}

// storedToken returns the token the helper stored in h for addr.
func storedToken(t *testing.T, h *vaulttest.Home, addr string) (token, statePath string) {
	t.Helper()
	key, err := store.NewKey(addr, "")
	if err != nil {
		t.Fatal(err)
	}
	files := store.New(filepath.Join(h.DataHome, "vault-token-helper"))
	tok, err := files.Token(key)
	if err != nil {
		t.Fatal(err)
	}
	if tok == "" {
		t.Fatalf("no token stored for %s in %s", addr, h.Dir)
	}
	return tok, files.StatePath(key)
}

// storeProc is `vault-token-helper store` of token for addr in h: with
// the front as helperBin, as the CLI runs it, it executes
// vault-token-helper-full.
func storeProc(h *vaulttest.Home, helperBin, addr, token string) proc {
	return proc{name: "store", path: helperBin, args: []string{"store"},
		env: withEnv(h.Env(), "VAULT_ADDR", addr), dir: h.Dir, stdin: []byte(token)}
}

// vaultCalls is what one run logged about its Vault calls.
type vaultCalls struct {
	ops  []string
	time time.Duration // the sum of their durations
}

var (
	vaultLineRE = regexp.MustCompile(`\bmsg=VAULT\b`)
	opRE        = regexp.MustCompile(`\bop=(\S+)`)
	durationRE  = regexp.MustCompile(`\bduration=(\S+)`)
)

// logSize is the current size of a log file (0 when missing).
func logSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// callsSince parses the VAULT lines appended to log p after offset.
func callsSince(t *testing.T, p string, offset int64) vaultCalls {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var c vaultCalls
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !vaultLineRE.MatchString(line) {
			continue
		}
		if m := opRE.FindStringSubmatch(line); m != nil {
			c.ops = append(c.ops, m[1])
		}
		if m := durationRE.FindStringSubmatch(line); m != nil {
			if d, err := time.ParseDuration(m[1]); err == nil {
				c.time += d
			}
		}
	}
	return c
}

// countTokens is how many tokens Vault holds.
func countTokens(t *testing.T, s *vaulttest.Server) int {
	t.Helper()
	sec, err := s.Root(t).Logical().List("auth/token/accessors")
	if err != nil {
		t.Fatalf("list accessors: %v", err)
	}
	if sec == nil {
		return 0
	}
	keys, _ := sec.Data["keys"].([]any)
	return len(keys)
}

// addNoise creates n unrelated orphan tokens in parallel through the API.
func addNoise(t *testing.T, s *vaulttest.Server, n int) time.Duration {
	t.Helper()
	const workers = 16
	start := time.Now()
	jobs := make(chan struct{})
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := vaulttest.NewClient(s.Addr, s.RootToken)
			if err != nil {
				errs <- err
				return
			}
			for range jobs {
				if _, err := c.Auth().Token().CreateOrphan(&api.TokenCreateRequest{
					DisplayName: "noise", Policies: []string{"default"}, TTL: "768h",
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var failed error
loop:
	for i := 0; i < n; i++ {
		select {
		case jobs <- struct{}{}:
		case failed = <-errs:
			break loop
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if failed == nil {
		failed = <-errs
	}
	if failed != nil {
		t.Fatalf("create noise tokens: %v", failed)
	}
	return time.Since(start)
}

// proxy forwards a new loopback port to target (host:port) and returns
// its http:// address: another Vault address for the same server.
func proxy(t *testing.T, target string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(u, c); u.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				go func() { io.Copy(c, u); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
				<-done
				<-done
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// TestPerformance runs every measurement and writes the document. It
// fails only when a command misbehaves, never on a time.
func TestPerformance(t *testing.T) {
	set := loadSettings(t)
	rep := &report{set: set, started: time.Now().UTC(), loadStart: loadAvg()}
	load := sampleLoad(15 * time.Second)
	rep.machine = machine()
	bins := buildBinaries(t, set)
	rep.bins = bins
	rep.vaultVersion = vaultVersion(t, bins.vault)
	if set.goBench != "" {
		if b, err := os.ReadFile(set.goBench); err == nil {
			rep.goBench = string(b)
		}
	}

	// One dev Vault for get, the CLI and renew; one per value of N for
	// the heal scaling, all alive at once so that the stores at every N
	// can be interleaved. They are apart because the sweeps revoke every
	// other token with our display name.
	a := vaulttest.Start(t)
	worlds := make([]*healWorld, len(set.noise))
	for i, n := range set.noise {
		s := vaulttest.Start(t)
		w := &healWorld{n: n, s: s}
		if n > 0 {
			w.noiseTime = addNoise(t, s, n)
			t.Logf("N=%d: created %d tokens in %s", n, n, w.noiseTime.Round(time.Millisecond))
		}
		worlds[i] = w
	}

	// The home of the `get` and CLI measurements: one userpass login
	// through the CLI and our helper stores a minted periodic token.
	ours := newHome(t, a, bins.front)
	if r := ours.LoginUserpass(t, "admin"); r.Code != 0 {
		t.Fatalf("first login through our helper: %s", r)
	}

	// Each part notes how much of the machine other processes used.
	snap := snapCPU()
	mark := func(name string) {
		next := snapCPU()
		if others, steal, ok := othersShare(snap, next, rep.machine.cores); ok {
			rep.phases = append(rep.phases, phase{name: name, others: others, steal: steal, took: next.at.Sub(snap.at)})
		}
		snap = next
	}
	rep.get = measureGet(t, set, bins, ours, a.Addr)
	mark("get")
	rep.exec = measureExec(t, set, bins, ours)
	mark("the extra exec")
	rep.cli = measureCLI(t, set, bins, a, ours)
	mark("the CLI")
	rep.heal = measureHeal(t, set, bins, worlds)
	mark("heal scaling")
	rep.renew = measureRenew(t, set, bins, a)
	mark("renew")

	rep.finished = time.Now().UTC()
	rep.loadEnd = loadAvg()
	rep.loadSamples = load()
	doc := rep.markdown()
	if err := os.WriteFile(set.out, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s:\n%s", set.out, doc)
}

// --- 1. get ------------------------------------------------------------

type row struct {
	key  string // short name, for lookups and the diagnostic tables
	name string // as the tables show it
	st   stats
	raw  []sample
	bin  *binInfo // the binary measured, nil for cat and the CLI
	rss  rssStats
}

type getResult struct {
	rows      []row // cat first
	statePath string
	inits     []initSummary
	traces    []traceSummary
	first     firstLookup
	rssTool   string // "" when peak RSS could not be measured
	stateSize int
}

// row returns the row with the given key.
func (g getResult) row(key string) row {
	for _, r := range g.rows {
		if r.key == key {
			return r
		}
	}
	panic("no row " + key)
}

// Keys of the get rows.
const (
	keyCat      = "cat"
	keyReadfile = "readfile"
	keyFront    = "vault-token-helper"
	keyFrontCgo = "vault-token-helper, cgo on"
	keyFull     = "vault-token-helper-full"
	keyFullCgo  = "vault-token-helper-full, cgo on"
)

func measureGet(t *testing.T, set settings, bins binaries, h *vaulttest.Home, addr string) getResult {
	t.Helper()
	tok, statePath := storedToken(t, h, addr)
	content, err := os.ReadFile(statePath)
	if err != nil {
		t.Fatal(err)
	}
	env := h.Env()
	isToken := func(out, _ string) error {
		if out != tok {
			return fmt.Errorf("got %d bytes on stdout, want the %d-byte stored token", len(out), len(tok))
		}
		return nil
	}
	isFile := func(out, _ string) error {
		if out != string(content) {
			return fmt.Errorf("got %d bytes on stdout, want the %d-byte state file", len(out), len(content))
		}
		return nil
	}
	type variant struct {
		key, name, path string
		args            []string
		check           func(string, string) error
	}
	variants := []variant{
		{keyCat, "`cat` of the state file", bins.cat, []string{statePath}, isFile},
		{keyReadfile, "Go program that reads the file (bench/cmd/readfile)", bins.readfile, []string{statePath}, isFile},
		{keyFront, "**`vault-token-helper get`**: the front the CLI runs (`make build`)", bins.front, []string{"get"}, isToken},
	}
	// Built with cgo on, the front is only worth measuring when that
	// changes the binary's kind: it imports no package that uses cgo.
	if bins.info[bins.frontCgo].dynamic {
		variants = append(variants, variant{keyFrontCgo, "the front built with cgo on (dynamically linked)", bins.frontCgo, []string{"get"}, isToken})
	}
	variants = append(variants,
		variant{keyFull, "`vault-token-helper-full get`: the whole tool (`make build`)", bins.full, []string{"get"}, isToken},
		variant{keyFullCgo, "`vault-token-helper-full get` built with cgo on, as `make build` built the whole tool before the split", bins.fullCgo, []string{"get"}, isToken},
	)
	procs := make([]proc, len(variants))
	for i, v := range variants {
		procs[i] = proc{name: v.key, path: v.path, args: v.args, env: env, dir: h.Dir, check: v.check}
	}
	t.Logf("get: %d interleaved rounds of %d commands", set.getRuns, len(procs))
	samples := interleave(t, procs, 10, set.getRuns)
	res := getResult{statePath: statePath, stateSize: len(content)}
	for i, v := range variants {
		r := row{key: v.key, name: v.name, st: summarize(samples[i]), raw: samples[i]}
		if in, ok := bins.info[v.path]; ok {
			r.bin = &in
		}
		res.rows = append(res.rows, r)
	}
	t.Logf("get: cat %s ms, front %s ms, full %s ms", ms(res.row(keyCat).st.med, 2), ms(res.row(keyFront).st.med, 2), ms(res.row(keyFull).st.med, 2))

	// Peak RSS: wait4 cannot tell it here (see peakRSS), GNU time can.
	if bins.gnuTime != "" {
		res.rssTool = bins.gnuTime
		rss := peakRSS(t, bins.gnuTime, procs, set.rssRuns)
		for i := range res.rows {
			res.rows[i].rss = rss[i]
		}
	}
	for i, p := range procs {
		switch p.name {
		case keyReadfile, keyFront, keyFull:
			res.inits = append(res.inits, initTrace(t, procs[i], set.initRuns))
		}
		if p.name != keyCat && bins.strace != "" {
			res.traces = append(res.traces, straceRun(t, bins.strace, procs[i]))
		}
	}
	res.first = measureFirstLookup(t, set, bins, h)
	return res
}

// firstLookup is what bench/cmd/firstget timed inside fresh processes:
// the front's lookup after start-up, first and second call, and the
// first encoding/json decode of the state on its own (medians).
type firstLookup struct {
	runs                int
	first, second       time.Duration
	decode, afterDecode time.Duration
}

var firstgetRE = regexp.MustCompile(`^decode=(\d+) first=(\d+) second=(\d+)\n$`)

func measureFirstLookup(t *testing.T, set settings, bins binaries, h *vaulttest.Home) firstLookup {
	t.Helper()
	var first, second, decode, after []time.Duration
	parse := func(out, _ string) error {
		if !firstgetRE.MatchString(out) {
			return fmt.Errorf("got %q on stdout, want decode=NS first=NS second=NS", out)
		}
		return nil
	}
	plain := proc{name: "firstget", path: bins.firstget, env: h.Env(), dir: h.Dir, check: parse}
	decodeFirst := proc{name: "firstget -decode-first", path: bins.firstget, args: []string{"-decode-first"}, env: h.Env(), dir: h.Dir, check: parse}
	for i := 0; i < set.initRuns; i++ {
		for _, p := range []proc{plain, decodeFirst} {
			_, res := p.mustRun(t)
			m := firstgetRE.FindStringSubmatch(res.stdout)
			var v [3]time.Duration
			for k := range v {
				n, _ := strconv.ParseInt(m[k+1], 10, 64)
				v[k] = time.Duration(n)
			}
			if len(p.args) == 0 {
				first, second = append(first, v[1]), append(second, v[2])
			} else {
				decode, after = append(decode, v[0]), append(after, v[1])
			}
		}
	}
	for _, v := range [][]time.Duration{first, second, decode, after} {
		slices.Sort(v)
	}
	return firstLookup{runs: set.initRuns, first: median(first), second: median(second), decode: median(decode), afterDecode: median(after)}
}

// init returns the init trace of the binary with the given key.
func (g getResult) init(key string) (initSummary, bool) {
	for _, s := range g.inits {
		if s.name == key {
			return s, true
		}
	}
	return initSummary{}, false
}

// trace returns what strace saw of the binary with the given key.
func (g getResult) trace(key string) (traceSummary, bool) {
	for _, s := range g.traces {
		if s.name == key {
			return s, true
		}
	}
	return traceSummary{}, false
}

// execResult is the price of the front for every verb but get: one more
// process start and execve before the full binary runs.
type execResult struct {
	viaFront, direct row
	trace            traceSummary // strace of --version through the front, when strace is installed
	traced           bool
}

func measureExec(t *testing.T, set settings, bins binaries, h *vaulttest.Home) execResult {
	t.Helper()
	var want string
	sameVersion := func(out, _ string) error {
		if out == "" || (want != "" && out != want) {
			return fmt.Errorf("got %q on stdout, want the version line %q", out, want)
		}
		return nil
	}
	_, r := proc{name: "vault-token-helper-full --version", path: bins.full, args: []string{"--version"}, env: h.Env(), dir: h.Dir, check: sameVersion}.mustRun(t)
	want = r.stdout
	procs := []proc{
		{name: "`vault-token-helper --version`: the front, which executes the full binary", path: bins.front, args: []string{"--version"}, env: h.Env(), dir: h.Dir, check: sameVersion},
		{name: "`vault-token-helper-full --version`, run directly", path: bins.full, args: []string{"--version"}, env: h.Env(), dir: h.Dir, check: sameVersion},
	}
	t.Logf("exec: %d interleaved rounds", set.execRuns)
	ss := interleave(t, procs, 5, set.execRuns)
	res := execResult{
		viaFront: row{name: procs[0].name, st: summarize(ss[0]), raw: ss[0]},
		direct:   row{name: procs[1].name, st: summarize(ss[1]), raw: ss[1]},
	}
	if bins.strace != "" {
		res.trace, res.traced = straceRun(t, bins.strace, procs[0]), true
	}
	return res
}

// rssStats is the peak resident set of a command over several runs, KiB.
type rssStats struct{ med, max int64 }

// peakRSS measures the peak resident set of each proc with GNU time,
// runs times, interleaved. The rusage that wait4 returns to this process
// cannot be used: Go starts children with vfork, and Linux carries the
// high-water mark of the parent's memory (this test binary's, about
// 15 MiB) across exec into the child's ru_maxrss. GNU time forks, so its
// child's peak starts from time's own few hundred KiB.
func peakRSS(t *testing.T, gnuTime string, procs []proc, runs int) []rssStats {
	t.Helper()
	dir := t.TempDir()
	all := make([][]int64, len(procs))
	for r := 0; r < runs; r++ {
		for i := range procs {
			j := (i + r) % len(procs)
			p := procs[j]
			out := filepath.Join(dir, "rss")
			q := p
			q.path = gnuTime
			q.args = append([]string{"-f", "%M", "-o", out, p.path}, p.args...)
			q.mustRun(t)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			f := strings.Fields(string(b))
			if len(f) == 0 {
				t.Fatalf("GNU time wrote nothing for %s", p.name)
			}
			kb, err := strconv.ParseInt(f[len(f)-1], 10, 64)
			if err != nil {
				t.Fatalf("GNU time: %q is not a size", b)
			}
			all[j] = append(all[j], kb)
		}
	}
	res := make([]rssStats, len(procs))
	for i, v := range all {
		slices.Sort(v)
		if len(v) > 0 {
			res[i] = rssStats{med: median(v), max: v[len(v)-1]}
		}
	}
	return res
}

// initSummary is what GODEBUG=inittrace=1 says about one binary.
type initSummary struct {
	name     string
	runs     int
	packages int
	total    time.Duration // median over runs of the sum of init clocks
	mainAt   time.Duration // median over runs of when the last init ended
	allocs   int64         // median over runs of allocations in init
	perPkg   map[string]time.Duration
}

var initRE = regexp.MustCompile(`^init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock, ([0-9]+) bytes, ([0-9]+) allocs`)

func initTrace(t *testing.T, p proc, runs int) initSummary {
	t.Helper()
	p.env = withEnv(p.env, "GODEBUG", "inittrace=1")
	p.check = nil
	sum := initSummary{name: p.name, runs: runs, perPkg: map[string]time.Duration{}}
	var totals, ends []time.Duration
	var allocs []int64
	per := map[string][]time.Duration{}
	for i := 0; i < runs; i++ {
		_, res := p.mustRun(t)
		var total, end time.Duration
		var al int64
		n := 0
		for _, line := range strings.Split(res.stderr, "\n") {
			m := initRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			at, _ := strconv.ParseFloat(m[2], 64)
			clock, _ := strconv.ParseFloat(m[3], 64)
			a, _ := strconv.ParseInt(m[5], 10, 64)
			c := time.Duration(clock * float64(time.Millisecond))
			total += c
			al += a
			n++
			if e := time.Duration(at*float64(time.Millisecond)) + c; e > end {
				end = e
			}
			per[m[1]] = append(per[m[1]], c)
		}
		sum.packages = n
		totals, ends, allocs = append(totals, total), append(ends, end), append(allocs, al)
	}
	slices.Sort(totals)
	slices.Sort(ends)
	slices.Sort(allocs)
	sum.total, sum.mainAt, sum.allocs = median(totals), median(ends), median(allocs)
	for pkg, cs := range per {
		for len(cs) < runs {
			cs = append(cs, 0)
		}
		slices.Sort(cs)
		sum.perPkg[pkg] = median(cs)
	}
	return sum
}

// traceSummary is what strace saw of one run: network and lock calls.
type traceSummary struct {
	name      string
	sockets   int
	connects  []string
	flocks    int
	lockOpens int
	execs     int // successful execve calls, the first one included
	syscalls  int
}

var sunPathRE = regexp.MustCompile(`sun_path="([^"]*)"|sin6?_addr=[^)]*\)|sin_port=htons\(\d+\)`)

func straceRun(t *testing.T, straceBin string, p proc) traceSummary {
	t.Helper()
	out := filepath.Join(t.TempDir(), "strace.out")
	q := p
	q.name = "strace " + p.name
	q.path = straceBin
	q.args = append([]string{"-f", "-qq", "-o", out, p.path}, p.args...)
	q.mustRun(t)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := traceSummary{name: p.name}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		s.syscalls++
		switch {
		case strings.Contains(line, " socket(") || strings.HasPrefix(line, "socket("):
			s.sockets++
		case strings.Contains(line, " connect(") || strings.HasPrefix(line, "connect("):
			target := "?"
			if m := sunPathRE.FindString(line); m != "" {
				target = m
			}
			s.connects = append(s.connects, target)
		case strings.Contains(line, " flock("):
			s.flocks++
		case strings.Contains(line, "/lock\""):
			s.lockOpens++
		case (strings.Contains(line, " execve(") || strings.Contains(line, "<... execve resumed>")) && strings.HasSuffix(strings.TrimSpace(line), "= 0"):
			// A multi-threaded caller's execve shows as "execve(...
			// <unfinished ...>", then "<... execve resumed>) = 0".
			s.execs++
		}
	}
	return s
}

// --- 3. heal scaling -----------------------------------------------------

type healWorld struct {
	n         int
	s         *vaulttest.Server
	noiseTime time.Duration

	home    *vaulttest.Home // stores and renew --scan run here
	tokens  int             // tokens in Vault when the stores ran
	stores  []sample
	calls   []vaultCalls
	scans   []sample
	scanOps []int
	sweep   sweepResult
}

type sweepResult struct {
	wall                   time.Duration
	total, looked, revoked int
	complete               bool
}

// estimate is the sweep's time for every token: measured when it
// finished, extrapolated linearly from the part it did otherwise.
func (s sweepResult) estimate() time.Duration {
	if s.complete || s.looked == 0 {
		return s.wall
	}
	return time.Duration(float64(s.wall) * float64(s.total) / float64(s.looked))
}

func measureHeal(t *testing.T, set settings, bins binaries, worlds []*healWorld) []*healWorld {
	t.Helper()
	for _, w := range worlds {
		w.home = newHome(t, w.s, bins.front)
		// The first store mints with nothing to replace; the measured ones
		// each replace (and revoke) the previous periodic token.
		storeProc(w.home, bins.front, w.s.Addr, w.s.Login(t, "admin")).mustRun(t)
		w.tokens = countTokens(t, w.s)
	}

	t.Logf("store: %d interleaved rounds over N=%v", set.storeRuns, set.noise)
	for r := -2; r < set.storeRuns; r++ {
		for i := range worlds {
			w := worlds[(i+r+2)%len(worlds)]
			login := w.s.Login(t, "admin")
			lf := logFile(w.home)
			off := logSize(lf)
			s, _ := storeProc(w.home, bins.front, w.s.Addr, login).mustRun(t)
			calls := callsSince(t, lf, off)
			// Keep N constant: the login token is not ours to keep.
			if err := w.s.Root(t).Auth().Token().RevokeOrphan(login); err != nil {
				t.Fatalf("revoke the login token: %v", err)
			}
			if r >= 0 {
				w.stores = append(w.stores, s)
				w.calls = append(w.calls, calls)
			}
		}
	}

	// The opt-in O(N) scan of our own renew, for comparison.
	t.Logf("renew --scan: %d interleaved rounds", set.scanRuns)
	for r := 0; r < set.scanRuns; r++ {
		for i := range worlds {
			w := worlds[(i+r)%len(worlds)]
			for k := 0; k < 2; k++ {
				w.s.MintPeriodic(t, "bench", "default")
			}
			lf := logFile(w.home)
			off := logSize(lf)
			s, _ := proc{name: "vault-token-renew --scan", path: bins.renew, args: []string{"--scan", "--address", w.s.Addr},
				env: w.home.Env(), dir: w.home.Dir}.mustRun(t)
			w.scans = append(w.scans, s)
			w.scanOps = append(w.scanOps, len(callsSince(t, lf, off).ops))
		}
	}

	root, err := vaulttest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	sweepScript := filepath.Join(root, "bench", "sweep.sh")
	for _, w := range worlds {
		for k := 0; k < 2; k++ {
			w.s.MintPeriodic(t, "bench", "default")
		}
		tok, _ := storedToken(t, w.home, w.s.Addr)
		sh := vaulttest.NewHome(t, w.s, "") // the built-in helper, as the old renewer had
		if err := os.WriteFile(sh.TokenFile(), []byte(tok), 0o600); err != nil {
			t.Fatal(err)
		}
		env := withEnv(sh.Env(), "VAULT", bins.vault)
		env = withEnv(env, "DISPLAY_NAME", ourDisplayName)
		env = withEnv(env, "SWEEP_BUDGET", strconv.Itoa(int(set.sweepBudget/time.Second)))
		t.Logf("bash sweep at N=%d (budget %s)", w.n, set.sweepBudget)
		s, res := proc{name: "bash sweep", path: "/bin/bash", args: []string{sweepScript}, env: env, dir: sh.Dir}.mustRun(t)
		w.sweep = parseSweep(t, res.stdout)
		w.sweep.wall = s.wall
		t.Logf("bash sweep at N=%d: %s, looked up %d of %d, revoked %d", w.n, s.wall.Round(time.Millisecond), w.sweep.looked, w.sweep.total, w.sweep.revoked)
	}
	return worlds
}

var sweepRE = regexp.MustCompile(`total=(\d+) looked=(\d+) revoked=(\d+) complete=(yes|no)`)

func parseSweep(t *testing.T, out string) sweepResult {
	t.Helper()
	m := sweepRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sweep.sh printed no summary line:\n%s", clip(out))
	}
	var r sweepResult
	r.total, _ = strconv.Atoi(m[1])
	r.looked, _ = strconv.Atoi(m[2])
	r.revoked, _ = strconv.Atoi(m[3])
	r.complete = m[4] == "yes"
	return r
}

// --- 4. renew ------------------------------------------------------------

type renewResult struct {
	rows []row
	ops  []int // Vault calls per run, per row
}

func measureRenew(t *testing.T, set settings, bins binaries, s *vaulttest.Server) renewResult {
	t.Helper()
	target := strings.TrimPrefix(s.Addr, "http://")
	var procs []proc
	var logs []string
	for _, n := range []int{1, 10} {
		h := newHome(t, s, bins.front)
		for i := 0; i < n; i++ {
			addr := s.Addr
			if i > 0 {
				addr = proxy(t, target)
			}
			storeProc(h, bins.front, addr, s.Login(t, "admin")).mustRun(t)
		}
		procs = append(procs, proc{name: fmt.Sprintf("`vault-token-renew`, %d stored address%s", n, map[bool]string{true: "", false: "es"}[n == 1]),
			path: bins.renew, env: h.Env(), dir: h.Dir})
		logs = append(logs, logFile(h))
	}
	t.Logf("renew: %d interleaved rounds", set.renewRuns)
	res := renewResult{ops: make([]int, len(procs))}
	offs := make([]int64, len(procs))
	for i := range procs {
		procs[i].mustRun(t) // warm up
		offs[i] = logSize(logs[i])
	}
	samples := interleave(t, procs, 0, set.renewRuns)
	for i, p := range procs {
		res.rows = append(res.rows, row{name: p.name, st: summarize(samples[i])})
		if set.renewRuns > 0 {
			res.ops[i] = len(callsSince(t, logs[i], offs[i]).ops) / set.renewRuns
		}
	}
	return res
}

// --- 2. the CLI ----------------------------------------------------------

type cliResult struct {
	lookup, login []row
}

func measureCLI(t *testing.T, set settings, bins binaries, s *vaulttest.Server, ours *vaulttest.Home) cliResult {
	t.Helper()
	builtin := vaulttest.NewHome(t, s, "")
	if err := os.WriteFile(builtin.TokenFile(), []byte(s.Login(t, "admin")), 0o600); err != nil {
		t.Fatal(err)
	}
	// The full binary as the CLI's helper reads the token the front's
	// store wrote: what every vault command would pay without the front.
	whole := vaulttest.NewHome(t, s, bins.full)
	whole.Setenv("XDG_DATA_HOME", ours.DataHome)

	lookup := func(name string, h *vaulttest.Home) proc {
		return proc{name: name, path: bins.vault, args: []string{"token", "lookup"}, env: h.Env(), dir: h.Dir}
	}
	lookups := []proc{
		lookup("built-in file helper (no `token_helper`)", builtin),
		lookup("**our helper** (`token_helper = vault-token-helper`, the front)", ours),
		lookup("`token_helper = vault-token-helper-full` (the whole tool answers get)", whole),
	}
	t.Logf("vault token lookup: %d interleaved rounds", set.lookupRuns)
	ls := interleave(t, lookups, 2, set.lookupRuns)

	login := func(name string, h *vaulttest.Home) proc {
		return proc{name: name, path: bins.vault,
			args: []string{"login", "-method=userpass", "username=admin", "password=" + vaulttest.Password},
			env:  h.Env(), dir: h.Dir}
	}
	logins := []proc{
		login("built-in file helper: writes ~/.vault-token", builtin),
		login("**our helper**: `store` mints a periodic token, revokes the previous one", ours),
	}
	t.Logf("vault login: %d interleaved rounds", set.loginRuns)
	gs := interleave(t, logins, 1, set.loginRuns)

	var res cliResult
	for i, p := range lookups {
		res.lookup = append(res.lookup, row{name: p.name, st: summarize(ls[i]), raw: ls[i]})
	}
	for i, p := range logins {
		res.login = append(res.login, row{name: p.name, st: summarize(gs[i])})
	}
	return res
}

// --- machine -------------------------------------------------------------

func vaultVersion(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("vault version: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// load1 is the 1-minute load average.
func load1() (float64, bool) {
	f := strings.Fields(loadAvg())
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}

// sampleLoad records the 1-minute load average now and every period
// until the returned function is called; that function returns the
// samples.
func sampleLoad(period time.Duration) func() []float64 {
	var samples []float64
	stop, done := make(chan struct{}), make(chan struct{})
	read := func() {
		if v, ok := load1(); ok {
			samples = append(samples, v)
		}
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		read()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				read()
			}
		}
	}()
	return func() []float64 {
		close(stop)
		<-done
		return samples
	}
}

// cpuSnap is the CPU time, in clock ticks, that the whole machine and
// this benchmark's processes have used so far.
type cpuSnap struct {
	at                time.Time
	busy, steal, ours int64
	ok                bool
}

// snapCPU reads the machine's busy time from /proc/stat and ours from
// /proc/<pid>/stat: this process and every live descendant, each with
// the time of the children it has already waited for (cutime, cstime),
// so that every finished measured process is counted once, in its
// parent.
func snapCPU() cpuSnap {
	s := cpuSnap{at: time.Now()}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	// user nice system idle iowait irq softirq steal: busy is the time
	// this machine ran anything; steal, the time the hypervisor gave its
	// CPUs to other machines.
	for _, i := range []int{1, 2, 3, 6, 7} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		s.busy += v
	}
	s.steal, _ = strconv.ParseInt(f[8], 10, 64)
	type procStat struct{ ppid, ticks int64 }
	procs := map[int64]procStat{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return s
	}
	for _, e := range ents {
		pid, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone since ReadDir
		}
		// pid (comm) state ppid ... utime stime cutime cstime: fields 14-17.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		rest := strings.Fields(string(b[i+1:]))
		if len(rest) < 15 {
			continue
		}
		ps := procStat{}
		ps.ppid, _ = strconv.ParseInt(rest[1], 10, 64)
		for _, k := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(rest[k], 10, 64)
			ps.ticks += v
		}
		procs[pid] = ps
	}
	self := int64(os.Getpid())
	for pid, ps := range procs {
		for p := pid; p > 1; p = procs[p].ppid {
			if p == self {
				s.ours += ps.ticks
				break
			}
			if _, ok := procs[p]; !ok {
				break
			}
		}
	}
	s.ok = true
	return s
}

// othersShare is the share of all cores that processes other than ours
// used between two snapshots, and the share the hypervisor stole. Clock
// ticks are 1/100 s on Linux.
func othersShare(a, b cpuSnap, cores int) (others, steal float64, ok bool) {
	wall := b.at.Sub(a.at).Seconds()
	if !a.ok || !b.ok || cores == 0 || wall <= 0 {
		return 0, 0, false
	}
	all := wall * float64(cores)
	others = float64((b.busy-a.busy)-(b.ours-a.ours)) / 100 / all
	steal = float64(b.steal-a.steal) / 100 / all
	return max(0, others), max(0, steal), true
}

type machineInfo struct {
	cpu, kernel, os, mem string
	cores                int
}

func machine() machineInfo {
	m := machineInfo{cpu: "unknown CPU", kernel: "unknown", os: "Linux", mem: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.os = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
					m.mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				}
			}
		}
	}
	m.cores = countCPUs()
	return m
}

func countCPUs() int {
	n := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "processor") {
				n++
			}
		}
	}
	return n
}
