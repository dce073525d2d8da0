package helper

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/helper/sched"
	installer "github.com/vault-token-helper/vault-token-helper/helper/setup"
	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// StatusTimeout bounds the lookups of one status run per address.
const StatusTimeout = 10 * time.Second

// The thresholds of status's verdict.
const (
	// StaleRenew: a token whose last successful renew (or store) is older
	// has not been renewed by the scheduler for two nights. One threshold
	// with the front's: what status calls stale is what get renews.
	StaleRenew = front.LazyStale
	// ExpirySoon: a token expiring sooner needs a person now.
	ExpirySoon = 7 * 24 * time.Hour
)

// Mirror states (mirror.state in the JSON) are those of the metrics:
// MirrorInSync and the others in metrics.go.

// Address states (state in the JSON).
const (
	AddrStored  = "stored"
	AddrErased  = "erased"  // a state without a token: erased, or never stored
	AddrRefused = "refused" // the file is unsafe or unreadable: the tool will not use it
)

// MirrorStatus is what status knows of ~/.vault-token for one address.
type MirrorStatus struct {
	State  string `json:"state"`
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// AddressStatus is what status reports for one address. It never holds a
// token.
type AddressStatus struct {
	Address     string   `json:"address"`
	Namespace   string   `json:"namespace,omitempty"`
	Selected    bool     `json:"selected"` // the address the shell selects (VAULT_AGENT_ADDR, else VAULT_ADDR)
	State       string   `json:"state"`
	Stored      bool     `json:"stored"`
	Accessor    string   `json:"accessor,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Policies    []string `json:"policies,omitempty"`
	// IdentityPolicies are those the token's entity and groups grant.
	IdentityPolicies []string `json:"identity_policies,omitempty"`
	// TLS are the client TLS settings status used for the address (as
	// VAULT_* assignments; paths and flags only), and TLSSource where they
	// came from: TLSFromEnvironment or TLSRecorded ("": none set).
	TLS              []string       `json:"tls,omitempty"`
	TLSSource        string         `json:"tls_source,omitempty"`
	Source           string         `json:"source,omitempty"`
	Checked          bool           `json:"checked"` // Vault answered; valid and ours mean something
	Valid            bool           `json:"valid"`
	Ours             bool           `json:"ours"`
	Problem          string         `json:"problem,omitempty"`
	TTLSeconds       int64          `json:"ttl_seconds,omitempty"`
	ExpiresAt        *time.Time     `json:"expires_at,omitempty"`
	ExpiresInSeconds *int64         `json:"expires_in_seconds,omitempty"`
	LastRenew        *store.Renewal `json:"last_renew,omitempty"`
	LastSuccess      *time.Time     `json:"last_success,omitempty"` // the last successful renew, or the store
	LastLogin        *store.Login   `json:"last_login,omitempty"`
	Mirror           MirrorStatus   `json:"mirror"`
	PendingRevoke    []string       `json:"pending_revocations"`
	Pending          []PendingState `json:"pending"`
	JournalEntries   int            `json:"journal_entries"`
	Reasons          []string       `json:"reasons"` // why this address is unhealthy
	// Note says what a passed-through token means, without alarm: no
	// periodic token yet, whether the stored one is at risk, and the
	// login that mints ours.
	Note string `json:"note,omitempty"`
}

// PendingState is one token waiting to be revoked, and from when.
type PendingState struct {
	Accessor string `json:"accessor"`
	Reason   string `json:"reason"`
	// RevokeAfter is the end of a replaced token's grace; nil: at the
	// next sweep.
	RevokeAfter *time.Time `json:"revoke_after,omitempty"`
	// LastError is why the last try failed; "" when none was made.
	LastError string `json:"last_error,omitempty"`
}

// SchedulerStatus says whether anything will run renew: the verdict of
// package sched, and whether get's lazy renew is on as a safety net.
type SchedulerStatus struct {
	sched.Scheduler
	LazyRenew bool `json:"lazy_renew"` // get starts a renew when one is overdue
	// Chosen: none runs renew because the user chose so (setup
	// --scheduler none): a warning (Warning), not a failure.
	Chosen bool `json:"chosen"`
}

// Warning is what status and doctor both say of a scheduler the user
// chose not to have: the risk, in one line; "" when one runs or none was
// chosen.
func (s SchedulerStatus) Warning() string {
	switch {
	case s.Active || !s.Chosen:
		return ""
	case s.LazyRenew:
		return "no scheduler runs vault-token-renew (you chose --scheduler none): only the lazy renew of get renews, when you use the CLI; a periodic token you leave unused for its whole period expires, and revocations wait for your next login; `vault-token-helper setup --scheduler " + string(s.defaultKind()) + "` installs one"
	}
	return "no scheduler runs vault-token-renew (you chose --scheduler none) and the lazy renew of get is off: nothing renews the periodic token unless you run vault-token-renew yourself, daily; it expires one period after its last renew"
}

// defaultKind is the scheduler to suggest: the one Fix names, else systemd.
func (s SchedulerStatus) defaultKind() sched.Kind {
	for _, k := range []sched.Kind{sched.Launchd, sched.Cron} {
		if strings.Contains(s.Fix, "--scheduler "+string(k)) {
			return k
		}
	}
	return sched.Systemd
}

// CLIConfigStatus says whether a CLI config file names this helper.
type CLIConfigStatus struct {
	CLI         string `json:"cli"`
	Path        string `json:"path"`
	TokenHelper string `json:"token_helper"`
	NamesHelper bool   `json:"names_helper"`
	Problem     string `json:"problem,omitempty"`
	// Fix is what to do about Problem (status's reason, doctor's fix).
	Fix string `json:"fix,omitempty"`
}

// Status is the whole status report (docs/status-schema.json).
type Status struct {
	Healthy bool     `json:"healthy"`
	Reasons []string `json:"reasons"`
	// Warnings are risks the user chose (no scheduler): healthy still.
	Warnings  []string        `json:"warnings"`
	Addresses []AddressStatus `json:"addresses"`
	Scheduler SchedulerStatus `json:"scheduler"`
	CLIConfig CLIConfigStatus `json:"cli_config"`
}

func status(ctx context.Context, asJSON bool, metricsFile string, stdout, stderr io.Writer, env Env) int {
	cfg, cfgErr := LoadConfig(env.Paths.Config)
	if cfgErr != nil {
		// Status still reports what is stored, each token checked against
		// the guard recorded with it; the broken config makes it unhealthy.
		fmt.Fprintf(stderr, "vault-token-helper: status: %s; checking the stored tokens against the guard recorded with each\n", oneLine(cfgErr.Error()))
		cfg = DefaultConfig()
	}
	rep := buildStatus(ctx, env, cfg, cfgErr)
	if path := cmp.Or(metricsFile, cfg.MetricsFile); path != "" {
		ms, err := statusMetrics(env, cfg, rep.Addresses)
		if err = errors.Join(WriteMetrics(path, ms), err); err != nil {
			fmt.Fprintf(stderr, "vault-token-helper: status: %s\n", oneLine(err.Error()))
		}
	}
	if asJSON {
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

// buildStatus answers "will my token survive?" for every address.
// cfgErr is why the configuration could not be read: each stored token
// is then checked against the guard recorded with it, and status is
// unhealthy.
func buildStatus(ctx context.Context, env Env, cfg *Config, cfgErr error) Status {
	now := env.Now()
	rep := Status{Addresses: []AddressStatus{}, Reasons: []string{}, Warnings: []string{}}
	files := env.files()
	states, errs := files.List()
	selected, _ := keyFromEnv(env, "status")
	_, raw := addrVar(env)
	if cfgErr != nil {
		rep.Reasons = append(rep.Reasons, "the configuration: "+oneLine(cfgErr.Error())+"; run `vault-token-helper check-config`")
	}
	mk := storedMirrorKey(cfg, states)
	for _, st := range states {
		as := addressStatus(ctx, env, cfg, cfgErr != nil, st, st.Key() == mk, now)
		as.Selected = raw != "" && st.Key() == selected
		rep.Addresses = append(rep.Addresses, as)
	}
	for _, err := range errs {
		k, ok := refusedKey(files, err)
		if !ok {
			rep.Reasons = append(rep.Reasons, "the token store: "+oneLine(err.Error()))
			continue
		}
		rep.Addresses = append(rep.Addresses, AddressStatus{
			Address: k.Addr, Namespace: k.Namespace, State: AddrRefused, Problem: oneLine(err.Error()),
			Selected: raw != "" && k == selected, Mirror: MirrorStatus{State: MirrorNotMirrored},
			PendingRevoke: []string{}, Pending: []PendingState{}, Reasons: []string{"its token file is refused: " + oneLine(err.Error())},
		})
	}
	stored := false
	for _, a := range rep.Addresses {
		stored = stored || a.Stored || a.State == AddrRefused
		for _, r := range a.Reasons {
			rep.Reasons = append(rep.Reasons, a.keyString()+": "+r)
		}
	}
	if r := spellingReason(env, selected, rep.Addresses); r != "" {
		rep.Reasons = append(rep.Reasons, r)
	}
	rep.CLIConfig = vaultCLIConfig(env)
	rep.Scheduler = schedulerStatus(ctx, env, rep.CLIConfig.TokenHelper)
	// get follows the marker the last store or renew wrote; a config
	// turned off since then will be by the next one.
	rep.Scheduler.LazyRenew = rep.Scheduler.LazyRenew && cfg.LazyRenew
	switch {
	case rep.Scheduler.Warning() != "":
		rep.Warnings = append(rep.Warnings, rep.Scheduler.Warning())
	case stored && !rep.Scheduler.Active && !rep.Scheduler.LazyRenew:
		rep.Reasons = append(rep.Reasons, "no scheduler will run renew and the lazy renew of get is off: "+rep.Scheduler.Detail+"; "+rep.Scheduler.Fix)
	}
	if !rep.CLIConfig.NamesHelper {
		rep.Reasons = append(rep.Reasons, rep.CLIConfig.why())
	}
	rep.Healthy = len(rep.Reasons) == 0
	return rep
}

// spellingReason is why the CLI gets a bare 403 when VAULT_ADDR names a
// server under another spelling than the one its token is stored for
// (http://localhost:8200 and http://127.0.0.1:8200): get finds no token
// for VAULT_ADDR. "" when VAULT_ADDR is unset, has a token (or a refused
// file), or no other spelling of it has one.
func spellingReason(env Env, selected store.Key, addrs []AddressStatus) string {
	name, raw := addrVar(env)
	if raw == "" || selected == (store.Key{}) {
		return ""
	}
	var stored []store.Key
	for _, a := range addrs {
		if a.Selected && (a.Stored || a.State == AddrRefused) {
			return ""
		}
		if a.Stored {
			stored = append(stored, store.Key{Addr: a.Address, Namespace: a.Namespace})
		}
	}
	other, ok := otherSpelling(selected, stored)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%[1]s=%[2]s has no stored token, so the CLI sends none and Vault answers 403; the token is stored for %[3]s, the same Vault spelled another way: export %[1]s=%[4]s (or log in with this %[1]s to store one for it)", name, raw, other, other.Addr)
}

// otherSpelling is the first of stored that is the server of key under
// another spelling (store.SameServer), in the same namespace.
func otherSpelling(key store.Key, stored []store.Key) (store.Key, bool) {
	for _, k := range stored {
		if k != key && k.Namespace == key.Namespace && store.SameServer(k.Addr, key.Addr) {
			return k, true
		}
	}
	return store.Key{}, false
}

func (a AddressStatus) keyString() string {
	return store.Key{Addr: a.Address, Namespace: a.Namespace}.String()
}

// refusedKey is the address whose token file err refuses, when err names
// a file of the store's tokens directory.
func refusedKey(files *store.Files, err error) (store.Key, bool) {
	var ue *disk.UnsafeError
	p := ""
	if errors.As(err, &ue) {
		p = ue.Path
	} else {
		return store.Key{}, false
	}
	tokens := filepath.Join(files.Root, "tokens")
	dir := filepath.Dir(p) // a file of the address's directory (state.json, lock)
	switch {
	case filepath.Dir(dir) == tokens:
	case dir == tokens:
		dir = p // the address's directory itself is refused
	default:
		return store.Key{}, false
	}
	name := filepath.Base(dir)
	addr, ns, _ := strings.Cut(name, "+ns=")
	a, err1 := url.PathUnescape(addr)
	n, err2 := url.PathUnescape(ns)
	if err1 != nil || err2 != nil || strings.HasPrefix(name, "sha256-") {
		return store.Key{Addr: name}, true
	}
	return store.Key{Addr: a, Namespace: n}, true
}

// recorded: the configuration could not be read; the token is checked
// against the guard recorded with it.
func addressStatus(ctx context.Context, env Env, cfg *Config, recorded bool, st store.State, mirrored bool, now time.Time) AddressStatus {
	as := AddressStatus{
		Address:        st.Address,
		Namespace:      st.Namespace,
		State:          AddrErased,
		LastRenew:      st.LastRenew,
		LastLogin:      st.LastLogin,
		PendingRevoke:  []string{},
		Pending:        []PendingState{},
		JournalEntries: len(st.Journal),
		Mirror:         MirrorStatus{State: MirrorNotMirrored},
		Reasons:        []string{},
	}
	for _, p := range st.Pending {
		as.PendingRevoke = append(as.PendingRevoke, p.Accessor)
		ps := PendingState{Accessor: p.Accessor, Reason: p.Reason, LastError: oneLine(p.LastError)}
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
	// An interrupted mint may have left a live admin token nothing
	// records: unhealthy until it is settled (heal.Unsettled says how).
	unsettled := heal.Unsettled(st)
	if unsettled != "" {
		as.Reasons = append(as.Reasons, unsettled)
	}
	if cur == nil {
		as.Problem = "no token stored (erased, or never stored)"
		if unsettled != "" {
			as.Problem = "no token stored, and an interrupted mint is not settled"
		}
		return as
	}
	as.State, as.Stored = AddrStored, true
	as.Accessor, as.DisplayName, as.Policies, as.Source = cur.Accessor, cur.DisplayName, cur.Policies, string(cur.Source)
	as.IdentityPolicies = cur.IdentityPolicies
	as.setExpiry(cur.ExpireTime, now)
	last := cur.StoredAt
	if st.LastRenew != nil && st.LastRenew.OK && st.LastRenew.Time.After(last) {
		last = st.LastRenew.Time
	}
	if !last.IsZero() {
		t := last.UTC()
		as.LastSuccess = &t
		switch {
		case cur.Source.Periodic() && now.Sub(last) > StaleRenew:
			as.Reasons = append(as.Reasons, fmt.Sprintf("no successful renew for %s (since %s); run `vault-token-helper renew` and see its output", humanDuration(now.Sub(last)), last.UTC().Format("2006-01-02 15:04 MST")))
		case cur.Source.Periodic() && last.Sub(now) > FutureSlack:
			// Until the clock catches up, no stale renew would be seen.
			as.Reasons = append(as.Reasons, fmt.Sprintf("the last successful renew, %s, is %s: check the system clock (`date`), then run `vault-token-helper renew`", last.UTC().Format("2006-01-02 15:04 MST"), ago(last, now)))
		}
	}
	as.check(ctx, env, cfg, recorded, st)
	if as.ExpiresAt != nil && as.ExpiresAt.Sub(now) < ExpirySoon {
		as.Reasons = append(as.Reasons, expiryWords(*as.ExpiresAt, now)+"; log in again (`vault login`) to mint a new periodic token")
	}
	return as
}

// check asks Vault about the stored token.
func (as *AddressStatus) check(ctx context.Context, env Env, cfg *Config, recorded bool, st store.State) {
	cur := st.Current
	r := reachFor(env, cur, true, heal.InteractiveRetry)
	as.TLSSource = r.Source
	if r.TLS != nil {
		as.TLS = r.TLS.Vars()
	}
	v, err := env.vault(st.Address, st.Namespace, r.options())
	if err != nil {
		as.Problem = oneLine(err.Error())
		as.Reasons = append(as.Reasons, as.Problem)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, StatusTimeout)
	defer cancel()
	info, err := v.LookupSelf(ctx, cur.Token)
	if err != nil {
		as.Checked = errors.Is(err, heal.ErrInvalidToken)
		as.Problem = oneLine(err.Error())
		if as.Checked {
			as.Reasons = append(as.Reasons, "the stored token is no longer valid: "+as.Problem+"; log in again")
		} else {
			as.Reasons = append(as.Reasons, "could not check the token: "+as.Problem)
		}
		return
	}
	as.Checked, as.Valid = true, true
	as.DisplayName, as.Policies, as.IdentityPolicies = info.DisplayName, info.Policies, info.IdentityPolicies
	as.TTLSeconds = int64(info.TTL / time.Second)
	if !info.ExpireTime.IsZero() {
		as.setExpiry(info.ExpireTime, env.Now())
	}
	spec, _ := cfg.For(st.Address)
	spec = spec.ForStored(cur)
	if recorded {
		spec = heal.RecordedSpec(cur)
	}
	as.Ours = spec.Ours(info)
	if !as.Ours && cur.Source == store.SourcePassthrough {
		// Not ours by design: a login that could not mint (or the token
		// setup kept at install). Only its expiry puts it at risk.
		as.Note = passthroughNote(info, env.Now())
		return
	}
	if !as.Ours {
		as.Problem = "not ours: " + spec.WhyNotOurs(info)
		as.Reasons = append(as.Reasons, "the stored token is "+as.Problem+"; log in again to mint ours")
	}
}

// passthroughNote is status's word on a passed-through token: no
// periodic token yet, whether the stored one is at risk (one that never
// expires is not; one that expires is never renewed), and the login that
// mints the periodic token.
func passthroughNote(info heal.TokenInfo, now time.Time) string {
	risk := "it never expires, so nothing is at risk"
	if !info.ExpireTime.IsZero() || info.TTL > 0 {
		exp := info.ExpireTime
		if exp.IsZero() {
			exp = now.Add(info.TTL)
		}
		risk = "it is not renewed and " + expiryWords(exp, now)
	}
	return fmt.Sprintf("no periodic token yet: the stored token (%s, accessor %s) was passed through from a login that did not mint; %s; the next admin login mints the periodic token: %s",
		cmp.Or(info.DisplayName, "no display name"), info.Accessor, risk, installer.LoginHint("vault", info.Path))
}

func (as *AddressStatus) setExpiry(t time.Time, now time.Time) {
	if t.IsZero() {
		as.ExpiresAt, as.ExpiresInSeconds = nil, nil
		return
	}
	t = t.UTC()
	in := int64(t.Sub(now) / time.Second)
	as.ExpiresAt, as.ExpiresInSeconds = &t, &in
}

func mirrorState(path string, cur *store.Token) MirrorStatus {
	content, err := heal.NewMirror(path).Read()
	switch {
	case err != nil:
		return MirrorStatus{State: MirrorUnreadable, Path: path, Detail: oneLine(err.Error())}
	case content == "":
		return MirrorStatus{State: MirrorMissing, Path: path}
	case cur != nil && content == cur.Token:
		return MirrorStatus{State: MirrorInSync, Path: path}
	}
	return MirrorStatus{State: MirrorDiffers, Path: path, Detail: "holds another token"}
}

// schedulerStatus says whether something will run renew (sched.State)
// and whether get's lazy renew is on. bin is the installed front, for
// the fix line.
func schedulerStatus(ctx context.Context, env Env, bin string) SchedulerStatus {
	se := *env.Sched
	if bin == "" {
		bin = filepath.Join(env.Paths.Home, ".local", "bin", installer.HelperName)
	}
	s := SchedulerStatus{Scheduler: sched.State(ctx, se, runtime.GOOS, bin), LazyRenew: front.LazyRenewOn(env.Paths.Data)}
	s.Chosen = !s.Active && installer.ChoseNoScheduler(env.Paths.Data)
	return s
}

// vaultCLIConfig says whether the Vault CLI's config file (~/.vault, or
// VAULT_CONFIG_PATH) names this helper, read with the CLI's own loader.
func vaultCLIConfig(env Env) CLIConfigStatus {
	lookup := env.LookupEnv
	cwd, _ := os.Getwd()
	return cliConfig("vault", installer.VaultConfigPath(lookup, env.Paths.Home, cwd))
}

func cliConfig(cli, path string) CLIConfigStatus {
	c := CLIConfigStatus{CLI: cli, Path: path}
	h, err := installer.TokenHelperIn(path)
	if err != nil && strings.Contains(err.Error(), "external helper path") {
		c.Problem = fmt.Sprintf("%q names a token_helper that does not exist", path)
		return c
	}
	if err != nil {
		// setup refuses a file the CLI cannot load: the fix is by hand.
		msg := oneLine(err.Error())
		c.Problem = fmt.Sprintf("%q cannot be read by the %s CLI: %s", path, cli, msg)
		where := fmt.Sprintf("fix %q", path)
		if n := installer.ErrorLine(msg); n > 0 {
			where = fmt.Sprintf("fix line %d of %q", n, path)
		}
		c.Fix = fmt.Sprintf("%s (%s) by hand, as setup does not edit a file the %s CLI cannot load; then run `vault-token-helper setup`", where, msg, cli)
		return c
	}
	c.TokenHelper = h
	base := filepath.Base(h)
	c.NamesHelper = h != "" && (base == installer.HelperName || base == installer.FullName)
	switch {
	case h == "":
		c.Problem = fmt.Sprintf("%q names no token_helper: the %s CLI keeps its token in ~/.vault-token and nothing here is used", path, cli)
	case !c.NamesHelper:
		c.Problem = fmt.Sprintf("%q names another token helper, %q", path, h)
	}
	return c
}

func (c CLIConfigStatus) why() string {
	return c.Problem + "; " + c.fix("run `vault-token-helper setup` (or set token_helper to the installed vault-token-helper)")
}

// fix is c.Fix, else def.
func (c CLIConfigStatus) fix(def string) string { return cmp.Or(c.Fix, def) }
