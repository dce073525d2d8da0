package helper

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// StatusTimeout bounds the lookups of one status run per address.
const StatusTimeout = 10 * time.Second

// AddressStatus is what status reports for one stored address. It never
// holds a token.
type AddressStatus struct {
	Address     string   `json:"address"`
	Namespace   string   `json:"namespace,omitempty"`
	Stored      bool     `json:"stored"`
	Accessor    string   `json:"accessor,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Policies    []string `json:"policies,omitempty"`
	// IdentityPolicies are those the token's entity and groups grant.
	IdentityPolicies []string `json:"identity_policies,omitempty"`
	// TLS are the client TLS settings status used for the address (as
	// VAULT_* assignments; paths and flags only), and TLSSource where they
	// came from: TLSFromEnvironment or TLSRecorded ("": none set).
	TLS            []string       `json:"tls,omitempty"`
	TLSSource      string         `json:"tls_source,omitempty"`
	Source         string         `json:"source,omitempty"`
	Checked        bool           `json:"checked"` // Vault answered; valid and ours mean something
	Valid          bool           `json:"valid"`
	Ours           bool           `json:"ours"`
	Problem        string         `json:"problem,omitempty"`
	TTLSeconds     int64          `json:"ttl_seconds,omitempty"`
	ExpireTime     *time.Time     `json:"expire_time,omitempty"`
	LastRenew      *store.Renewal `json:"last_renew,omitempty"`
	LastLogin      *store.Login   `json:"last_login,omitempty"`
	Mirror         string         `json:"mirror"`
	PendingRevoke  []string       `json:"pending_revocations"`
	Pending        []PendingState `json:"pending"`
	JournalEntries int            `json:"journal_entries"`
}

// PendingState is one token waiting to be revoked, and from when.
type PendingState struct {
	Accessor string `json:"accessor"`
	Reason   string `json:"reason"`
	// RevokeAfter is the end of a replaced token's grace; nil: at the
	// next sweep.
	RevokeAfter *time.Time `json:"revoke_after,omitempty"`
}

// TimerStatus is what status knows of the systemd timer.
type TimerStatus struct {
	Installed bool   `json:"installed"`
	UnitPath  string `json:"unit_path"`
	Active    string `json:"active,omitempty"`
	NextRun   string `json:"next_run,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Status is the whole status report.
type Status struct {
	Addresses []AddressStatus `json:"addresses"`
	Timer     TimerStatus     `json:"timer"`
	Healthy   bool            `json:"healthy"`
}

func status(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	fs := flag.NewFlagSet("vault-token-helper status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	metricsFile := fs.String("metrics-file", "", "also write the Prometheus textfile `PATH` (absolute); overrides metrics_file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vault-token-helper status: unexpected arguments %q\n", fs.Args())
		return ExitUsage
	}
	cfg, cfgErr := LoadConfig(env.Paths.Config)
	if cfgErr != nil {
		// Status still reports what is stored, each token checked against
		// the guard recorded with it; the broken config makes it unhealthy.
		fmt.Fprintf(stderr, "vault-token-helper: status: %s; checking the stored tokens against the guard recorded with each\n", oneLine(cfgErr.Error()))
		cfg = DefaultConfig()
	}
	files := env.files()
	states, errs := files.List()
	rep := Status{Healthy: len(errs) == 0 && cfgErr == nil, Addresses: []AddressStatus{}}
	for _, err := range errs {
		fmt.Fprintf(stderr, "vault-token-helper: status: %s\n", oneLine(err.Error()))
	}
	mk := storedMirrorKey(cfg, states, env.sameVault)
	for _, st := range states {
		as := addressStatus(ctx, env, cfg, cfgErr != nil, st, st.Key() == mk)
		if as.Stored && (!as.Valid || !as.Ours) {
			rep.Healthy = false
		}
		rep.Addresses = append(rep.Addresses, as)
	}
	rep.Timer = timerStatus(env)
	if path := cmp.Or(*metricsFile, cfg.MetricsFile); path != "" {
		ms, err := statusMetrics(env, cfg, rep.Addresses)
		if err = errors.Join(WriteMetrics(path, ms), err); err != nil {
			fmt.Fprintf(stderr, "vault-token-helper: status: %s\n", oneLine(err.Error()))
		}
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail(stderr, "status: ", err)
		}
	} else {
		printStatus(stdout, rep, env.Now())
	}
	return exitCode(rep.Healthy)
}

func addressStatus(ctx context.Context, env Env, cfg *Config, recorded bool, st store.State, mirrored bool) AddressStatus {
	as := AddressStatus{
		Address:        st.Address,
		Namespace:      st.Namespace,
		LastRenew:      st.LastRenew,
		LastLogin:      st.LastLogin,
		PendingRevoke:  []string{},
		Pending:        []PendingState{},
		JournalEntries: len(st.Journal),
		Mirror:         "not mirrored",
	}
	for _, p := range st.Pending {
		as.PendingRevoke = append(as.PendingRevoke, p.Accessor)
		ps := PendingState{Accessor: p.Accessor, Reason: p.Reason}
		if !p.RevokeAfter.IsZero() {
			t := p.RevokeAfter.UTC()
			ps.RevokeAfter = &t
		}
		as.Pending = append(as.Pending, ps)
	}
	cur := st.Current
	if mirrored {
		as.Mirror = mirrorState(env.Paths.MirrorDef, cur)
	}
	if cur == nil {
		as.Problem = "no token stored"
		return as
	}
	as.Stored = true
	as.Accessor, as.DisplayName, as.Policies, as.Source = cur.Accessor, cur.DisplayName, cur.Policies, string(cur.Source)
	as.IdentityPolicies = cur.IdentityPolicies
	r := reachFor(env, cur, true, heal.InteractiveRetry)
	as.TLSSource = r.Source
	if r.TLS != nil {
		as.TLS = r.TLS.Vars()
	}
	v, err := env.vault(st.Address, st.Namespace, r.options())
	if err != nil {
		as.Problem = err.Error()
		return as
	}
	ctx, cancel := context.WithTimeout(ctx, StatusTimeout)
	defer cancel()
	info, err := v.LookupSelf(ctx, cur.Token)
	if err != nil {
		as.Checked = errors.Is(err, heal.ErrInvalidToken)
		as.Problem = oneLine(err.Error())
		return as
	}
	as.Checked, as.Valid = true, true
	as.DisplayName, as.Policies, as.IdentityPolicies = info.DisplayName, info.Policies, info.IdentityPolicies
	as.TTLSeconds = int64(info.TTL / time.Second)
	if !info.ExpireTime.IsZero() {
		t := info.ExpireTime.UTC()
		as.ExpireTime = &t
	}
	spec, _ := cfg.For(st.Address)
	spec = spec.ForStored(cur)
	if recorded {
		spec = heal.RecordedSpec(cur)
	}
	as.Ours = spec.Ours(info)
	if !as.Ours {
		as.Problem = "not ours: " + spec.WhyNotOurs(info)
	}
	return as
}

func mirrorState(path string, cur *store.Token) string {
	content, err := heal.NewMirror(path).Read()
	switch {
	case err != nil:
		return "unreadable: " + oneLine(err.Error())
	case content == "":
		return "missing: " + path
	case cur != nil && content == cur.Token:
		return "in sync: " + path
	}
	return "differs: " + path + " holds another token"
}

// TimerUnit is the name of the systemd user timer install.sh installs.
const TimerUnit = "vault-token-renew.timer"

func timerStatus(env Env) TimerStatus {
	ts := TimerStatus{UnitPath: filepath.Join(env.Paths.UnitDir, TimerUnit)}
	if _, err := os.Stat(ts.UnitPath); err == nil {
		ts.Installed = true
	}
	if env.Systemctl == nil {
		ts.Note = "systemctl not available"
		return ts
	}
	out, err := env.Systemctl("show", TimerUnit, "--property=ActiveState,NextElapseUSecRealtime")
	if err != nil {
		ts.Note = "systemd user manager not reachable"
		return ts
	}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		switch k {
		case "ActiveState":
			ts.Active = v
		case "NextElapseUSecRealtime":
			ts.NextRun = v
		}
	}
	return ts
}

func printStatus(w io.Writer, rep Status, now time.Time) {
	if len(rep.Addresses) == 0 {
		fmt.Fprintln(w, "no Vault address has a stored token; run `vault login` first")
	}
	for _, a := range rep.Addresses {
		title := a.Address
		if a.Namespace != "" {
			title += " (namespace " + a.Namespace + ")"
		}
		fmt.Fprintln(w, title)
		if a.Stored {
			fmt.Fprintf(w, "  token:       %s (accessor %s, %s)\n", a.DisplayName, a.Accessor, a.Source)
			fmt.Fprintf(w, "  policies:    %s\n", strings.Join(a.Policies, ", "))
			if len(a.IdentityPolicies) > 0 {
				fmt.Fprintf(w, "  identity policies: %s\n", strings.Join(a.IdentityPolicies, ", "))
			}
			if a.TLSSource != "" {
				tls := strings.Join(a.TLS, " ")
				if tls == "" {
					tls = "vault/api's defaults"
				}
				fmt.Fprintf(w, "  tls:         %s (%s)\n", tls, a.TLSSource)
			}
			ours := yesNo(a.Ours)
			if !a.Checked || !a.Valid {
				ours = "unknown (not checked)"
			}
			fmt.Fprintf(w, "  ours:        %s\n", ours)
			if a.Valid {
				exp := "never"
				if a.ExpireTime != nil {
					exp = a.ExpireTime.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "  ttl:         %s (expires %s)\n", time.Duration(a.TTLSeconds)*time.Second, exp)
			}
		}
		if a.Problem != "" {
			fmt.Fprintf(w, "  problem:     %s\n", a.Problem)
		}
		if a.LastRenew != nil {
			res := "OK"
			if !a.LastRenew.OK {
				res = "FAILED"
			}
			fmt.Fprintf(w, "  last renew:  %s %s (%s ago: %s)\n", a.LastRenew.Time.Format(time.RFC3339), res,
				now.Sub(a.LastRenew.Time).Round(time.Minute), a.LastRenew.Result)
		} else {
			fmt.Fprintln(w, "  last renew:  never")
		}
		if a.LastLogin != nil {
			fmt.Fprintf(w, "  last login:  %s %s (accessor %s)\n", a.LastLogin.Time.Format(time.RFC3339), a.LastLogin.Event, a.LastLogin.Accessor)
		}
		fmt.Fprintf(w, "  mirror:      %s\n", a.Mirror)
		pending := "none"
		if len(a.Pending) > 0 {
			var ps []string
			for _, p := range a.Pending {
				when := "at the next sweep"
				if p.RevokeAfter != nil {
					when = "after " + p.RevokeAfter.Format(time.RFC3339)
				}
				ps = append(ps, fmt.Sprintf("%s (%s; %s)", p.Accessor, p.Reason, when))
			}
			pending = strings.Join(ps, ", ")
		}
		fmt.Fprintf(w, "  to revoke:   %s\n", pending)
		if a.JournalEntries > 0 {
			fmt.Fprintf(w, "  journal:     %d interrupted mint(s), settled by the next store, erase or renew\n", a.JournalEntries)
		}
	}
	t := rep.Timer
	switch {
	case !t.Installed:
		fmt.Fprintf(w, "timer: not installed (%s); run ./install.sh\n", t.UnitPath)
	case t.Note != "":
		fmt.Fprintf(w, "timer: installed (%s); %s\n", t.UnitPath, t.Note)
	default:
		fmt.Fprintf(w, "timer: installed, %s, next run %s\n", t.Active, t.NextRun)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
