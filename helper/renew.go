package helper

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
)

const renewUsage = `usage: vault-token-renew [--address URL] [--scan] [--dry-run]

Renews the periodic token of every stored Vault address, heals
~/.vault-token, and revokes stale periodic tokens. Run nightly by the
vault-token-renew.timer systemd user unit.

Each line of output starts with what happened: OK, REVOKED, HEALED,
DRIFT, ERROR, WARN, SCAN, SKIP or DRY-RUN. Exit 0 when every address is
healthy, 1 when one needs a person, 2 for bad arguments.

`

// RenewRecoveryBudget bounds the settling of the journal in a renew run,
// which, unlike a store, has no user waiting.
const RenewRecoveryBudget = 30 * time.Second

// RunRenew is vault-token-renew.
func RunRenew(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	flags := flag.NewFlagSet("vault-token-renew", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addrFlag := flags.String("address", "", "renew only this Vault address (as in VAULT_ADDR)")
	scan := flags.Bool("scan", false, "also list every token and revoke other tokens with our display name (needs list on auth/token/accessors)")
	dryRun := flags.Bool("dry-run", false, "say what would be done; change nothing")
	version := flags.Bool("version", false, "print the version")
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), renewUsage)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "vault-token-renew: unexpected arguments %q\n", flags.Args())
		flags.Usage()
		return ExitUsage
	}
	if *version {
		fmt.Fprintf(stdout, "vault-token-renew %s\n", env.Version)
		return ExitOK
	}
	only := ""
	if *addrFlag != "" {
		a, err := store.NormalizeAddr(*addrFlag)
		if err != nil {
			fmt.Fprintf(stderr, "vault-token-renew: --address: %s\n", oneLine(err.Error()))
			return ExitUsage
		}
		only = a
	}

	cfg, err := LoadConfig(env.Paths.Config)
	if err != nil {
		fmt.Fprintf(stdout, "ERROR %s\n", oneLine(err.Error()))
		return ExitFail
	}
	log, closeLog, warn := openLog(env)
	defer closeLog()
	if warn != "" {
		fmt.Fprintf(stdout, "WARN %s\n", oneLine(warn))
	}

	files := store.New(env.Paths.Data)
	states, errs := files.List()
	healthy := true
	for _, err := range errs {
		healthy = false
		fmt.Fprintf(stdout, "ERROR %s\n", oneLine(err.Error()))
	}

	// Every stored address, plus the mirrored one when ~/.vault-token
	// exists even though nothing is stored for it yet.
	keys := map[store.Key]store.State{}
	for _, st := range states {
		keys[st.Key()] = st
	}
	mk := storedMirrorKey(cfg, states)
	// Accessors --scan must never revoke, whichever address they belong to.
	keep := map[string]bool{}
	for _, st := range states {
		if st.Current != nil {
			keep[st.Current.Accessor] = true
		}
		for _, p := range st.Pending {
			keep[p.Accessor] = true
		}
		for _, in := range st.Journal {
			if in.Accessor != "" {
				keep[in.Accessor] = true
			}
		}
	}
	if mk != (store.Key{}) {
		if _, ok := keys[mk]; !ok {
			if _, err := os.Lstat(env.Paths.MirrorDef); !errors.Is(err, fs.ErrNotExist) {
				keys[mk] = store.State{Address: mk.Addr, Namespace: mk.Namespace}
			}
		}
	}
	ordered := make([]store.Key, 0, len(keys))
	for k := range keys {
		if only == "" || k.Addr == only {
			ordered = append(ordered, k)
		}
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].String() < ordered[j].String() })

	if len(ordered) == 0 {
		if only != "" {
			fmt.Fprintf(stdout, "ERROR %s: no token is stored for this address; run `vault login` with VAULT_ADDR=%s first\n", only, only)
			return ExitFail
		}
		fmt.Fprintln(stdout, "SKIP no Vault address has a stored token yet; run `vault login` (for example -method=oidc) first")
		return exitCode(healthy)
	}

	for _, k := range ordered {
		st := keys[k]
		if st.Current == nil && k != mk {
			fmt.Fprintf(stdout, "SKIP %s: no token stored (erased)\n", k)
			continue
		}
		h, err := newHealer(env, cfg, k, log)
		if err != nil {
			healthy = false
			fmt.Fprintf(stdout, "ERROR %s: %s\n", k, oneLine(err.Error()))
			continue
		}
		if k == mk {
			h.Mirror = heal.NewMirror(env.Paths.MirrorDef)
		} else {
			h.Mirror = nil
		}
		h.Keep = keep
		h.RecoveryBudget = RenewRecoveryBudget
		opCtx, cancel := context.WithTimeout(ctx, OperationTimeout)
		rep, _ := h.Renew(opCtx, heal.RenewOptions{Scan: *scan, DryRun: *dryRun})
		cancel()
		for _, l := range rep.Lines {
			fmt.Fprintln(stdout, oneLine(l.String()))
		}
		if !rep.Healthy {
			healthy = false
		}
	}
	return exitCode(healthy)
}

func exitCode(healthy bool) int {
	if healthy {
		return ExitOK
	}
	return ExitFail
}
