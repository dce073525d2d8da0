//go:build bench

package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// proc is one command to measure.
type proc struct {
	name  string
	path  string
	args  []string
	env   []string
	dir   string
	stdin []byte
	// check, when set, judges one run's output; an error fails the test.
	check func(stdout, stderr string) error
}

// sample is one run of a proc, as wait4 reports it.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user + system, the process and the children it waited for
	rssKB  int64         // peak resident set, KiB
	minflt int64         // minor page faults
}

// result is a run's output and its exit code.
type result struct {
	code           int
	stdout, stderr string
}

// run runs p once and measures it from just before fork to just after
// wait, as the Vault CLI experiences a helper.
func (p proc) run(ctx context.Context) (sample, result, error) {
	cmd := exec.CommandContext(ctx, p.path, p.args...)
	cmd.Env, cmd.Dir = p.env, p.dir
	if p.stdin != nil {
		cmd.Stdin = bytes.NewReader(p.stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	res := result{stdout: out.String(), stderr: errb.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			return sample{}, res, fmt.Errorf("%s: %w", p.name, err)
		}
		res.code = ee.ExitCode()
	}
	s := sample{wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.cpu = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
		s.rssKB = ru.Maxrss
		s.minflt = ru.Minflt
	}
	return s, res, nil
}

// mustRun runs p once and fails the test unless it exits 0 and passes
// its check.
func (p proc) mustRun(t *testing.T) (sample, result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, res, err := p.run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.code != 0 {
		t.Fatalf("%s: got exit %d, want 0\nstdout: %s\nstderr: %s", p.name, res.code, clip(res.stdout), clip(res.stderr))
	}
	if p.check != nil {
		if err := p.check(res.stdout, res.stderr); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
	}
	return s, res
}

// interleave runs every proc once per round, rounds times after warmup
// untimed rounds, rotating which proc goes first so that none always
// follows the same one. A drift in the machine's load hits every proc
// alike; medians drop the outliers.
func interleave(t *testing.T, procs []proc, warmup, rounds int) [][]sample {
	t.Helper()
	out := make([][]sample, len(procs))
	for r := -warmup; r < rounds; r++ {
		for i := range procs {
			j := (i + r + warmup) % len(procs)
			s, _ := procs[j].mustRun(t)
			if r >= 0 {
				out[j] = append(out[j], s)
			}
		}
	}
	return out
}

// stats summarises samples.
type stats struct {
	n                  int
	med, p10, p90, min time.Duration
	cpu                time.Duration // median
	rssMedKB, rssMaxKB int64
	minflt             int64 // median
}

func summarize(ss []sample) stats {
	if len(ss) == 0 {
		return stats{}
	}
	walls := make([]time.Duration, len(ss))
	cpus := make([]time.Duration, len(ss))
	rss := make([]int64, len(ss))
	flt := make([]int64, len(ss))
	for i, s := range ss {
		walls[i], cpus[i], rss[i], flt[i] = s.wall, s.cpu, s.rssKB, s.minflt
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	slices.Sort(rss)
	slices.Sort(flt)
	return stats{
		n: len(ss), med: median(walls), p10: quantile(walls, 0.10), p90: quantile(walls, 0.90), min: walls[0],
		cpu: median(cpus), rssMedKB: median(rss), rssMaxKB: rss[len(rss)-1], minflt: median(flt),
	}
}

// median of sorted values.
func median[T int64 | time.Duration | float64](v []T) T {
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// quantile of sorted values, nearest rank.
func quantile[T int64 | time.Duration | float64](v []T, q float64) T {
	if len(v) == 0 {
		return 0
	}
	i := int(q*float64(len(v)-1) + 0.5)
	return v[i]
}

// ratioCI is a 95% bootstrap interval of median(a) / median(b) of the
// wall times, with a fixed seed so that the same samples give the same
// interval.
func ratioCI(a, b []sample) (lo, hi float64) {
	return bootstrapCI(a, b, wallOf, func(ma, mb time.Duration) float64 { return ratio(ma, mb) })
}

// cpuRatioCI is ratioCI of the CPU times.
func cpuRatioCI(a, b []sample) (lo, hi float64) {
	return bootstrapCI(a, b, cpuOf, func(ma, mb time.Duration) float64 { return ratio(ma, mb) })
}

// diffCI is a 95% bootstrap interval of median(a) − median(b) of the
// wall times.
func diffCI(a, b []sample) (lo, hi time.Duration) {
	l, h := bootstrapCI(a, b, wallOf, func(ma, mb time.Duration) float64 { return float64(ma - mb) })
	return time.Duration(l), time.Duration(h)
}

func wallOf(s sample) time.Duration { return s.wall }
func cpuOf(s sample) time.Duration  { return s.cpu }

// bootstrapCI resamples a and b 2,000 times and returns the 2.5% and
// 97.5% quantiles of stat(median(a), median(b)).
func bootstrapCI(a, b []sample, of func(sample) time.Duration, stat func(ma, mb time.Duration) float64) (lo, hi float64) {
	if len(a) == 0 || len(b) == 0 {
		return 0, 0
	}
	const iterations = 2000
	rng := rand.New(rand.NewPCG(1, 2))
	ra := make([]time.Duration, len(a))
	rb := make([]time.Duration, len(b))
	stats := make([]float64, iterations)
	for i := range stats {
		for j := range ra {
			ra[j] = of(a[rng.IntN(len(a))])
		}
		for j := range rb {
			rb[j] = of(b[rng.IntN(len(b))])
		}
		slices.Sort(ra)
		slices.Sort(rb)
		stats[i] = stat(median(ra), median(rb))
	}
	slices.Sort(stats)
	return quantile(stats, 0.025), quantile(stats, 0.975)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ms formats a duration in milliseconds with the given decimals.
func ms(d time.Duration, decimals int) string {
	return fmt.Sprintf("%.*f", decimals, float64(d)/float64(time.Millisecond))
}

func mib(kb int64) string { return fmt.Sprintf("%.1f", float64(kb)/1024) }

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

// withEnv returns env with key set to value.
func withEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}
