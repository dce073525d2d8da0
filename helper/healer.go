package helper

// The setup every verb that talks to Vault shares: configuration, key,
// log and a heal.Healer for the address.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/caller"
	"github.com/vault-token-helper/vault-token-helper/store"
)

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

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
