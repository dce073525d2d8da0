// Package helper is the command line of vault-token-helper and
// vault-token-renew: the Vault CLI's token helper protocol, the renew
// run, status, and the configuration file.
//
// Protocol (the Vault CLI runs the helper with exactly one argument):
//   - get: print the token stored for the address and namespace the
//     calling CLI talks to (its -agent-address, VAULT_AGENT_ADDR,
//     -address and -namespace flags, else VAULT_ADDR and VAULT_NAMESPACE,
//     or their BAO_ twins under the bao CLI: front.KeyFor) on stdout with
//     no newline; nothing stored prints
//     nothing. No network, no lock, no configuration. Exit 0, or 1 with
//     one line on stderr when the token file is unsafe (symlink, foreign
//     owner, loose mode) or the server cannot be told for certain.
//     store and erase pick the address the same way.
//   - store: the new token on stdin; heal decides what to keep. Exit 0,
//     or 1 with one line on stderr (refused, bad input, Vault
//     unavailable); on failure nothing stored changes.
//   - erase: forget the stored token (revoking it when this tool minted
//     it). Exit 0, or 1 with one line on stderr. It works with a broken
//     configuration (on the guard recorded with the token), with a warning.
//   - rotate (not called by the CLI): mint a successor of the stored
//     periodic token with its own authority; the old one is revoked after
//     rotate_grace.
//
// Exit codes, decided in exitCode: 0 success, 1 failure, 2 usage.
// stdout carries only the token (get) or the status output; everything
// else goes to stderr and the log, and never a token.
package helper

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// DefaultOperationBound is what operationBound is with the default
// request timeout: 2 × heal.InteractiveRetry.CallBound(heal.DefaultTimeout)
// = 40s.
var DefaultOperationBound = 2 * heal.InteractiveRetry.CallBound(heal.DefaultTimeout)

// DefaultRenewBound is what renewBound is with the default request
// timeout: 2 × heal.UnattendedRetry.CallBound(heal.DefaultTimeout) = 140s.
var DefaultRenewBound = 2 * heal.UnattendedRetry.CallBound(heal.DefaultTimeout)

// Run is vault-token-helper (the full binary; the front one answers get
// itself and executes this for everything else).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	// Every token the command learns is redacted from everything it
	// writes but get's answer.
	env = env.resolved()
	tty := isTerminal(stderr) // before the redacting writer hides the terminal
	stderr = env.red.Writer(stderr)
	if len(args) != 1 || args[0] != "get" {
		stdout = env.red.Writer(stdout)
	}
	if len(args) == 0 {
		return usageError(stderr, helperName, "no command given (get, store, erase, status, doctor, renew...)", "")
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "-h", "-help", "--help":
		verb = "help"
	case "-version", "--version":
		verb = "version"
	}
	v, ok := lookupVerb(verb)
	if !ok {
		if strings.HasPrefix(verb, "-") {
			return usageError(stderr, helperName, fmt.Sprintf("unknown flag %s before the command", verb), "")
		}
		return unknownVerb(stderr, verb)
	}
	c := call{ctx: ctx, verb: v.Name, prog: helperName + " " + v.Name, args: rest,
		stdin: stdin, stdout: stdout, stderr: stderr, env: env, tty: tty}
	if !v.OwnHelp && wantsHelp(rest) {
		printVerbHelp(stdout, c.prog, v)
		return ExitOK
	}
	if v.MaxArgs != ownArgs {
		c.flags = flagSet(c.prog, v.Flags)
		if code, done := parseFlags(c.flags, c.prog, rest, v.MaxArgs, stderr); done {
			return code
		}
		c.args = c.flags.Args()
	}
	return v.Run(c)
}

// cliSafe runs a verb the Vault CLI calls (store, erase) and keeps what
// it prints on failure readable there: the CLI shows the helper's output
// quoted with %q (`Error storing token: "...": exit status 1`), so an
// embedded quote or newline would show as \" or \n. When stderr is not a
// terminal (tty false) the output becomes one line, without double quotes.
func cliSafe(stderr io.Writer, tty bool, run func(io.Writer) int) int {
	if tty {
		return run(stderr)
	}
	var buf strings.Builder
	code := run(&buf)
	if out := oneLineForCLI(buf.String()); out != "" {
		io.WriteString(stderr, out)
	}
	return code
}

// oneLineForCLI joins the lines of s with "; ", drops the repeated
// program prefix, and turns double quotes into single ones. No final
// newline: the CLI quotes the output as it is.
func oneLineForCLI(s string) string {
	var parts []string
	for i, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if i > 0 {
			l = strings.TrimPrefix(l, helperName+": ")
		}
		parts = append(parts, oneLine(l))
	}
	return strings.ReplaceAll(strings.Join(parts, "; "), `"`, "'")
}

// fail prints one line for err on stderr and returns the exit code.
func fail(stderr io.Writer, prefix string, err error) int {
	fmt.Fprintf(stderr, "vault-token-helper: %s%s\n", prefix, oneLine(err.Error()))
	return ExitFail
}

// withHint adds what to do next to errors that do not say it already.
func withHint(err error) error {
	switch {
	case errors.Is(err, heal.ErrUnavailable):
		return fmt.Errorf("%w; try again once Vault answers", err)
	case errors.Is(err, heal.ErrInvalidToken):
		return fmt.Errorf("%w; log in again", err)
	}
	return err
}

// oneLine folds white space runs (Vault's multi-line errors) into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// keyFromEnv is the key of the server the program that ran the helper
// with verb talks to: its -address and -namespace flags when it is the
// vault or bao CLI, else the environment (front.KeyFor).
// callerOf is the program that ran the helper with verb.
func callerOf(env Env, verb string) caller.Caller { return env.Caller(verb) }

// devServerStore is store under `vault server -dev` (or `bao server
// -dev`): the CLI hands the root token of the in-memory server it starts.
// It is not kept and no server is contacted: a failing store would stop
// dev mode, and keeping it would replace the token stored for the dev
// listener's address (127.0.0.1:8200, also the CLI's default, is often a
// tunnel to a real server) with one that dies with the dev server.
// The dev server prints its root token; `vault login` with it (or
// VAULT_TOKEN) works as for any server. See docs/design.md.
func devServerStore(stderr io.Writer, env Env) int {
	log, closeLog, warn := openLog(env)
	defer closeLog()
	if warn != "" {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(warn))
	}
	log.Info(heal.EventSkip, "op", "store", "note", "vault server -dev hands its root token: not kept, no server contacted")
	fmt.Fprintln(stderr, "vault-token-helper: the dev server's root token is not kept (nothing stored, no server contacted); log in to the dev server with it when you need it")
	return ExitOK
}

func keyFromEnv(env Env, verb string) (store.Key, error) {
	return keyOf(env, callerOf(env, verb))
}

// keyOf is keyFromEnv for a caller already identified.
func keyOf(env Env, c caller.Caller) (store.Key, error) {
	lookup := env.LookupEnv
	return front.KeyFor(c, lookup)
}

func get(stdout, stderr io.Writer, env Env) int {
	key, err := keyFromEnv(env, "get")
	return front.Get(stdout, stderr, key, err, env.Paths.Data, nil) // the lazy renew is the front's
}

// setup is what every verb but get needs: the key, the configuration,
// the log and a healer for the address.
type setup struct {
	key    store.Key
	cfg    *Config
	log    *slog.Logger
	close  func()
	healer *heal.Healer
}

// newSetup builds what verb needs. Every failure is logged. With
// recorded, a configuration that cannot be read is a warning: the healer
// then checks the stored token against the guard recorded with it. A
// verb that stores a token (store, adopt, rotate, setup) reaches Vault as
// its own environment says; erase uses the TLS settings recorded with the
// stored token when the environment has none.
func newSetup(env Env, stderr io.Writer, verb string, recorded bool) (*setup, error) {
	useRecorded := verb == "erase"
	log, closeLog, warn := openLog(env)
	if warn != "" {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(warn))
	}
	fail := func(err error) (*setup, error) {
		log.Error(heal.EventError, "op", verb, "error", oneLine(err.Error()))
		closeLog()
		return nil, err
	}
	c := callerOf(env, verb)
	key, err := keyOf(env, c)
	if err != nil {
		return fail(err)
	}
	cfg, cfgErr := LoadConfig(env.Paths.Config)
	if cfgErr != nil {
		if !recorded {
			return fail(cfgErr)
		}
		log.Error(heal.EventError, "op", verb, "error", oneLine(cfgErr.Error()), "note", "using the guard recorded with the stored token")
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s; %s works on the stored token against the guard recorded with it; fix the configuration\n", oneLine(cfgErr.Error()), verb)
		cfg = DefaultConfig()
	} else if err := SyncLazyMarker(env, cfg); err != nil {
		log.Warn(heal.EventWarn, "op", "record lazy_renew for get", "error", err.Error())
	}
	// An unreadable entry of another address only blurs which address
	// the mirror follows; its own command reports it.
	states, errs := env.files().List()
	for _, err := range errs {
		log.Warn(heal.EventWarn, "op", "list the store", "error", err.Error())
	}
	var cur *store.Token
	for _, st := range states {
		if st.Key() == key {
			cur = st.Current
		}
	}
	r := reachFor(env, cur, useRecorded, heal.InteractiveRetry)
	h, err := newHealer(env, cfg, key, log, r)
	if err != nil && r.Source == TLSRecorded {
		// A recorded CA or client certificate that is gone must not keep
		// erase from forgetting the token: go on as the environment says.
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s; going on without them\n", oneLine(err.Error()))
		h, err = newHealer(env, cfg, key, log, reachFor(env, cur, false, heal.InteractiveRetry))
	}
	if err != nil {
		return fail(err)
	}
	h.Recorded = cfgErr != nil
	if c.CLI == caller.Bao {
		h.CLI = "bao" // what to run next names the CLI that called
	}
	if amb := mirrorAmbiguous(cfg, states); len(amb) > 0 {
		log.Warn(heal.EventWarn, "op", "mirror", "error", "mirror_address matches several stored addresses", "addresses", strings.Join(amb, " "))
		fmt.Fprintf(stderr, "vault-token-helper: warning: mirror_address %s matches %s, none written exactly as it; ~/.vault-token mirrors none of them: write mirror_address as one of them\n", cfg.MirrorAddress, strings.Join(amb, " and "))
	}
	if mirrorKey(cfg, states, key) == key {
		h.Mirror = heal.NewMirror(env.Paths.MirrorDef)
	}
	return &setup{key: key, cfg: cfg, log: log, close: closeLog, healer: h}, nil
}

func newHealer(env Env, cfg *Config, key store.Key, log *slog.Logger, r reach) (*heal.Healer, error) {
	files := env.files()
	// The normalized address is an equivalent URL for the client.
	v, err := env.loggedVault(key.Addr, key.Namespace, r.options(), log)
	if err != nil {
		return nil, err
	}
	installID, err := files.InstallID()
	if err != nil {
		return nil, err
	}
	spec, revoke := cfg.For(key.Addr)
	wait, err := env.lockWait()
	if err != nil {
		return nil, err
	}
	h := &heal.Healer{
		Files:         files,
		Key:           key,
		Vault:         v,
		Spec:          spec,
		Log:           log,
		LockWait:      wait,
		RevokeLogin:   revoke,
		RotateOnLogin: cfg.RotateOnLogin,
		RotateGrace:   cfg.RotateGrace,
		Now:           env.Now,
		NewID:         newID,
		Host:          env.Hostname,
		User:          env.User,
		InstallID:     installID,
		Crash:         env.Crash,
		TLS:           r.TLS,
	}
	return h, nil
}

// mirrorKey is the address whose periodic token ~/.vault-token mirrors:
// mirror_address from the config (in whatever namespace it is stored; the
// root namespace when it is stored in several), or else the only address
// with a stored token (current, the one being worked on, when none has
// one yet). A stored address written exactly as mirror_address wins;
// without one, an address matches under another spelling of the same
// socket (store.SameServer: localhost and 127.0.0.1, nothing else). When
// several spellings match and none is exact, none is picked (see
// mirrorAmbiguous). The zero Key means none.
func mirrorKey(cfg *Config, states []store.State, current store.Key) store.Key {
	k, _ := mirrorMatch(cfg, states, current)
	return k
}

// mirrorAmbiguous returns the stored addresses that all match
// mirror_address under other spellings than its own, when there are
// several: then ~/.vault-token mirrors none of them. Empty otherwise.
func mirrorAmbiguous(cfg *Config, states []store.State) []string {
	_, amb := mirrorMatch(cfg, states, store.Key{})
	return amb
}

func mirrorMatch(cfg *Config, states []store.State, current store.Key) (store.Key, []string) {
	if !cfg.Mirror {
		return store.Key{}, nil
	}
	var stored []store.Key
	for _, st := range states {
		if st.Current != nil {
			stored = append(stored, st.Key())
		}
	}
	if cfg.MirrorAddress != "" {
		var exact, alias []store.Key
		var spellings []string
		for _, k := range stored {
			switch {
			case k.Addr == cfg.MirrorAddress:
				exact = append(exact, k)
			case store.SameServer(k.Addr, cfg.MirrorAddress):
				alias = append(alias, k)
				if !slices.Contains(spellings, k.Addr) {
					spellings = append(spellings, k.Addr)
				}
			}
		}
		matching := exact
		if len(exact) == 0 {
			if len(spellings) > 1 {
				// Never pick one by the order of the store's directory.
				slices.Sort(spellings)
				return store.Key{}, spellings
			}
			matching = alias
		}
		switch len(matching) {
		case 0:
			if current.Addr != "" && store.SameServer(current.Addr, cfg.MirrorAddress) {
				return current, nil
			}
			return store.Key{Addr: cfg.MirrorAddress}, nil
		case 1:
			return matching[0], nil
		}
		for _, k := range matching {
			if k.Namespace == "" {
				return k, nil
			}
		}
		return store.Key{}, nil
	}
	switch len(stored) {
	case 0:
		return current, nil
	case 1:
		return stored[0], nil
	}
	return store.Key{}, nil
}

// storedMirrorKey is mirrorKey for commands that work on every stored
// address (renew, status): the current key is the store's only one.
func storedMirrorKey(cfg *Config, states []store.State) store.Key {
	var only store.Key
	if len(states) == 1 {
		only = states[0].Key()
	}
	return mirrorKey(cfg, states, only)
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func storeVerb(ctx context.Context, verb string, stdin io.Reader, stderr io.Writer, env Env) int {
	// The bound holds from here, the read of stdin included: setup
	// (config, log, store) never blocks.
	bound := env.operationBound()
	ctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	tok, err := readTokenWithin(ctx, stdin, bound)
	if err != nil {
		return fail(stderr, verb+": nothing changed: ", err)
	}
	env.red.Add(tok, "")
	if verb == "store" && caller.DevServer(callerOf(env, verb)) {
		return devServerStore(stderr, env)
	}
	s, err := newSetup(env, stderr, verb, false)
	if err != nil {
		return fail(stderr, verb+": nothing changed: ", err)
	}
	defer s.close()
	var res heal.Result
	if verb == "adopt" {
		res, err = s.healer.Adopt(ctx, tok)
	} else {
		res, err = s.healer.Store(ctx, tok)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(w))
	}
	if err == nil && verb == "store" {
		fmt.Fprintln(stderr, inUseLine(s, res, env.Now()))
	}
	if err != nil {
		var refused *heal.RefusedError
		if errors.As(err, &refused) {
			return fail(stderr, "", err)
		}
		return fail(stderr, verb+": nothing stored changed: ", withHint(err))
	}
	if verb == "adopt" {
		what := "adopted the periodic token"
		if res.Event == heal.EventUnchanged {
			what = "nothing changed: already stored is the periodic token"
		}
		fmt.Fprintf(stderr, "vault-token-helper: %s (accessor %s) for %s\n", what, res.Accessor, s.key)
	}
	return ExitOK
}

// readTokenWithin is ReadToken inside the operation's bound: ctx, whose
// deadline is bound from now. A stdin that never reaches its end
// (`sleep 70 | vault-token-helper store`) ends the command when ctx
// does, with an error saying what to do; the read goes on in a
// goroutine that the process's exit ends.
func readTokenWithin(ctx context.Context, stdin io.Reader, bound time.Duration) (string, error) {
	type read struct {
		tok string
		err error
	}
	done := make(chan read, 1)
	go func() {
		tok, err := ReadToken(stdin)
		done <- read{tok, err}
	}()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("%w: stdin was not closed within %s (the bound of a store); whatever runs this must write the token and close stdin, as the vault CLI does", ErrBadToken, bound)
		}
		return "", fmt.Errorf("%w: stdin was not closed: %w", ErrBadToken, ctx.Err())
	}
}

// inUseLine is store's one line on success: which token the CLI uses
// from now on, by display name, accessor and TTL. `vault login` prints
// the login token it got, whatever the helper kept.
func inUseLine(s *setup, res heal.Result, now time.Time) string {
	name, ttl := "", res.TTL
	if st, err := s.healer.Files.Peek(s.key); err == nil && st.Current != nil && st.Current.Accessor == res.Accessor {
		name = st.Current.DisplayName + " "
		if res.Event != heal.EventKept {
			ttl = st.Current.ExpireTime.Sub(now).Round(time.Second)
			if st.Current.ExpireTime.IsZero() {
				ttl = 0
			}
		}
	}
	life := "ttl " + ttl.String()
	if ttl <= 0 {
		life = "no expiry"
	}
	tok := fmt.Sprintf("%s(accessor %s, %s)", name, res.Accessor, life)
	var what string
	switch res.Event {
	case heal.EventMinted:
		what = "now uses the periodic token " + tok + ", just minted; the login token is not kept"
	case heal.EventKept:
		what = "still uses the periodic token " + tok + ", which matches the configuration: renewed, nothing minted, nothing revoked; the login token is not kept"
	case heal.EventAdopted:
		what = "now uses the periodic token " + tok + ", adopted"
	case heal.EventPassthrough:
		what = "uses the login token " + tok + " as the built-in helper would: it cannot mint a periodic token; an admin login mints one"
	case heal.EventUnchanged:
		what = "still uses the periodic token " + tok + "; nothing changed"
	default:
		what = "uses the token " + tok
	}
	return fmt.Sprintf("vault-token-helper: %s: the CLI for %s %s", res.Event, s.key, what)
}

// checkConfig parses the configuration file (or the one named) and
// reports every error, each with its line and key; it talks to no Vault.
// A file named on the command line must exist.
func checkConfig(args []string, stdout, stderr io.Writer, env Env) int {
	path := env.Paths.Config
	if len(args) == 1 {
		path = args[0]
		if _, err := os.Stat(path); err != nil {
			return fail(stderr, "check-config: ", fmt.Errorf("cannot read %q; name an existing file: %w", path, err))
		}
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		errs := ConfigErrors(err)
		if len(errs) == 0 {
			return fail(stderr, "check-config: ", err)
		}
		fmt.Fprintf(stderr, "vault-token-helper: check-config: %q is not valid: %d error(s)\n", path, len(errs))
		for _, e := range errs {
			where := "file"
			if e.Line > 0 {
				where = fmt.Sprintf("line %d", e.Line)
			}
			if e.Key != "" {
				where += ": " + e.Key
			}
			fmt.Fprintf(stderr, "  %s: %s\n", where, oneLine(e.Msg))
		}
		return ExitFail
	}
	if cfg.Path == "" {
		fmt.Fprintf(stdout, "%q does not exist: the defaults apply\n", path)
		return ExitOK
	}
	fmt.Fprintf(stdout, "%q is valid\n", path)
	return ExitOK
}

// rotate is `vault-token-helper rotate`: a new periodic token minted with
// the stored one's authority; the old one revoked after rotate_grace.
func rotate(ctx context.Context, stderr io.Writer, env Env) int {
	// The bound holds from here: setup (config, log, store) never blocks.
	ctx, cancel := context.WithTimeout(ctx, env.operationBound())
	defer cancel()
	s, err := newSetup(env, stderr, "rotate", false)
	if err != nil {
		return fail(stderr, "rotate: nothing changed: ", err)
	}
	defer s.close()
	res, err := s.healer.Rotate(ctx)
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(w))
	}
	if err != nil {
		return fail(stderr, "rotate: ", withHint(err))
	}
	when := "revoked at once"
	if !res.RevokeAfter.IsZero() {
		when = "stays valid until " + res.RevokeAfter.Format(time.RFC3339) + ", then the first sweep (vault-token-renew or a login) revokes it"
	}
	fmt.Fprintf(stderr, "vault-token-helper: rotated: new periodic token (accessor %s); the old one (accessor %s) %s\n", res.Accessor, res.Replaced, when)
	return ExitOK
}

func erase(ctx context.Context, stderr io.Writer, env Env) int {
	// The bound holds from here: setup (config, log, store) never blocks.
	ctx, cancel := context.WithTimeout(ctx, env.operationBound())
	defer cancel()
	s, err := newSetup(env, stderr, "erase", true)
	if err != nil {
		return fail(stderr, "erase: nothing changed: ", err)
	}
	defer s.close()
	minted := false
	states, _ := s.healer.Files.List()
	for _, st := range states {
		if st.Key() == s.key && st.Current != nil {
			minted = st.Current.Source == store.SourceMinted
		}
	}
	res, err := s.healer.Erase(ctx)
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(w))
	}
	if err != nil {
		return fail(stderr, "erase: nothing stored changed: ", withHint(err))
	}
	switch {
	case res.Accessor == "":
		fmt.Fprintf(stderr, "vault-token-helper: nothing was stored for %s; nothing changed\n", s.key)
	case minted && len(res.Warnings) == 0:
		fmt.Fprintf(stderr, "vault-token-helper: erased and revoked the periodic token (accessor %s) of %s\n", res.Accessor, s.key)
	default:
		fmt.Fprintf(stderr, "vault-token-helper: erased the token (accessor %s) of %s\n", res.Accessor, s.key)
	}
	return ExitOK
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
