package helper

// status as a person reads it: durations in words, one block per address.

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// words is p for the text output: "ACC (REASON; WHEN)", with the last
// failure and the retry when there was one.
func (p PendingState) words() string {
	when := "at the next sweep"
	if p.RevokeAfter != nil {
		when = "after " + p.RevokeAfter.Format(time.RFC3339)
	}
	if p.LastError != "" {
		when = "not revoked yet: " + p.LastError + "; the next vault-token-renew or login retries it"
	}
	return fmt.Sprintf("%s (%s; %s)", p.Accessor, p.Reason, when)
}

// humanDuration reads as days and hours ("31 days", "2 days 5 hours",
// "3 hours 10 minutes", "less than a minute").
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	days, hours, mins := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case days >= 7 || (days > 0 && hours == 0):
		return plural(days, "day")
	case days > 0:
		return plural(days, "day") + " " + plural(hours, "hour")
	case hours > 0 && mins == 0:
		return plural(hours, "hour")
	case hours > 0:
		return plural(hours, "hour") + " " + plural(mins, "minute")
	case mins > 0:
		return plural(mins, "minute")
	}
	return "less than a minute"
}

// FutureSlack is how far in the future a recorded time may be before
// status says the clock moved back (a small step of NTP is not news).
const FutureSlack = time.Minute

// ago is when t was, seen from now: "3 days ago", or, for a time
// further in the future than FutureSlack (the clock moved back since it
// was recorded), "in the future by 3 days (clock moved back?)".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < -FutureSlack:
		return "in the future by " + humanDuration(-d) + " (clock moved back?)"
	case d < 0:
		d = 0
	}
	return humanDuration(d) + " ago"
}

// expiryWords is "expires in 31 days, 2026-12-31" (or "expired 2 days ago").
func expiryWords(t, now time.Time) string {
	date := t.UTC().Format("2006-01-02")
	if !t.After(now) {
		return fmt.Sprintf("expired %s ago, %s", humanDuration(now.Sub(t)), date)
	}
	return fmt.Sprintf("expires in %s, %s", humanDuration(t.Sub(now)), date)
}

func printStatus(w io.Writer, rep Status, now time.Time) {
	if len(rep.Addresses) == 0 {
		fmt.Fprintln(w, "no Vault address has a stored token; run `vault login` first")
	}
	for _, a := range rep.Addresses {
		printAddress(w, a, now)
	}
	printVerdict(w, rep)
}

// printAddress is one address's block of status.
func printAddress(w io.Writer, a AddressStatus, now time.Time) {
	title := a.keyString()
	if a.Selected {
		title += "  <- VAULT_ADDR"
	}
	fmt.Fprintln(w, title)
	switch a.State {
	case AddrRefused:
		fmt.Fprintf(w, "  problem:     %s\n", a.Problem)
		return
	case AddrErased:
		if a.JournalEntries > 0 {
			fmt.Fprintf(w, "  no token stored; journal: %d interrupted mint(s) not settled (see below)\n", a.JournalEntries)
		} else {
			fmt.Fprintln(w, "  no token stored (erased)")
		}
		if len(a.Pending) > 0 {
			fmt.Fprintf(w, "  to revoke:   %s\n", pendingWords(a.Pending))
		}
		return
	}
	printToken(w, a, now)
}

// printToken is the lines of an address's stored token.
func printToken(w io.Writer, a AddressStatus, now time.Time) {
	switch {
	case a.ExpiresAt != nil:
		fmt.Fprintf(w, "  %s\n", expiryWords(*a.ExpiresAt, now))
	default:
		fmt.Fprintln(w, "  never expires")
	}
	ours := yesNo(a.Ours)
	if !a.Checked || !a.Valid {
		ours = "unknown (not checked)"
	}
	fmt.Fprintf(w, "  token:       %s (accessor %s, %s), ours: %s\n", a.DisplayName, a.Accessor, a.Source, ours)
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
	if a.Problem != "" {
		fmt.Fprintf(w, "  problem:     %s\n", a.Problem)
	}
	if a.Note != "" {
		fmt.Fprintf(w, "  note:        %s\n", a.Note)
	}
	if a.LastRenew != nil {
		res := "OK"
		if !a.LastRenew.OK {
			res = "FAILED: " + a.LastRenew.Result
		}
		fmt.Fprintf(w, "  last renew:  %s, %s (%s)\n", ago(a.LastRenew.Time, now), res, a.LastRenew.Time.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintln(w, "  last renew:  never (stored "+ago(derefTime(a.LastSuccess, now), now)+")")
	}
	if a.LastLogin != nil {
		fmt.Fprintf(w, "  last login:  %s, %s (accessor %s)\n", ago(a.LastLogin.Time, now), a.LastLogin.Event, a.LastLogin.Accessor)
	}
	mirror := a.Mirror.State
	if a.Mirror.Path != "" {
		mirror += " (" + a.Mirror.Path + ")"
	}
	if a.Mirror.Detail != "" {
		mirror += ": " + a.Mirror.Detail
	}
	fmt.Fprintf(w, "  mirror:      %s\n", mirror)
	fmt.Fprintf(w, "  to revoke:   %s\n", pendingWords(a.Pending))
	if a.JournalEntries > 0 {
		fmt.Fprintf(w, "  journal:     %d interrupted mint(s) not settled (see below)\n", a.JournalEntries)
	}
}

// printVerdict is the end of status: the scheduler, the CLI config, the
// warnings and whether every token will survive.
func printVerdict(w io.Writer, rep Status) {
	s := rep.Scheduler
	switch {
	case s.Active:
		fmt.Fprintf(w, "scheduler:     %s: %s\n", s.Kind, s.Detail)
	case s.Chosen:
		fmt.Fprintf(w, "scheduler:     none, as you chose (setup --scheduler none); see the warning below\n")
	case s.LazyRenew:
		fmt.Fprintf(w, "scheduler:     none will run (%s); only the lazy renew of get, when you use the CLI, renews; fix: %s\n", s.Detail, s.Fix)
	default:
		fmt.Fprintf(w, "scheduler:     none will run: %s\n", s.Detail)
	}
	c := rep.CLIConfig
	if c.NamesHelper {
		fmt.Fprintf(w, "CLI config:    %s names %s\n", c.Path, c.TokenHelper)
	} else {
		fmt.Fprintf(w, "CLI config:    %s\n", c.Problem)
	}
	for _, x := range rep.Warnings {
		fmt.Fprintf(w, "warning:       %s\n", x)
	}
	if rep.Healthy && len(rep.Warnings) > 0 {
		fmt.Fprintln(w, "healthy, with the warning above")
		return
	}
	if rep.Healthy {
		fmt.Fprintln(w, "healthy: every stored token will be renewed")
		return
	}
	fmt.Fprintln(w, "UNHEALTHY:")
	for _, r := range rep.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
}

// pendingWords is the to-revoke list of an address, "none" when empty.
func pendingWords(ps []PendingState) string {
	if len(ps) == 0 {
		return "none"
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.words())
	}
	return strings.Join(out, ", ")
}

func derefTime(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return *t
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
