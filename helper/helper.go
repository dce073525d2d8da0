// Package helper is the command line of vault-token-helper and
// vault-token-renew: the Vault CLI's token helper protocol, the renew
// run, status, and the configuration file.
//
// Protocol (the Vault CLI runs the helper with exactly one argument):
//   - get: print the token stored for the address and namespace the
//     calling CLI talks to (its -address and -namespace flags, else
//     VAULT_ADDR and VAULT_NAMESPACE, or their BAO_ twins under the bao
//     CLI: front.KeyFor) on stdout with no newline; nothing stored prints
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

const helperUsage = `usage: vault-token-helper get|store|erase
       vault-token-helper rotate
       vault-token-helper status [--json]
       vault-token-helper adopt < token
       vault-token-helper check-config [FILE]
       vault-token-helper setup [--cli vault|bao|both] [--prefix DIR] [--no-timer] [--uninstall]

A token helper for the Vault CLI. Configure it in ~/.vault (or $VAULT_CONFIG_PATH):
  token_helper = "/absolute/path/to/vault-token-helper"

  get      print the token stored for the address the calling CLI uses
           (its -address flag, else $VAULT_ADDR; no newline)
  store    read a login token on stdin: keep the valid periodic token (KEPT),
           or mint one when none is stored or it no longer matches the
           config, or refuse a token that cannot mint while a valid one is kept
  erase    forget the stored token (revoke it if this tool minted it)
  rotate   mint a new periodic token with the stored one's authority; the
           old one stays valid for rotate_grace (default 1h), then is revoked
  status   show every stored token (never the token itself); exit 1 if one
           is invalid or not ours
  adopt    store the periodic token on stdin if it is ours; never mints
  check-config  parse the configuration (or FILE) and report the first error
  setup    install for this user (binaries, ~/.vault or ~/.bao, timer); setup --help

Configuration: $XDG_CONFIG_HOME/vault-token-helper/config.hcl or $VAULT_TOKEN_HELPER_CONFIG
Log: $XDG_STATE_HOME/vault-token-helper/vault-token-helper.log
`

// Run is vault-token-helper.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	// Every token the command learns is redacted from everything it
	// writes but get's answer.
	env = env.withRedactor()
	stderr = env.red.Writer(stderr)
	if len(args) != 1 || args[0] != "get" {
		stdout = env.red.Writer(stdout)
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, helperUsage)
		return ExitUsage
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "-h", "-help", "--help", "help":
		if len(rest) > 0 {
			break
		}
		fmt.Fprint(stdout, helperUsage)
		return ExitOK
	case "-version", "--version", "version":
		if len(rest) > 0 {
			break
		}
		fmt.Fprintf(stdout, "vault-token-helper %s\n", env.Version)
		return ExitOK
	case "get":
		if len(rest) == 0 {
			return get(stdout, stderr, env)
		}
	case "store", "adopt":
		if len(rest) == 0 {
			return storeVerb(ctx, verb, stdin, stderr, env)
		}
	case "erase":
		if len(rest) == 0 {
			return erase(ctx, stderr, env)
		}
	case "rotate":
		if len(rest) == 0 {
			return rotate(ctx, stderr, env)
		}
	case "status":
		return status(ctx, rest, stdout, stderr, env)
	case "check-config":
		if len(rest) <= 1 {
			return checkConfig(rest, stdout, stderr, env)
		}
	case "setup":
		return setupVerb(ctx, rest, stdout, stderr, env)
	}
	fmt.Fprintf(stderr, "vault-token-helper: unknown or extra arguments %q\n%s", strings.Join(args, " "), helperUsage)
	return ExitUsage
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
func keyFromEnv(env Env, verb string) (store.Key, error) {
	lookup := env.LookupEnv
	if lookup == nil {
		lookup = func(k string) (string, bool) {
			v := env.Getenv(k)
			return v, v != ""
		}
	}
	identify := env.Caller
	if identify == nil {
		identify = caller.Identify
	}
	return front.KeyFor(identify(verb), lookup)
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
	key, err := keyFromEnv(env, verb)
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
	if mirrorKey(cfg, states, key, env.sameVault) == key {
		h.Mirror = heal.NewMirror(env.Paths.MirrorDef)
	}
	return &setup{key: key, cfg: cfg, log: log, close: closeLog, healer: h}, nil
}

func newHealer(env Env, cfg *Config, key store.Key, log *slog.Logger, r reach) (*heal.Healer, error) {
	files := env.files()
	// The normalized address is an equivalent URL for the client.
	v, err := env.vault(key.Addr, key.Namespace, r.options())
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
		Vault:         debugVault{v: v, log: log},
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
// one yet). An address matches mirror_address under either spelling
// that names the same server (same reports it: localhost and 127.0.0.1).
// The zero Key means none.
func mirrorKey(cfg *Config, states []store.State, current store.Key, same func(a, b string) bool) store.Key {
	if !cfg.Mirror {
		return store.Key{}
	}
	var stored []store.Key
	for _, st := range states {
		if st.Current != nil {
			stored = append(stored, st.Key())
		}
	}
	if cfg.MirrorAddress != "" {
		var matching []store.Key
		for _, k := range stored {
			if same(k.Addr, cfg.MirrorAddress) {
				matching = append(matching, k)
			}
		}
		switch len(matching) {
		case 0:
			if same(current.Addr, cfg.MirrorAddress) {
				return current
			}
			return store.Key{Addr: cfg.MirrorAddress}
		case 1:
			return matching[0]
		}
		for _, k := range matching {
			if k.Namespace == "" {
				return k
			}
		}
		return store.Key{}
	}
	switch len(stored) {
	case 0:
		return current
	case 1:
		return stored[0]
	}
	return store.Key{}
}

// storedMirrorKey is mirrorKey for commands that work on every stored
// address (renew, status): the current key is the store's only one.
func storedMirrorKey(cfg *Config, states []store.State, same func(a, b string) bool) store.Key {
	var only store.Key
	if len(states) == 1 {
		only = states[0].Key()
	}
	return mirrorKey(cfg, states, only, same)
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func storeVerb(ctx context.Context, verb string, stdin io.Reader, stderr io.Writer, env Env) int {
	// The bound holds from here: setup (config, log, store) never blocks.
	ctx, cancel := context.WithTimeout(ctx, env.operationBound())
	defer cancel()
	tok, err := ReadToken(stdin)
	if err != nil {
		return fail(stderr, verb+": ", err)
	}
	env.red.Add(tok, "")
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
	if err == nil && res.Event == heal.EventKept {
		fmt.Fprintf(stderr, "vault-token-helper: %s the valid periodic token (accessor %s), which matches the configuration; renewed (ttl %s); nothing minted, nothing revoked\n",
			heal.EventKept, res.Accessor, res.TTL)
	}
	if err != nil {
		var refused *heal.RefusedError
		if errors.As(err, &refused) {
			return fail(stderr, "", err)
		}
		return fail(stderr, verb+": nothing stored changed: ", withHint(err))
	}
	return ExitOK
}

// checkConfig parses the configuration file (or the one named) and says
// whether it is valid; it talks to no Vault.
func checkConfig(args []string, stdout, stderr io.Writer, env Env) int {
	path := env.Paths.Config
	if len(args) == 1 {
		path = args[0]
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return fail(stderr, "check-config: ", err)
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
	res, err := s.healer.Erase(ctx)
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "vault-token-helper: warning: %s\n", oneLine(w))
	}
	if err != nil {
		return fail(stderr, "erase: nothing stored changed: ", withHint(err))
	}
	return ExitOK
}

// debugVault logs every Vault call at debug level: operation, accessor
// when there is one, duration, outcome. Never a token.
type debugVault struct {
	v   heal.Vault
	log *slog.Logger
}

var _ heal.Vault = debugVault{}

func (d debugVault) done(op string, start time.Time, err error, attrs ...any) {
	if !d.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs = append([]any{"op", op, "address", d.v.Addr(), "duration", time.Since(start).String()}, attrs...)
	if err != nil {
		attrs = append(attrs, "error", err.Error())
	}
	d.log.Debug(heal.EventVault, attrs...)
}

func (d debugVault) Addr() string { return d.v.Addr() }

func (d debugVault) LookupSelf(ctx context.Context, token string) (heal.TokenInfo, error) {
	t := time.Now()
	info, err := d.v.LookupSelf(ctx, token)
	d.done("lookup-self", t, err, "accessor", info.Accessor)
	return info, err
}

func (d debugVault) LookupAccessor(ctx context.Context, token, accessor string) (heal.TokenInfo, error) {
	t := time.Now()
	info, err := d.v.LookupAccessor(ctx, token, accessor)
	d.done("lookup-accessor", t, err, "accessor", accessor)
	return info, err
}

func (d debugVault) CreateOrphan(ctx context.Context, token string, req heal.MintRequest) (heal.Minted, error) {
	t := time.Now()
	m, err := d.v.CreateOrphan(ctx, token, req)
	d.done("create-orphan", t, err, "accessor", m.Accessor, "policies", req.Policies)
	return m, err
}

func (d debugVault) RenewSelf(ctx context.Context, token string, inc time.Duration) (time.Duration, error) {
	t := time.Now()
	ttl, err := d.v.RenewSelf(ctx, token, inc)
	d.done("renew-self", t, err, "ttl", ttl.String())
	return ttl, err
}

func (d debugVault) RevokeSelf(ctx context.Context, token string) error {
	t := time.Now()
	err := d.v.RevokeSelf(ctx, token)
	d.done("revoke-self", t, err)
	return err
}

func (d debugVault) RevokeAccessor(ctx context.Context, token, accessor string) error {
	t := time.Now()
	err := d.v.RevokeAccessor(ctx, token, accessor)
	d.done("revoke-accessor", t, err, "accessor", accessor)
	return err
}

func (d debugVault) ListAccessors(ctx context.Context, token string) ([]string, error) {
	t := time.Now()
	a, err := d.v.ListAccessors(ctx, token)
	d.done("list-accessors", t, err, "count", len(a))
	return a, err
}

func (d debugVault) CanMint(ctx context.Context, token string) (bool, error) {
	t := time.Now()
	ok, err := d.v.CanMint(ctx, token)
	d.done("capabilities-self", t, err, "can_mint", ok)
	return ok, err
}
