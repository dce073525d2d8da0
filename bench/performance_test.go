//go:build bench

package bench

import (
	"bufio"
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
	bin         string        // BENCH_BIN: directory of vault-token-helper and vault-token-renew
	out         string        // BENCH_OUT: the markdown file to write
	command     string        // BENCH_COMMAND: the command recorded in the document
	goBench     string        // BENCH_GOBENCH_FILE: output of the in-process benchmarks
	getRuns     int           // BENCH_GET_RUNS
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
		lookupRuns:  envInt(t, "BENCH_LOOKUP_RUNS", 150),
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
	helper, renew string // as `make build` built them
	static        string // vault-token-helper built with CGO_ENABLED=0
	getonly       string // bench/cmd/getonly
	getonlyStatic string // bench/cmd/getonly built with CGO_ENABLED=0
	readfile      string // bench/cmd/readfile
	cat           string
	vault         string
	strace        string // "" when not installed
	gnuTime       string // GNU time, "" when not installed
}

func buildBinaries(t *testing.T, set settings) binaries {
	t.Helper()
	root, err := vaulttest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := binaries{
		helper:        filepath.Join(set.bin, "vault-token-helper"),
		renew:         filepath.Join(set.bin, "vault-token-renew"),
		static:        filepath.Join(dir, "vault-token-helper-static"),
		getonly:       filepath.Join(dir, "getonly"),
		getonlyStatic: filepath.Join(dir, "getonly-static"),
		readfile:      filepath.Join(dir, "readfile"),
		vault:         vaulttest.Bin(t),
	}
	for _, p := range []string{b.helper, b.renew} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%v: run `make build` first (or set BENCH_BIN)", err)
		}
	}
	for _, bl := range []struct {
		out, pkg string
		env      []string
	}{
		{b.static, "./cmd/token-helper", []string{"CGO_ENABLED=0"}},
		{b.getonly, "./bench/cmd/getonly", nil},
		{b.getonlyStatic, "./bench/cmd/getonly", []string{"CGO_ENABLED=0"}},
		{b.readfile, "./bench/cmd/readfile", nil},
	} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", bl.out, bl.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), bl.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", bl.pkg, err, out)
		}
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

const benchConfig = `periodic_token {
  display_name = "bench"
  policies     = ["vault-admin"]
  period       = "768h"
}
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

// storeProc is `vault-token-helper store` of token for addr in h.
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
	ours := newHome(t, a, bins.helper)
	if r := ours.LoginUserpass(t, "admin"); r.Code != 0 {
		t.Fatalf("first login through our helper: %s", r)
	}

	rep.get = measureGet(t, set, bins, ours, a.Addr)
	rep.cli = measureCLI(t, set, bins, a, ours)
	rep.heal = measureHeal(t, set, bins, worlds)
	rep.renew = measureRenew(t, set, bins, a)

	rep.finished = time.Now().UTC()
	rep.loadEnd = loadAvg()
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
	size int64 // binary size, 0 when not shown
	rss  rssStats
}

type getResult struct {
	rows      []row // cat first, our helper last
	statePath string
	inits     []initSummary
	traces    []traceSummary
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
	keyCat           = "cat"
	keyReadfile      = "readfile"
	keyGetonlyStatic = "getonly, CGO_ENABLED=0"
	keyGetonly       = "getonly"
	keyHelperStatic  = "vault-token-helper, CGO_ENABLED=0"
	keyHelper        = "vault-token-helper"
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
		{keyGetonlyStatic, "prototype `get` linking only store + xdg (bench/cmd/getonly), CGO_ENABLED=0", bins.getonlyStatic, []string{"get"}, isToken},
		{keyGetonly, "the same prototype, cgo on (default build)", bins.getonly, []string{"get"}, isToken},
		{keyHelperStatic, "`vault-token-helper get`, built with CGO_ENABLED=0", bins.static, []string{"get"}, isToken},
		{keyHelper, "**`vault-token-helper get`** (`make build`)", bins.helper, []string{"get"}, isToken},
	}
	procs := make([]proc, len(variants))
	for i, v := range variants {
		procs[i] = proc{name: v.key, path: v.path, args: v.args, env: env, dir: h.Dir, check: v.check}
	}
	t.Logf("get: %d interleaved rounds of %d commands", set.getRuns, len(procs))
	samples := interleave(t, procs, 10, set.getRuns)
	res := getResult{statePath: statePath, stateSize: len(content)}
	for i, v := range variants {
		r := row{key: v.key, name: v.name, st: summarize(samples[i]), raw: samples[i]}
		if v.key != keyCat {
			if fi, err := os.Stat(v.path); err == nil {
				r.size = fi.Size()
			}
		}
		res.rows = append(res.rows, r)
	}
	t.Logf("get: cat %s ms, helper %s ms", ms(res.row(keyCat).st.med, 2), ms(res.row(keyHelper).st.med, 2))

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
		case keyReadfile, keyGetonly, keyHelper:
			res.inits = append(res.inits, initTrace(t, procs[i], set.initRuns))
		}
		switch p.name {
		case keyReadfile, keyGetonlyStatic, keyGetonly, keyHelperStatic, keyHelper:
			if bins.strace != "" {
				res.traces = append(res.traces, straceRun(t, bins.strace, procs[i]))
			}
		}
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
		w.home = newHome(t, w.s, bins.helper)
		// The first store mints with nothing to replace; the measured ones
		// each replace (and revoke) the previous periodic token.
		storeProc(w.home, bins.helper, w.s.Addr, w.s.Login(t, "admin")).mustRun(t)
		w.tokens = countTokens(t, w.s)
	}

	t.Logf("store: %d interleaved rounds over N=%v", set.storeRuns, set.noise)
	for r := -2; r < set.storeRuns; r++ {
		for i := range worlds {
			w := worlds[(i+r+2)%len(worlds)]
			login := w.s.Login(t, "admin")
			lf := logFile(w.home)
			off := logSize(lf)
			s, _ := storeProc(w.home, bins.helper, w.s.Addr, login).mustRun(t)
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
		h := newHome(t, s, bins.helper)
		for i := 0; i < n; i++ {
			addr := s.Addr
			if i > 0 {
				addr = proxy(t, target)
			}
			storeProc(h, bins.helper, addr, s.Login(t, "admin")).mustRun(t)
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
	// The prototype (the static build) reads the token our helper stored.
	lean := vaulttest.NewHome(t, s, bins.getonlyStatic)
	lean.Setenv("XDG_DATA_HOME", ours.DataHome)

	lookup := func(name string, h *vaulttest.Home) proc {
		return proc{name: name, path: bins.vault, args: []string{"token", "lookup"}, env: h.Env(), dir: h.Dir}
	}
	lookups := []proc{
		lookup("built-in file helper (no `token_helper`)", builtin),
		lookup("**our helper** (`token_helper = vault-token-helper`)", ours),
		lookup("prototype `get` (bench/cmd/getonly, CGO_ENABLED=0) as `token_helper`", lean),
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
