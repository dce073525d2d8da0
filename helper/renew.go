package helper

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	installer "github.com/vault-token-helper/vault-token-helper/helper/setup"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// RenewRecoveryBudget bounds the settling of the journal in a renew run,
// which, unlike a store, has no user waiting.
const RenewRecoveryBudget = 30 * time.Second

// renewOptions are vault-token-renew's flags.
type renewOptions struct {
	only        string // a normalized address; "" for every stored one
	metricsFile string // --metrics-file; "" for metrics_file of the config
	heal.RenewOptions
}

// RunRenew is vault-token-renew: the renew verb of vault-token-helper
// under its own name (the scheduler runs either). `help` and `version`
// work as verbs too.
func RunRenew(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	// Every token the run learns is redacted from everything it writes
	// (Run does the same for the renew verb).
	env = env.resolved()
	stdout, stderr = env.red.Writer(stdout), env.red.Writer(stderr)
	if len(args) == 1 {
		switch args[0] {
		case "help":
			args = []string{"--help"}
		case "version":
			args = []string{"--version"}
		}
	}
	return runRenew(ctx, "vault-token-renew", args, stdout, stderr, env)
}

// runRenew is the one code path of vault-token-renew and of
// `vault-token-helper renew`; prog is how the user called it.
func runRenew(ctx context.Context, prog string, args []string, stdout, stderr io.Writer, env Env) int {
	opt, code, done := parseRenewArgs(prog, args, stdout, stderr, env)
	if done {
		return code
	}
	log, closeLog, warn := openLog(env)
	defer closeLog()
	if warn != "" {
		renewLine(stdout, heal.EventWarn, "%s", warn)
	}
	// A broken configuration does not stop renewal: each stored token is
	// checked against the guard recorded with it, nothing is minted or
	// healed from ~/.vault-token, and the run fails visibly.
	cfg, cfgErr := LoadConfig(env.Paths.Config)
	if cfgErr != nil {
		log.Error(heal.EventError, "op", "renew", "error", oneLine(cfgErr.Error()), "note", "renewing against the guard recorded with each token")
		renewLine(stdout, heal.EventError, "%s; renewing the stored tokens against the guard recorded with each; fix the configuration", cfgErr)
		cfg = DefaultConfig()
	} else if err := SyncLazyMarker(env, cfg); err != nil {
		renewLine(stdout, heal.EventWarn, "cannot record lazy_renew for get: %s", err)
	}

	states, errs := env.files().List()
	healthy := len(errs) == 0 && cfgErr == nil
	for _, err := range errs {
		log.Error(heal.EventError, "op", "renew: list the store", "error", oneLine(err.Error()))
		renewLine(stdout, heal.EventError, "%s", err)
	}
	mk := storedMirrorKey(cfg, states)
	if amb := mirrorAmbiguous(cfg, states); len(amb) > 0 {
		log.Warn(heal.EventWarn, "op", "mirror", "error", "mirror_address matches several stored addresses", "addresses", strings.Join(amb, " "))
		renewLine(stdout, heal.EventWarn, "mirror_address %s matches %s, none written exactly as it; ~/.vault-token mirrors none of them: write mirror_address as one of them", cfg.MirrorAddress, strings.Join(amb, " and "))
	}
	targets := renewTargets(env, states, mk, opt.only)
	if len(targets) == 0 {
		if opt.only != "" {
			renewLine(stdout, heal.EventError, "%s: no token is stored for this address; run `vault login` with VAULT_ADDR=%s first", opt.only, opt.only)
			return ExitFail
		}
		renewLine(stdout, heal.EventSkip, "no Vault address has a stored token yet; log in first: %s", installer.LoginHint("vault", ""))
		return exitCode(healthy)
	}
	drift := map[store.Key]bool{}
	for _, st := range targets {
		if ctx.Err() != nil {
			// SIGTERM or SIGINT: the remaining addresses are left alone.
			renewLine(stdout, heal.EventError, "%s: not renewed: interrupted", st.Key())
			healthy = false
			continue
		}
		ok, drifted := renewAddress(ctx, env, cfg, cfgErr != nil, log, st, st.Key() == mk, opt.RenewOptions, RenewWaitNotice, stdout, stderr)
		if !ok {
			healthy = false
		}
		drift[st.Key()] = drifted
	}
	if path := cmp.Or(opt.metricsFile, cfg.MetricsFile); path != "" && !opt.DryRun {
		if err := renewMetrics(env, cfg, path, drift); err != nil {
			renewLine(stdout, heal.EventWarn, "%s", err)
		}
	}
	return exitCode(healthy)
}

// renewMetrics writes the metrics textfile after a renew run.
func renewMetrics(env Env, cfg *Config, path string, drift map[store.Key]bool) error {
	ms, err := storeMetrics(env, cfg, drift)
	if werr := WriteMetrics(path, ms); werr != nil {
		return werr
	}
	if err != nil {
		return fmt.Errorf("the metrics file %q leaves out addresses that cannot be read: %w", path, err)
	}
	return nil
}

// parseRenewArgs reads the flags. done means the run is over, with code.
func parseRenewArgs(prog string, args []string, stdout, stderr io.Writer, env Env) (opt renewOptions, code int, done bool) {
	doc, _ := lookupVerb("renew")
	if wantsHelp(args) {
		printVerbHelp(stdout, prog, doc)
		fmt.Fprintf(stdout, "  %-22s %s\n", "--version", "print the version, commit and Go version")
		fmt.Fprintf(stdout, "\nEach line of output starts with what happened: %s or %s.\n",
			strings.Join(heal.RenewEvents[:len(heal.RenewEvents)-1], ", "), heal.RenewEvents[len(heal.RenewEvents)-1])
		return opt, ExitOK, true
	}
	// The table's flags, and --version: vault-token-renew is a program
	// of its own.
	flags := flagSet(prog, renewFlags)
	version := flags.Bool("version", false, "")
	if code, done := parseFlags(flags, prog, args, 0, stderr); done {
		return opt, code, true
	}
	opt.Scan, opt.DryRun = flags.Lookup("scan").Value.String() == "true", flags.Lookup("dry-run").Value.String() == "true"
	opt.metricsFile = flags.Lookup("metrics-file").Value.String()
	addrFlag := flags.Lookup("address").Value.String()
	for _, acc := range *flags.Lookup("revoke").Value.(*manyFlag) {
		if acc == "" || strings.ContainsAny(acc, " \t\n") {
			return opt, usageError(stderr, prog, fmt.Sprintf("--revoke: not an accessor: %q", acc), ""), true
		}
		opt.Revoke = append(opt.Revoke, acc)
	}
	if len(opt.Revoke) > 0 && !opt.Scan {
		return opt, usageError(stderr, prog, "--revoke names a token for --scan to revoke: add --scan", ""), true
	}
	if *version {
		printVersion(stdout, prog, env)
		return opt, ExitOK, true
	}
	if addrFlag != "" {
		a, err := store.NormalizeAddr(addrFlag)
		if err != nil {
			return opt, usageError(stderr, prog, "--address: "+oneLine(err.Error()), ""), true
		}
		opt.only = a
	}
	return opt, ExitOK, false
}

// renewTargets are the states to renew, ordered by key: every stored
// address, plus the mirrored one (mk) when ~/.vault-token exists even
// though nothing is stored for it yet; only those of address only when
// it is set.
func renewTargets(env Env, states []store.State, mk store.Key, only string) []store.State {
	byKey := map[store.Key]store.State{}
	for _, st := range states {
		byKey[st.Key()] = st
	}
	if _, ok := byKey[mk]; !ok && mk != (store.Key{}) {
		if _, err := os.Lstat(env.Paths.MirrorDef); !errors.Is(err, fs.ErrNotExist) {
			byKey[mk] = store.State{Address: mk.Addr, Namespace: mk.Namespace}
		}
	}
	var out []store.State
	for k, st := range byKey {
		if only == "" || k.Addr == only {
			out = append(out, st)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key().String() < out[j].Key().String() })
	return out
}

// RenewWaitNotice is how long a renew waits for a Vault call before it
// says what it is waiting for: the unattended retries of a Vault that is
// down can last a minute or two, and a person running renew by hand must
// not face a silent terminal.
const RenewWaitNotice = 3 * time.Second

// renewAddress runs renew for one address and prints its lines. It
// reports whether the address is healthy, and whether its stored token
// was found not ours (DRIFT).
// recorded: the configuration could not be read; the stored token is
// checked against the guard recorded with it and the mirror is left alone.
// notice: how long a Vault call may go unanswered before a line on
// stderr (progress for a person, not a result) says what renew is
// waiting for (RenewWaitNotice).
func renewAddress(ctx context.Context, env Env, cfg *Config, recorded bool, log *slog.Logger, st store.State, mirrored bool, opt heal.RenewOptions, notice time.Duration, stdout, stderr io.Writer) (healthy, drift bool) {
	k := st.Key()
	if st.Current == nil && !mirrored && len(st.Journal) == 0 && len(st.Pending) == 0 {
		renewLine(stdout, heal.EventSkip, "%s: no token stored (erased)", k)
		return true, false
	}
	// Nobody waits for renew: it retries long enough to outlast an
	// election, with the TLS settings recorded with the token unless its
	// own environment has some.
	h, err := newHealer(env, cfg, k, log, reachFor(env, st.Current, true, heal.UnattendedRetry))
	if err != nil {
		log.Error(heal.EventError, "op", "renew", "address", k.String(), "error", oneLine(err.Error()))
		renewLine(stdout, heal.EventError, "%s: %s", k, err)
		return false, false
	}
	if mirrored && !recorded {
		h.Mirror = heal.NewMirror(env.Paths.MirrorDef)
	}
	h.Recorded = recorded
	h.RecoveryBudget = RenewRecoveryBudget
	watched := &watchedVault{Vault: h.Vault}
	h.Vault = watched
	// Nobody waits for renew: its calls may wait out a leader election.
	opCtx, cancel := context.WithTimeout(ctx, env.renewBound())
	defer cancel()
	stopWatch := watched.noticeAfter(notice, func(what string, waited time.Duration) {
		left := ""
		if dl, ok := opCtx.Deadline(); ok {
			left = fmt.Sprintf(" for up to %s more", time.Until(dl).Round(time.Second))
		}
		if waited >= time.Second {
			waited = waited.Round(time.Second)
		}
		fmt.Fprintf(stderr, "vault-token-renew: %s: waiting for Vault to answer %s (no answer for %s: down, sealed, or electing a leader?); retrying%s; Ctrl-C stops it\n", k, what, waited.Round(time.Millisecond), left)
	})
	// An error is also in the report, as an ERROR line, with Healthy false.
	rep, err := h.Renew(opCtx, opt)
	stopWatch()
	healthy = err == nil && rep.Healthy
	// When Vault could not be used, the last ERROR line, which names the
	// cause, ends with what to do: one line, as for every fault.
	advise := -1
	if !healthy && watched.unavailable() != nil {
		for i, l := range rep.Lines {
			if l.Event == heal.EventError {
				advise = i
			}
		}
	}
	for i, l := range rep.Lines {
		if i == advise {
			l.Text += fmt.Sprintf("; not renewed, nothing changed%s; check that Vault runs and is unsealed at %s (`vault status`) and that VAULT_ADDR and its TLS settings are right, then run vault-token-renew again",
				stillValid(st.Current, env.Now()), k.Addr)
		}
		fmt.Fprintln(stdout, oneLine(l.String()))
		drift = drift || l.Event == heal.EventDrift
	}
	return healthy, drift
}

// stillValid says, for the end of a failed renew, how long the stored
// token lasts without one: ": the stored token expires in 30 days,
// 2026-12-31".
func stillValid(cur *store.Token, now time.Time) string {
	if cur == nil || cur.ExpireTime.IsZero() {
		return ""
	}
	return ": the stored token " + expiryWords(cur.ExpireTime, now)
}

// watchedVault is the healer's Vault during a renew run: it knows the
// call in flight, for the notice of what renew waits for, and the last
// call that found Vault unavailable, for the advice at the end.
type watchedVault struct {
	heal.Vault
	mu       sync.Mutex
	inflight string    // the call in flight, in words; "" when none
	since    time.Time // when it started
	lastDown error     // the last error wrapping heal.ErrUnavailable
}

var _ heal.Vault = (*watchedVault)(nil)

// watch runs one call named what.
func watch[T any](w *watchedVault, what string, call func() (T, error)) (T, error) {
	w.mu.Lock()
	w.inflight, w.since = what, time.Now()
	w.mu.Unlock()
	v, err := call()
	w.mu.Lock()
	w.inflight = ""
	if errors.Is(err, heal.ErrUnavailable) {
		w.lastDown = err
	} else {
		w.lastDown = nil // Vault answered
	}
	w.mu.Unlock()
	return v, err
}

// unavailable is why Vault was last found unavailable, nil when the last
// call it answered came after.
func (w *watchedVault) unavailable() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastDown
}

// noticeAfter calls say once, the first time a call has been in flight
// for d; the returned stop ends the watch (and waits for a say running).
func (w *watchedVault) noticeAfter(d time.Duration, say func(what string, waited time.Duration)) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(max(d/4, 10*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			w.mu.Lock()
			what, since := w.inflight, w.since
			w.mu.Unlock()
			if what != "" && time.Since(since) >= d {
				say(what, time.Since(since))
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func (w *watchedVault) LookupSelf(ctx context.Context, token string) (heal.TokenInfo, error) {
	return watch(w, "the lookup of the stored token", func() (heal.TokenInfo, error) { return w.Vault.LookupSelf(ctx, token) })
}

func (w *watchedVault) LookupAccessor(ctx context.Context, token, accessor string) (heal.TokenInfo, error) {
	return watch(w, "a token lookup", func() (heal.TokenInfo, error) { return w.Vault.LookupAccessor(ctx, token, accessor) })
}

func (w *watchedVault) CreateOrphan(ctx context.Context, token string, req heal.MintRequest) (heal.Minted, error) {
	return watch(w, "a mint", func() (heal.Minted, error) { return w.Vault.CreateOrphan(ctx, token, req) })
}

func (w *watchedVault) RenewSelf(ctx context.Context, token string, increment time.Duration) (time.Duration, error) {
	return watch(w, "the renewal of the stored token", func() (time.Duration, error) { return w.Vault.RenewSelf(ctx, token, increment) })
}

func (w *watchedVault) RevokeSelf(ctx context.Context, token string) error {
	_, err := watch(w, "a revocation", func() (struct{}, error) { return struct{}{}, w.Vault.RevokeSelf(ctx, token) })
	return err
}

func (w *watchedVault) RevokeAccessor(ctx context.Context, token, accessor string) error {
	_, err := watch(w, "a revocation", func() (struct{}, error) { return struct{}{}, w.Vault.RevokeAccessor(ctx, token, accessor) })
	return err
}

func (w *watchedVault) ListAccessors(ctx context.Context, token string) ([]string, error) {
	return watch(w, "the list of accessors", func() ([]string, error) { return w.Vault.ListAccessors(ctx, token) })
}

func (w *watchedVault) CanMint(ctx context.Context, token string) (bool, error) {
	return watch(w, "the capabilities check", func() (bool, error) { return w.Vault.CanMint(ctx, token) })
}

// renewLine prints one line of renew's output: an event and its text.
func renewLine(w io.Writer, event, format string, args ...any) {
	fmt.Fprintln(w, oneLine(heal.Line{Event: event, Text: fmt.Sprintf(format, args...)}.String()))
}

func exitCode(healthy bool) int {
	if healthy {
		return ExitOK
	}
	return ExitFail
}
