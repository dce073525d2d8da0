//go:build bench

package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report is everything measured, rendered by markdown.
type report struct {
	set                settings
	started, finished  time.Time
	loadStart, loadEnd string
	loadSamples        []float64 // the 1-minute load average during the run
	phases             []phase   // other processes' CPU use, per part of the run
	machine            machineInfo
	bins               binaries
	vaultVersion       string
	goBench            string

	get   getResult
	exec  execResult
	heal  []*healWorld
	renew renewResult
	cli   cliResult
}

// phase is how much of the machine other processes used while one part
// of the benchmark ran.
type phase struct {
	name   string
	took   time.Duration
	others float64 // share of all cores, 0 to 1
	steal  float64 // share of all cores the hypervisor gave to other machines
}

// Targets of the issue, compared with ratios from the same run.
const (
	targetLookup   = 1.03
	targetGet      = 2.5
	targetReader   = 1.2
	targetRSSMiB   = 15
	targetStoreRTs = 4
	targetScaling  = 1.2
)

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// ciVerdict judges a ratio against its target, saying so when the
// target lies inside the 95% interval: the noise of this run cannot
// tell.
func ciVerdict(r, lo, hi, target float64) string {
	if lo <= target && target <= hi {
		if r > target {
			return "**within noise**: the median is above the target, the 95% interval contains it"
		}
		return "within noise: the median meets the target, the 95% interval reaches above it"
	}
	return verdict(r <= target)
}

// outcome is how a ratio's interval stands against its target.
type outcome int

const (
	clearlyMet outcome = iota // the whole interval is at or below the target
	withinNoise
	clearlyMissed // the whole interval is above the target
)

func judge(lo, hi, target float64) outcome {
	switch {
	case hi <= target:
		return clearlyMet
	case lo > target:
		return clearlyMissed
	}
	return withinNoise
}

// xci is a ratio with its 95% bootstrap interval.
func xci(r, lo, hi float64) string { return fmt.Sprintf("%.2f × [%.2f–%.2f]", r, lo, hi) }

// xciT is xci next to a target: with three decimals when two would
// show an end of the interval equal to the target while it is not.
func xciT(r, lo, hi, target float64) string {
	t := fmt.Sprintf("%.2f", target)
	if (fmt.Sprintf("%.2f", lo) == t && lo != target) || (fmt.Sprintf("%.2f", hi) == t && hi != target) {
		return fmt.Sprintf("%.3f × [%.3f–%.3f]", r, lo, hi)
	}
	return xci(r, lo, hi)
}

// msci is a duration in ms with its 95% bootstrap interval.
func msci(d, lo, hi time.Duration, decimals int) string {
	return fmt.Sprintf("%s ms [%s–%s]", ms(d, decimals), ms(lo, decimals), ms(hi, decimals))
}

func table(b *strings.Builder, header []string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func x(r float64) string { return fmt.Sprintf("%.2f ×", r) }

// bigx is a large ratio, rounded, with thousands separators.
func bigx(r float64) string { return thousands(int(r+0.5)) + " ×" }

func pct(f float64) string { return fmt.Sprintf("%.0f %%", 100*f) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// sharing lists what other work this run shared the machine with: other
// processes or the hypervisor taking 5 % or more of the cores during a
// part of the run. (The load average cannot tell: it counts this
// benchmark's own processes, and bench/run.sh compiles and runs the
// in-process benchmarks just before.)
func (r *report) sharing() []string {
	var why, others, steal []string
	for _, p := range r.phases {
		if p.others >= 0.05 {
			others = append(others, fmt.Sprintf("%s during %s", pct(p.others), p.name))
		}
		if p.steal >= 0.05 {
			steal = append(steal, fmt.Sprintf("%s during %s", pct(p.steal), p.name))
		}
	}
	if len(others) > 0 {
		why = append(why, "other processes took "+strings.Join(others, ", "))
	}
	if len(steal) > 0 {
		why = append(why, "the hypervisor gave "+strings.Join(steal, ", ")+" to other machines")
	}
	return why
}

// linking describes how a binary was built.
func linking(in binInfo) string {
	kind := "statically linked"
	if in.dynamic {
		kind = "dynamically linked"
	}
	return fmt.Sprintf("%s, CGO_ENABLED=%s, %s", in.goVer, in.cgo, kind)
}

func kind(in binInfo) string {
	if in.dynamic {
		return "dynamic"
	}
	return "static"
}

// benchPerOp is the median ns/op of an in-process benchmark, from the
// output of go test -bench.
func benchPerOp(out, name string) (time.Duration, bool) {
	var v []time.Duration
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark"+name+"-") || f[3] != "ns/op" {
			continue
		}
		if n, err := strconv.ParseFloat(f[2], 64); err == nil {
			v = append(v, time.Duration(n))
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	return median(v), true
}

// slowestInits are the n package inits of s with the longest clock,
// as "`pkg` (0.123 ms)".
func slowestInits(s initSummary, n int) []string {
	var pkgs []string
	for p := range s.perPkg {
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, func(a, c string) int {
		if d := s.perPkg[c] - s.perPkg[a]; d != 0 {
			return int(d)
		}
		return strings.Compare(a, c)
	})
	var out []string
	for _, p := range pkgs[:min(n, len(pkgs))] {
		out = append(out, fmt.Sprintf("`%s` (%s ms)", p, ms(s.perPkg[p], 3)))
	}
	return out
}

func (r *report) markdown() string {
	var b strings.Builder
	set, g, bins := r.set, r.get, r.bins
	cat, goFloor := g.row(keyCat), g.row(keyReadfile)
	front, full, fullCgo := g.row(keyFront), g.row(keyFull), g.row(keyFullCgo)
	frontInfo, fullInfo, renewInfo := bins.info[bins.front], bins.info[bins.full], bins.info[bins.renew]
	fullCgoInfo, frontCgoInfo := bins.info[bins.fullCgo], bins.info[bins.frontCgo]
	lookupBuiltin, lookupOurs, lookupFull := r.cli.lookup[0], r.cli.lookup[1], r.cli.lookup[2]
	loginOurs := r.cli.login[1]
	w0, wN := r.heal[0], r.heal[len(r.heal)-1]
	store0, storeN := summarize(w0.stores), summarize(wN.stores)
	inFront, haveInFront := g.init(keyFront)
	inFull, haveInFull := g.init(keyFull)
	inReader, haveInReader := g.init(keyReadfile)
	trFront, haveTrFront := g.trace(keyFront)
	trFull, haveTrFull := g.trace(keyFull)
	trFullCgo, haveTrFullCgo := g.trace(keyFullCgo)
	trReader, haveTrReader := g.trace(keyReadfile)
	inProcess, haveInProcess := benchPerOp(r.goBench, "FilesToken")
	fl := g.first

	fmt.Fprintf(&b, "# Performance\n\n")
	fmt.Fprintf(&b, "Generated by `%s` (bench/run.sh) on %s; the run took %s. Do not edit by hand: run the command again.\n\n",
		set.command, r.started.Format("2006-01-02 15:04 MST"), r.finished.Sub(r.started).Round(time.Second))
	b.WriteString("What is measured is what `make build` makes. The Vault CLI runs `vault-token-helper`, a small front that answers `get` itself and executes `vault-token-helper-full`, installed next to it, for every other verb (`store`, `erase`, `status`, `adopt`, `check-config`); `vault-token-renew` is the nightly renewer.\n\n")
	fmt.Fprintf(&b, "- Machine: %s, %d cores, %s RAM; %s, kernel %s.\n", r.machine.cpu, r.machine.cores, r.machine.mem, r.machine.os, r.machine.kernel)
	if linking(frontInfo) == linking(fullInfo) && linking(fullInfo) == linking(renewInfo) {
		fmt.Fprintf(&b, "- Our binaries, from their build information: `vault-token-helper` %s, `vault-token-helper-full` %s, `vault-token-renew` %s; all %s.\n",
			mb(frontInfo.size), mb(fullInfo.size), mb(renewInfo.size), linking(frontInfo))
	} else {
		fmt.Fprintf(&b, "- Our binaries, from their build information: `vault-token-helper` %s (%s), `vault-token-helper-full` %s (%s), `vault-token-renew` %s (%s).\n",
			mb(frontInfo.size), linking(frontInfo), mb(fullInfo.size), linking(fullInfo), mb(renewInfo.size), linking(renewInfo))
	}
	fmt.Fprintf(&b, "- The Vault CLI and dev servers: %s.\n", r.vaultVersion)
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min): %s at the start, %s at the end", r.loadStart, r.loadEnd)
	if len(r.loadSamples) > 0 {
		ls := slices.Clone(r.loadSamples)
		slices.Sort(ls)
		fmt.Fprintf(&b, "; the 1-minute load sampled every 15 s during the run: median %.2f, highest %.2f. The load counts this benchmark too: it keeps one or two processes running (the measured command, and a dev Vault when it answers), and the in-process benchmarks and the compile just before it raise the load at the start", median(ls), ls[len(ls)-1])
	}
	b.WriteString(".\n")
	if len(r.phases) > 0 {
		var parts []string
		for _, p := range r.phases {
			parts = append(parts, fmt.Sprintf("%s (%s) %s", p.name, p.took.Round(time.Second), pct(p.others)))
		}
		fmt.Fprintf(&b, "- CPU used by other processes while each part ran, as a share of the %d cores (the machine's busy time in /proc/stat minus this benchmark's processes): %s.", r.machine.cores, strings.Join(parts, ", "))
		parts = nil
		for _, p := range r.phases {
			parts = append(parts, pct(p.steal))
		}
		fmt.Fprintf(&b, " Time the hypervisor gave these cores to other machines (steal), same parts: %s.\n", strings.Join(parts, ", "))
	}
	if why := r.sharing(); len(why) > 0 {
		fmt.Fprintf(&b, "- **Shared machine**: %s; absolute times are noisy. ", strings.Join(why, "; "))
	} else {
		b.WriteString("- Other processes and the hypervisor took less than 5 % of the cores in every part of the run. ")
	}
	b.WriteString("Every comparison runs its commands interleaved (A B C, B C A, ...) in the same run and reports medians; the ratios of medians, with 95% bootstrap intervals, are the numbers to read. Each measured process starts from a fresh HOME, XDG directories and VAULT_CONFIG_PATH against local dev Vaults on 127.0.0.1 (HTTP, no TLS).\n\n")

	// Targets.
	b.WriteString("## Targets\n\n")
	lookupRatio := ratio(lookupOurs.st.med, lookupBuiltin.st.med)
	lookupCPU := ratio(lookupOurs.st.cpu, lookupBuiltin.st.cpu)
	lookupLo, lookupHi := ratioCI(lookupOurs.raw, lookupBuiltin.raw)
	cpuLo, cpuHi := cpuRatioCI(lookupOurs.raw, lookupBuiltin.raw)
	getRatio := ratio(front.st.med, cat.st.med)
	getLo, getHi := ratioCI(front.raw, cat.raw)
	readerRatio := ratio(front.st.med, goFloor.st.med)
	readerLo, readerHi := ratioCI(front.raw, goFloor.raw)
	rssMiB := float64(front.rss.max) / 1024
	maxRT := 0
	for _, w := range r.heal {
		for _, c := range w.calls {
			maxRT = max(maxRT, len(c.ops))
		}
	}
	scaling := ratio(storeN.med, store0.med)
	scaleLo, scaleHi := ratioCI(wN.stores, w0.stores)
	execCost := r.exec.viaFront.st.med - r.exec.direct.st.med
	execLo, execHi := diffCI(r.exec.viaFront.raw, r.exec.direct.raw)

	var rows [][]string
	rows = append(rows,
		[]string{"`vault token lookup` through our helper ≤ 1.03 × the built-in helper",
			xciT(lookupRatio, lookupLo, lookupHi, targetLookup) + fmt.Sprintf(" (%s vs %s ms); CPU time, steadier under load: %s", ms(lookupOurs.st.med, 1), ms(lookupBuiltin.st.med, 1), xciT(lookupCPU, cpuLo, cpuHi, targetLookup)),
			ciVerdict(lookupRatio, lookupLo, lookupHi, targetLookup)},
		[]string{"`get` ≤ 2.5 × `cat`",
			xciT(getRatio, getLo, getHi, targetGet) + fmt.Sprintf(" (%s vs %s ms)", ms(front.st.med, 2), ms(cat.st.med, 2)),
			ciVerdict(getRatio, getLo, getHi, targetGet)},
		[]string{"`get` ≤ 1.2 × a Go program that only reads the file (bench/cmd/readfile)",
			xciT(readerRatio, readerLo, readerHi, targetReader) + fmt.Sprintf(" (%s vs %s ms)", ms(front.st.med, 2), ms(goFloor.st.med, 2)),
			ciVerdict(readerRatio, readerLo, readerHi, targetReader)},
	)
	if g.rssTool != "" {
		rows = append(rows, []string{"`get` peak RSS ≤ 15 MB", fmt.Sprintf("%.1f MiB (largest of %d runs, GNU time)", rssMiB, set.rssRuns), verdict(rssMiB <= targetRSSMiB)})
	} else {
		rows = append(rows, []string{"`get` peak RSS ≤ 15 MB", "not measured: GNU time (package `time`) is not installed", "unknown"})
	}
	frontClean := haveTrFront && trFront.sockets == 0 && len(trFront.connects) == 0 && trFront.flocks == 0 && trFront.lockOpens == 0
	if haveTrFront {
		what := fmt.Sprintf("%d socket(), %d connect()%s, %d flock(), %d opens of a lock file; %d execve (strace of the front's `get`)",
			trFront.sockets, len(trFront.connects), connectTargets(trFront.connects), trFront.flocks, trFront.lockOpens, trFront.execs)
		rows = append(rows, []string{"`get`: no network and no lock", what, verdict(frontClean)})
	} else {
		rows = append(rows, []string{"`get`: no network and no lock", "not checked: strace is not installed", "unknown"})
	}
	rows = append(rows,
		[]string{"a store that mints: ≤ 4 Vault round trips",
			fmt.Sprintf("%d at most, in %d stores (%s)", maxRT, len(r.heal)*set.storeRuns, strings.Join(wN.calls[0].ops, ", ")),
			verdict(maxRT <= targetStoreRTs)},
		[]string{fmt.Sprintf("store at N = %s ≤ 1.2 × store at N = 0", thousands(wN.n)),
			xciT(scaling, scaleLo, scaleHi, targetScaling) + fmt.Sprintf(" (%s vs %s ms)", ms(storeN.med, 1), ms(store0.med, 1)),
			ciVerdict(scaling, scaleLo, scaleHi, targetScaling)},
		[]string{fmt.Sprintf("the old bash sweep at N = %s, against our store at the same N", thousands(wN.n)),
			fmt.Sprintf("%s (%s vs %s ms)%s", bigx(ratio(wN.sweep.estimate(), storeN.med)), secs(wN.sweep.estimate()), ms(storeN.med, 1), estNote(wN.sweep)),
			"reported"},
		[]string{"every verb but `get` starts one more process (the front executes the full binary)",
			fmt.Sprintf("%s ms [%s–%s] (`--version`: %s vs %s ms), %s of a store at N = 0", signedMs(execCost, 2), ms(execLo, 2), ms(execHi, 2), ms(r.exec.viaFront.st.med, 2), ms(r.exec.direct.st.med, 2), pct(ratio(execCost, store0.med))),
			"reported"},
	)
	table(&b, []string{"Target", "Measured: ratio of medians [95% bootstrap interval]", ""}, rows)

	// 1. get.
	fmt.Fprintf(&b, "## 1. `get`\n\n")
	fmt.Fprintf(&b, "The Vault CLI runs `get` before every command, and runs the front for it. Each command below prints the stored token (or, for `cat` and the Go reader, the whole %d-byte state file `tokens/<key>/state.json`) to a pipe, as the CLI reads a helper; %d interleaved rounds after 10 untimed ones. Time is from fork to wait as the parent sees it; CPU is the user + system time of the process; faults are its minor page faults (medians). Peak RSS is the largest of %d runs under GNU time `%%M`. `vault-token-helper-full get` is the whole tool answering the same `get`; the CLI now runs it only for the other verbs.\n\n",
		g.stateSize, set.getRuns, set.rssRuns)
	rows = nil
	for _, row := range g.rows {
		size, rss := "", "n/a"
		if row.bin != nil {
			size = mb(row.bin.size) + ", " + kind(*row.bin)
		}
		if g.rssTool != "" {
			rss = mib(row.rss.max)
		}
		lo, hi := ratioCI(row.raw, cat.raw)
		rows = append(rows, []string{row.name, ms(row.st.med, 2), ms(row.st.p10, 2) + "–" + ms(row.st.p90, 2), xci(ratio(row.st.med, cat.st.med), lo, hi), ms(row.st.cpu, 2), strconv.FormatInt(row.st.minflt, 10), rss, size})
	}
	table(&b, []string{"Command", "Median ms", "p10–p90 ms", "× cat [95%]", "CPU ms", "Faults", "Peak RSS MiB", "Binary"}, rows)

	budget := time.Duration(targetGet * float64(cat.st.med))
	room := budget - goFloor.st.med
	aboveFloor := front.st.med - goFloor.st.med
	fmt.Fprintf(&b, "A Go program that only reads the file costs %s `cat` here: the Go runtime's start (threads, scheduler, heap) is %s ms above `cat`, a floor no Go helper goes under. ",
		x(ratio(goFloor.st.med, cat.st.med)), ms(goFloor.st.med-cat.st.med, 2))
	if room > 0 {
		fmt.Fprintf(&b, "The target, 2.5 × `cat` = %s ms, leaves %s ms above that floor. ", ms(budget, 2), ms(room, 2))
	} else {
		fmt.Fprintf(&b, "The target, 2.5 × `cat` = %s ms, is below that floor. ", ms(budget, 2))
	}
	fmt.Fprintf(&b, "The front spends %s ms above the floor: the start-up of the packages it links, and the same read with what `store/disk` checks and decodes before it trusts the file (below: %s µs on its first call in a process", ms(aboveFloor, 2), us(fl.first))
	if haveInProcess {
		fmt.Fprintf(&b, ", %s µs warm", us(inProcess))
	}
	fullLo, fullHi := diffCI(full.raw, front.raw)
	fmt.Fprintf(&b, "). The whole tool spends %s ms above the floor: the front saves %s on every `get`.\n\n",
		ms(full.st.med-goFloor.st.med, 2), msci(full.st.med-front.st.med, fullLo, fullHi, 2))

	if len(g.inits) > 0 {
		b.WriteString("### Where the start-up goes: `GODEBUG=inittrace=1`\n\n")
		fmt.Fprintf(&b, "Medians of %d runs of each binary's `get` (the reader's read). \"Init clock\" sums the wall time of every package's init functions; \"main starts\" is when the last one ends, measured from the process start by the runtime.\n\n", set.initRuns)
		rows = nil
		for _, s := range g.inits {
			rows = append(rows, []string{s.name, strconv.Itoa(s.packages), ms(s.total, 2), strconv.FormatInt(s.allocs, 10), ms(s.mainAt, 2)})
		}
		table(&b, []string{"Binary", "Packages with init", "Init clock ms", "Init allocs", "main starts at ms"}, rows)
	}
	if haveInFront && haveInFull {
		b.WriteString("Init clock by origin (median ms, summed over the packages), the front against the full binary:\n\n")
		type group struct {
			n    int
			d    time.Duration
			nF   int
			dF   time.Duration
			name string
		}
		groups := map[string]*group{}
		get := func(name string) *group {
			if groups[name] == nil {
				groups[name] = &group{name: name}
			}
			return groups[name]
		}
		for pkg, d := range inFront.perPkg {
			gr := get(initGroup(pkg))
			gr.n++
			gr.d += d
		}
		for pkg, d := range inFull.perPkg {
			gr := get(initGroup(pkg))
			gr.nF++
			gr.dF += d
		}
		var gs []*group
		for _, gr := range groups {
			gs = append(gs, gr)
		}
		slices.SortFunc(gs, func(a, c *group) int {
			if d := c.dF - a.dF; d != 0 {
				return int(d)
			}
			return strings.Compare(a.name, c.name)
		})
		rows = nil
		for _, gr := range gs {
			rows = append(rows, []string{gr.name, strconv.Itoa(gr.n), ms(gr.d, 3), strconv.Itoa(gr.nF), ms(gr.dF, 3)})
		}
		table(&b, []string{"Origin", "Front: packages", "Front: init ms", "Full: packages", "Full: init ms"}, rows)

		b.WriteString("The ten slowest package inits of each:\n\n")
		sf, sF := slowestInits(inFront, 10), slowestInits(inFull, 10)
		rows = nil
		for i := 0; i < max(len(sf), len(sF)); i++ {
			var a, c string
			if i < len(sf) {
				a = sf[i]
			}
			if i < len(sF) {
				c = sF[i]
			}
			rows = append(rows, []string{strconv.Itoa(i + 1), a, c})
		}
		table(&b, []string{"", "Front (`vault-token-helper`)", "Full (`vault-token-helper-full`)"}, rows)
		if haveInReader {
			fmt.Fprintf(&b, "The front's package inits take %s ms more than the reader's and its `main` starts %s ms later; the whole tool's take %s ms more than the front's, and its `main` starts %s ms after the front's.\n\n",
				ms(inFront.total-inReader.total, 2), ms(inFront.mainAt-inReader.mainAt, 2), ms(inFull.total-inFront.total, 2), ms(inFull.mainAt-inFront.mainAt, 2))
		}
	}

	if fl.runs > 0 {
		b.WriteString("### After `main` starts: the first lookup in a process\n\n")
		fmt.Fprintf(&b, "bench/cmd/firstget makes the front's lookup (the front's `disk.Namer` computing the key, then `disk.Read`: checks of the directories and the file, one read, one decode by `disk.Decode`) twice inside one fresh process and times each call; with `-decode-first` it first decodes the state file with `disk.Decode` alone. Medians of %d runs of each.\n\n", fl.runs)
		table(&b, []string{"Inside one fresh process", "Median µs"}, [][]string{
			{"the lookup, first call", us(fl.first)},
			{"the lookup, second call", us(fl.second)},
			{"`disk.Decode` decoding the state file, first use", us(fl.decode)},
			{"the lookup, first call after that decode", us(fl.afterDecode)},
		})
		most := "Part"
		if 2*fl.decode >= fl.first-fl.second {
			most = "Most"
		}
		fmt.Fprintf(&b, "The first lookup in a process costs %.1f × the second. %s of the difference is the decoder's first use (`disk.Decode`; until 2026-12-04 it was `encoding/json`, whose first decode built its reflective field tables and cost get most of its start-up above the reader): after a decode the first lookup costs %s µs.\n\n",
			ratio(fl.first, fl.second), most, us(fl.afterDecode))
	}

	if len(g.traces) > 0 {
		b.WriteString("### System calls of one `get`: `strace -f`\n\n")
		rows = nil
		for _, tr := range g.traces {
			rows = append(rows, []string{tr.name, strconv.Itoa(tr.syscalls), strconv.Itoa(tr.execs), strconv.Itoa(tr.sockets), strconv.Itoa(len(tr.connects)) + connectTargets(tr.connects), strconv.Itoa(tr.flocks), strconv.Itoa(tr.lockOpens)})
		}
		table(&b, []string{"Binary", "System calls", "execve", "socket", "connect", "flock", "lock file opened"}, rows)
	}

	if r.goBench != "" {
		b.WriteString("### In process: `go test -bench . ./bench`\n\n")
		b.WriteString("The same `get` without a process start (bench/get_test.go): `BenchmarkFilesToken` is what the front does after its start-up, `BenchmarkHelperGet` the full binary's `get` verb.\n\n```\n")
		for _, l := range strings.Split(strings.TrimSpace(r.goBench), "\n") {
			if strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "cpu:") {
				b.WriteString(l + "\n")
			}
		}
		b.WriteString("```\n\n")
	}

	// 2. CLI.
	b.WriteString("## 2. The Vault CLI as a user feels it\n\n")
	fmt.Fprintf(&b, "`vault token lookup`: the CLI asks its token helper for the token, then calls Vault once. %d interleaved rounds after 2 untimed ones. CPU is the user + system time of the CLI and of the helper it ran; on a busy machine it is steadier than the wall time. The last row runs the whole tool as the helper, for comparison.\n\n", set.lookupRuns)
	rows = nil
	for _, row := range r.cli.lookup {
		wlo, whi := ratioCI(row.raw, lookupBuiltin.raw)
		clo, chi := cpuRatioCI(row.raw, lookupBuiltin.raw)
		rows = append(rows, []string{row.name, ms(row.st.med, 1), ms(row.st.p10, 1) + "–" + ms(row.st.p90, 1), xci(ratio(row.st.med, lookupBuiltin.st.med), wlo, whi), ms(row.st.cpu, 1), xci(ratio(row.st.cpu, lookupBuiltin.st.cpu), clo, chi)})
	}
	table(&b, []string{"`vault token lookup` with", "Median ms", "p10–p90 ms", "× built-in [95%]", "CPU ms", "CPU × built-in [95%]"}, rows)
	fmt.Fprintf(&b, "`vault login -method=userpass`: the built-in helper writes a file; ours runs `store` (the front executes the full binary), which mints the periodic token and revokes the previous one. %d interleaved rounds after 1 untimed one.\n\n", set.loginRuns)
	rows = nil
	for _, row := range r.cli.login {
		rows = append(rows, []string{row.name, ms(row.st.med, 1), ms(row.st.p10, 1) + "–" + ms(row.st.p90, 1), x(ratio(row.st.med, r.cli.login[0].st.med))})
	}
	table(&b, []string{"`vault login` with", "Median ms", "p10–p90 ms", "× built-in"}, rows)

	// 3. Heal scaling.
	b.WriteString("## 3. Heal scaling: a store that mints, against the old sweep\n\n")
	fmt.Fprintf(&b, "One dev Vault per N, each holding N unrelated orphan tokens (display name `noise`, created in parallel through the API) plus a few of its own; all run at once so that the stores are interleaved across N (%d rounds after 2 untimed ones). Each store is `vault-token-helper store` of a fresh admin login token, as the CLI runs it: the front executes `vault-token-helper-full`, which mints a periodic token and revokes the one it replaces. The login token is revoked afterwards (not timed) so N stays put. Round trips are counted from the debug log the full binary writes (one `msg=VAULT` line per call). `vault-token-renew --scan` is our own opt-in O(N) scan (%d runs, median); the bash sweep (bench/sweep.sh) is the old renewer's: one `vault token lookup -accessor` process per token, run once per N and stopped after %s.\n\n",
		set.storeRuns, set.scanRuns, set.sweepBudget)
	rows = nil
	for _, w := range r.heal {
		st := summarize(w.stores)
		var vt []time.Duration
		rt := 0
		for _, c := range w.calls {
			vt = append(vt, c.time)
			rt = max(rt, len(c.ops))
		}
		slices.Sort(vt)
		scan := summarize(w.scans)
		scanOps := 0
		if len(w.scanOps) > 0 {
			scanOps = slices.Max(w.scanOps)
		}
		rows = append(rows, []string{
			thousands(w.n), thousands(w.tokens),
			ms(st.med, 1), ms(st.p10, 1) + "–" + ms(st.p90, 1), x(ratio(st.med, store0.med)), strconv.Itoa(rt), ms(median(vt), 1),
			secs(scan.med) + fmt.Sprintf(" (%s calls)", thousands(scanOps)),
			secs(w.sweep.estimate()) + estNote(w.sweep),
			bigx(ratio(w.sweep.estimate(), st.med)),
		})
	}
	table(&b, []string{"N", "Tokens in Vault", "Store median ms", "p10–p90 ms", "× N=0", "Round trips (max)", "In Vault calls ms", "renew --scan", "Bash sweep", "Sweep ÷ store"}, rows)
	fmt.Fprintf(&b, "The calls of a store, in order: %s. None of them depends on how many tokens Vault holds; the time outside Vault calls is the two process starts (the front, then the full binary), the lock and the fsynced writes of the journal and the state.\n\n", strings.Join(wN.calls[0].ops, ", "))
	for _, w := range r.heal {
		if w.noiseTime > 0 {
			fmt.Fprintf(&b, "Creating the %s tokens took %s (%.0f tokens/s). ", thousands(w.n), w.noiseTime.Round(time.Millisecond), float64(w.n)/w.noiseTime.Seconds())
		}
	}
	for _, w := range r.heal {
		if !w.sweep.complete {
			fmt.Fprintf(&b, "At N = %s the bash sweep looked up %s of %s tokens in %s; its full time is extrapolated linearly (one process per token). ", thousands(w.n), thousands(w.sweep.looked), thousands(w.sweep.total), secs(w.sweep.wall))
		}
	}
	b.WriteString("\n\n")

	// 4. Renew.
	b.WriteString("## 4. Renew\n\n")
	fmt.Fprintf(&b, "`vault-token-renew` (what the nightly timer runs; a binary of its own, not behind the front) with 1 and with 10 stored addresses; the 10 addresses are one dev Vault reached directly and through 9 loopback TCP forwarders. %d interleaved rounds after 1 untimed one.\n\n", set.renewRuns)
	rows = nil
	for i, row := range r.renew.rows {
		per := row.st.med
		if i == 1 {
			per /= 10
		}
		rows = append(rows, []string{row.name, ms(row.st.med, 1), ms(row.st.p10, 1) + "–" + ms(row.st.p90, 1), ms(per, 1), strconv.Itoa(r.renew.ops[i])})
	}
	table(&b, []string{"Command", "Median ms", "p10–p90 ms", "Per address ms", "Vault calls per run"}, rows)

	// 5. The other verbs.
	b.WriteString("## 5. The other verbs: one more process\n\n")
	fmt.Fprintf(&b, "For every verb but `get` the front executes `vault-token-helper-full` with the same arguments. `--version` runs the same code in the full binary either way (its `main` builds the whole environment before it looks at the verb), so the difference between these two rows is what the front adds: its own start and one more execve. %d interleaved rounds after 5 untimed ones.\n\n", set.execRuns)
	rows = nil
	for _, row := range []row{r.exec.viaFront, r.exec.direct} {
		rows = append(rows, []string{row.name, ms(row.st.med, 2), ms(row.st.p10, 2) + "–" + ms(row.st.p90, 2), ms(row.st.cpu, 2)})
	}
	table(&b, []string{"Command", "Median ms", "p10–p90 ms", "CPU ms"}, rows)
	fmt.Fprintf(&b, "Through the front: %s ms [%s–%s]", signedMs(execCost, 2), ms(execLo, 2), ms(execHi, 2))
	if r.exec.traced {
		fmt.Fprintf(&b, " (strace counts %d execve for it)", r.exec.trace.execs)
	}
	fmt.Fprintf(&b, ". A store at N = 0 takes %s ms (section 3), so the extra process is %s of it; `vault login` through our helper takes %s ms (section 2).\n\n",
		ms(store0.med, 1), pct(ratio(execCost, store0.med)), ms(loginOurs.st.med, 1))

	// Findings.
	b.WriteString("## What the numbers say\n\n")

	// get against its target.
	decomp := fmt.Sprintf("A Go program that only reads the file already takes %s ms (%s `cat`), ", ms(goFloor.st.med, 2), x(ratio(goFloor.st.med, cat.st.med)))
	if room > 0 {
		decomp += fmt.Sprintf("which leaves %s ms under the target for everything else; the front uses %s ms above that floor", ms(room, 2), ms(aboveFloor, 2))
	} else {
		decomp += fmt.Sprintf("already more than the target allows; the front uses %s ms above that floor", ms(aboveFloor, 2))
	}
	decomp += ". "
	if haveInFront && haveInReader {
		decomp += fmt.Sprintf("Its `main` starts %s ms later than the reader's (its package inits take %s ms more). ", ms(inFront.mainAt-inReader.mainAt, 2), ms(inFront.total-inReader.total, 2))
	}
	if fl.runs > 0 {
		decomp += fmt.Sprintf("Its lookup, the first in the process, takes %s µs", us(fl.first))
		if haveInProcess {
			decomp += fmt.Sprintf(" (%s µs warm)", us(inProcess))
		}
		decomp += fmt.Sprintf("; a first `disk.Decode` of the state alone takes %s µs. ", us(fl.decode))
	}
	decomp += fmt.Sprintf("It has %d more page faults", front.st.minflt-goFloor.st.minflt)
	if haveTrFront && haveTrReader {
		decomp += fmt.Sprintf(" and makes %d more system calls", trFront.syscalls-trReader.syscalls)
	}
	decomp += " than the reader."
	switch judge(getLo, getHi, targetGet) {
	case clearlyMet:
		fmt.Fprintf(&b, "- **`get` meets its target.** The front takes %s ms against %s ms for `cat`: %s. %s",
			ms(front.st.med, 2), ms(cat.st.med, 2), xciT(getRatio, getLo, getHi, targetGet), decomp)
	case withinNoise:
		side := "at or below"
		if getRatio > targetGet {
			side = "above"
		}
		fmt.Fprintf(&b, "- **`get` is at its target, within this run's noise.** The front takes %s ms against %s ms for `cat`: %s, a median %s 2.5 × with 2.5 inside the interval, so this run cannot tell met from missed. %s",
			ms(front.st.med, 2), ms(cat.st.med, 2), xciT(getRatio, getLo, getHi, targetGet), side, decomp)
	default:
		fmt.Fprintf(&b, "- **`get` misses its target.** The front takes %s ms against %s ms for `cat`: %s, over the %s ms that 2.5 × allows. %s",
			ms(front.st.med, 2), ms(cat.st.med, 2), xciT(getRatio, getLo, getHi, targetGet), ms(budget, 2), decomp)
	}
	if getRatio > targetGet {
		if room > 0 {
			fmt.Fprintf(&b, " Meeting it on this machine means taking %s ms out of the front's %s ms above the floor", ms(front.st.med-budget, 2), ms(aboveFloor, 2))
			if fl.runs > 0 {
				fmt.Fprintf(&b, "; what it spends there includes the first decode of the state (%s µs)", us(fl.decode))
				if haveInFront && haveInReader {
					if extra := extraInits(inFront, inReader, 3); len(extra) > 0 {
						fmt.Fprintf(&b, " and the package inits the reader does not run, the slowest %s", strings.Join(extra, ", "))
					}
				}
			}
			b.WriteString(".")
		} else {
			b.WriteString(" No Go helper started as a process can meet it on this machine.")
		}
	}
	b.WriteString("\n")

	// What the split bought.
	fmt.Fprintf(&b, "- **What the front saves.** It links %d modules besides ours (%s); the full binary links %d. On the same `get` the front takes %s ms, the full binary %s ms (%s), with %s against %s ms of package init, %d against %d page faults and %s against %s of binary.\n",
		len(frontInfo.modules), moduleList(frontInfo.modules), len(fullInfo.modules),
		ms(front.st.med, 2), ms(full.st.med, 2), msci(full.st.med-front.st.med, fullLo, fullHi, 2)+" saved",
		ms(inFront.total, 2), ms(inFull.total, 2), front.st.minflt, full.st.minflt, mb(frontInfo.size), mb(fullInfo.size))

	// The CLI.
	allow := time.Duration((targetLookup - 1) * float64(lookupBuiltin.st.med))
	wallJ, cpuJ := judge(lookupLo, lookupHi, targetLookup), judge(cpuLo, cpuHi, targetLookup)
	switch wallJ {
	case clearlyMet:
		b.WriteString("- **`vault token lookup` through our helper meets its target.**")
	case withinNoise:
		b.WriteString("- **`vault token lookup` through our helper is at its target, within this run's noise.**")
	default:
		b.WriteString("- **`vault token lookup` through our helper misses its target.**")
	}
	fmt.Fprintf(&b, " Against a dev Vault on this machine it takes %s ms, with the built-in helper %s ms (%s ms): %s wall, %s CPU.",
		ms(lookupOurs.st.med, 1), ms(lookupBuiltin.st.med, 1), signedMs(lookupOurs.st.med-lookupBuiltin.st.med, 1),
		xciT(lookupRatio, lookupLo, lookupHi, targetLookup), xciT(lookupCPU, cpuLo, cpuHi, targetLookup))
	if wallJ == withinNoise {
		b.WriteString(" 1.03 lies inside the interval of the wall-time ratio: this run cannot tell whether the lookup is above or below it;")
		switch cpuJ {
		case clearlyMet:
			b.WriteString(" the CPU ratio, steadier under load, is under 1.03 over its whole interval.")
		case clearlyMissed:
			b.WriteString(" the CPU ratio, steadier under load, is above 1.03 over its whole interval.")
		default:
			b.WriteString(" neither can the CPU ratio.")
		}
	}
	fmt.Fprintf(&b, " With the whole tool as the helper the difference is %s ms (%s). 1.03 × leaves %s ms for what the built-in helper does not do at all: start a process, run it and read its pipe.",
		signedMs(lookupFull.st.med-lookupBuiltin.st.med, 1), x(ratio(lookupFull.st.med, lookupBuiltin.st.med)), ms(allow, 1))
	fits := func(d time.Duration) string {
		if d > allow {
			return "more than that"
		}
		return "within it"
	}
	fmt.Fprintf(&b, " Measured on their own in section 1, the front's `get` takes %s ms (%s), a Go program that only reads a file %s ms (%s) and `cat` %s ms (%s).",
		ms(front.st.med, 1), fits(front.st.med), ms(goFloor.st.med, 1), fits(goFloor.st.med), ms(cat.st.med, 1), fits(cat.st.med))
	switch {
	case wallJ == clearlyMet:
	case cat.st.med > allow:
		b.WriteString(" On this machine no helper run as a process fits.")
	case goFloor.st.med > allow:
		b.WriteString(" On this machine no helper written in Go and run as a process fits.")
	case front.st.med > allow:
		fmt.Fprintf(&b, " The front would fit only by coming within %s ms of the floor of a Go binary", ms(allow-goFloor.st.med, 2))
		if allow-goFloor.st.med < room {
			fmt.Fprintf(&b, ", a tighter budget than the %s ms of the `get` target", ms(room, 2))
		}
		b.WriteString(".")
	}
	b.WriteString(" The allowance is relative to a lookup against a local Vault; against a remote one each request takes longer and the same helper cost is a smaller share of a command.\n")

	// Network and locks.
	if haveTrFront {
		if frontClean {
			fmt.Fprintf(&b, "- **No network and no lock on `get`.** strace of the front's `get`: %d socket(), %d connect(), %d flock(), the lock file not opened, and %d execve: its own, it does not run the full binary.",
				trFront.sockets, len(trFront.connects), trFront.flocks, trFront.execs)
		} else {
			fmt.Fprintf(&b, "- **`get` is not free of network or locks**: strace of the front's `get` shows %d socket(), %d connect()%s, %d flock() and %d opens of the lock file.",
				trFront.sockets, len(trFront.connects), connectTargets(trFront.connects), trFront.flocks, trFront.lockOpens)
		}
		if haveTrFull && haveTrFullCgo && (trFullCgo.sockets > 0 || len(trFullCgo.connects) > 0) {
			fmt.Fprintf(&b, " The full binary built with cgo on (the default of `go build`, and how `make build` built the tool before the split) opens %d socket(s)%s on every run: `helper.OSEnv` asks for the user name through NSS, and glibc tries the nscd socket first (with NSS modules such as `sss` or `ldap` that lookup can reach the network). As `make build` builds it (CGO_ENABLED=0) it opens %d.",
				trFullCgo.sockets, connectTargets(trFullCgo.connects), trFull.sockets)
		}
		if !frontCgoInfo.dynamic {
			b.WriteString(" The front itself links no package that uses cgo: built with cgo on it is still statically linked, so CGO_ENABLED=0 matters for the full binary (and for `vault-token-renew`, whose `main` builds the same environment), not for `get`.")
		} else {
			b.WriteString(" Built with cgo on, the front is dynamically linked (its row in section 1 shows the cost).")
		}
		if fullCgoInfo.dynamic {
			fmt.Fprintf(&b, " With cgo on the full binary is dynamically linked and its `get` takes %s ms against %s ms.", ms(fullCgo.st.med, 2), ms(full.st.med, 2))
		}
		b.WriteString("\n")
	}

	// The price of the front.
	fmt.Fprintf(&b, "- **Every other verb pays one more process start**: %s (`--version` through the front against the full binary directly), %s of a store at N = 0. `get` runs before every vault command and saves %s ms each time; `store`, `erase` and the others run far less often.\n",
		msci(execCost, execLo, execHi, 2), pct(ratio(execCost, store0.med)), ms(full.st.med-front.st.med, 2))

	// Heal.
	fmt.Fprintf(&b, "- **A heal does not grow with the Vault**: %d round trips whatever N is, %s at N = %s against N = 0. The old sweep grows linearly: %s at N = %s, %s our store.\n",
		maxRT, xciT(scaling, scaleLo, scaleHi, targetScaling), thousands(wN.n), secs(wN.sweep.estimate()), thousands(wN.n), bigx(ratio(wN.sweep.estimate(), storeN.med)))
	b.WriteString("\n")

	// Reproduce.
	b.WriteString("## Reproduce\n\n```\nmake vault   # once: builds the Vault binary the tests and the benchmark use\nmake bench   # about 10 minutes on 2 cores; rewrites this file\n```\n\n")
	fmt.Fprintf(&b, "Settings of this run (environment variables of bench/run.sh): BENCH_GET_RUNS=%d, BENCH_EXEC_RUNS=%d, BENCH_LOOKUP_RUNS=%d, BENCH_LOGIN_RUNS=%d, BENCH_STORE_RUNS=%d, BENCH_SCAN_RUNS=%d, BENCH_RENEW_RUNS=%d, BENCH_INIT_RUNS=%d, BENCH_RSS_RUNS=%d, BENCH_NOISE=%s, BENCH_SWEEP_BUDGET=%d (seconds per N; 0: no limit). Nothing here asserts a time: `make test` never runs it.\n",
		set.getRuns, set.execRuns, set.lookupRuns, set.loginRuns, set.storeRuns, set.scanRuns, set.renewRuns, set.initRuns, set.rssRuns, noiseList(set.noise), int(set.sweepBudget/time.Second))
	return b.String()
}

// signedMs is ms with an explicit sign: a difference.
func signedMs(d time.Duration, decimals int) string {
	if d >= 0 {
		return "+" + ms(d, decimals)
	}
	return "−" + ms(-d, decimals)
}

// us formats a duration in whole microseconds.
func us(d time.Duration) string {
	return strconv.FormatInt(d.Round(time.Microsecond).Microseconds(), 10)
}

// extraInits are the n slowest package inits of s that base does not
// run, as "`pkg` (0.123 ms)".
func extraInits(s, base initSummary, n int) []string {
	only := initSummary{perPkg: map[string]time.Duration{}}
	for p, d := range s.perPkg {
		if _, ok := base.perPkg[p]; !ok {
			only.perPkg[p] = d
		}
	}
	return slowestInits(only, n)
}

// moduleList names modules in backquotes.
func moduleList(mods []string) string {
	if len(mods) == 0 {
		return "none"
	}
	q := make([]string, len(mods))
	for i, m := range mods {
		q[i] = "`" + m + "`"
	}
	return strings.Join(q, ", ")
}

func noiseList(n []int) string {
	var s []string
	for _, v := range n[1:] {
		s = append(s, strconv.Itoa(v))
	}
	return strings.Join(s, ",")
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f s", d.Seconds())
}

func estNote(s sweepResult) string {
	if s.complete {
		return ""
	}
	return fmt.Sprintf(" (est.: %s of %s looked up)", thousands(s.looked), thousands(s.total))
}

func connectTargets(c []string) string {
	if len(c) == 0 {
		return ""
	}
	seen := map[string]bool{}
	var u []string
	for _, t := range c {
		if !seen[t] {
			seen[t] = true
			u = append(u, "`"+t+"`")
		}
	}
	return " to " + strings.Join(u, ", ")
}

// initGroup names where a package comes from.
func initGroup(pkg string) string {
	first, _, _ := strings.Cut(pkg, "/")
	switch {
	case strings.HasPrefix(pkg, "github.com/vault-token-helper/"):
		return "ours (github.com/vault-token-helper/...)"
	case strings.HasPrefix(pkg, "github.com/hashicorp/"):
		return "HashiCorp: vault/api, its dependencies, HCL"
	case strings.HasPrefix(pkg, "golang.org/x/"):
		return "golang.org/x (net/http2, text, sys...)"
	case strings.Contains(first, "."):
		return "other modules (adrg/xdg, go-jose, ...)"
	case pkg == "net" || strings.HasPrefix(pkg, "net/") || strings.HasPrefix(pkg, "crypto/") || strings.HasPrefix(pkg, "vendor/") || pkg == "crypto":
		return "standard library: net, net/http, crypto"
	case pkg == "runtime" || strings.HasPrefix(pkg, "internal/") || strings.HasPrefix(pkg, "runtime/"):
		return "standard library: runtime and internal"
	}
	return "standard library: the rest"
}
