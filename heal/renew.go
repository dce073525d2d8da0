package heal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// RenewOptions shape one renew run.
type RenewOptions struct {
	// Scan also lists every token and revokes the other tokens with our
	// display name that this installation minted for this address and no
	// other local address holds (scanReport).
	Scan bool
	// Revoke names accessors --scan may revoke although no metadata
	// attributes them to this installation (a hand-made leftover).
	Revoke []string
	// DryRun reports what would be done and changes nothing.
	DryRun bool
}

// Line is one line of a renew report: an event and what it says.
type Line struct {
	Event string
	Text  string
}

func (l Line) String() string { return l.Event + " " + l.Text }

// Report is what a renew run did for one address.
type Report struct {
	Lines   []Line
	Healthy bool
}

func (r *Report) add(event, format string, args ...any) {
	r.Lines = append(r.Lines, Line{Event: event, Text: fmt.Sprintf(format, args...)})
}

// Renew is one nightly run for the address: check the stored token,
// heal ~/.vault-token when this address is mirrored, renew the periodic
// token, revoke stale ones. Healthy is false when a person should look.
// The error is the lock's; every other failure is a line of the report.
func (h *Healer) Renew(ctx context.Context, opt RenewOptions) (Report, error) {
	rep := Report{Healthy: true}
	sess, st, err := h.lock(ctx)
	if err != nil {
		rep.Healthy = false
		rep.add(EventError, "%s: %v", h.Key, err)
		return rep, err
	}
	defer sess.Close()
	st = h.settleJournal(ctx, sess, st, opt, &rep)
	st, valid, err := h.checkAndHeal(ctx, sess, st, opt, &rep)
	if err != nil {
		// The state on disk is not what st holds: save nothing.
		rep.Healthy = false
		rep.add(EventError, "%s: %v", h.Key, err)
		return rep, nil
	}
	if valid {
		st = h.renewStored(ctx, sess, st, opt, &rep)
		st = h.sweepReport(ctx, sess, st, opt, &rep)
		if opt.Scan {
			h.scanReport(ctx, st, opt, &rep)
		}
	} else if st.Current == nil && slices.ContainsFunc(st.Pending, func(p store.Pending) bool { return p.Token != "" }) {
		// Erased while Vault did not answer: the erased token revokes
		// itself now.
		st = h.sweepReport(ctx, sess, st, opt, &rep)
	}
	if !opt.DryRun {
		h.recordRenewal(sess, st, &rep)
	}
	return rep, nil
}

// settleJournal recovers what interrupted mints left (a dry run only
// says it would). What it cannot settle is an ERROR, with the command
// that settles it, and makes the run unhealthy.
func (h *Healer) settleJournal(ctx context.Context, sess *store.Session, st store.State, opt RenewOptions, rep *Report) store.State {
	if opt.DryRun {
		if len(st.Journal) > 0 {
			rep.add(EventDryRun, "%s: would settle %d interrupted mint(s) from the journal", h.Key, len(st.Journal))
		}
		return st
	}
	st, warn := h.recover(ctx, sess, st, authorities(st))
	for _, w := range warn {
		if w == Unsettled(st) {
			// A live admin token may be untracked: a person should act.
			rep.Healthy = false
			rep.add(EventError, "%s: %s", h.Key, w)
			continue
		}
		rep.add(EventWarn, "%s: %s", h.Key, w)
	}
	return st
}

// checkAndHeal checks the stored token and heals the mirror. It returns
// whether a valid periodic token of ours is stored. A problem with the
// stored token is reported first, but decided after the mirror check:
// when the mirror heals it, it is a warning, not a failure.
func (h *Healer) checkAndHeal(ctx context.Context, sess *store.Session, st store.State, opt RenewOptions, rep *Report) (store.State, bool, error) {
	var problem Report
	chk := h.checkStored(ctx, st, &problem)
	valid := chk.valid
	var err error
	if chk.reachable && h.Mirror != nil {
		st, valid, err = h.checkMirror(ctx, sess, st, chk, opt, rep)
	}
	if chk.configDrift && valid && st.Current != nil && st.Current.Accessor == chk.accessor {
		// Renewed, so that it lives, but a person should log in.
		rep.Healthy = false
	}
	for _, l := range problem.Lines {
		if valid {
			l.Event = EventWarn
		} else {
			rep.Healthy = false
		}
		rep.Lines = append([]Line{l}, rep.Lines...)
	}
	if err == nil && !valid && st.Current == nil && chk.reachable && rep.Healthy {
		// Nothing stored (erased, or never logged in) and nothing in the
		// mirror to heal from: nothing to renew, nothing wrong.
		rep.add(EventSkip, "%s: no token stored", h.Key)
	}
	return st, valid, err
}

// recordRenewal saves the outcome of the run for status.
func (h *Healer) recordRenewal(sess *store.Session, st store.State, rep *Report) {
	summary := make([]string, 0, len(rep.Lines))
	for _, l := range rep.Lines {
		summary = append(summary, l.Event)
	}
	st.LastRenew = &store.Renewal{Time: h.now().UTC(), OK: rep.Healthy, Result: strings.Join(summary, ",")}
	if err := sess.Save(st); err != nil {
		rep.Healthy = false
		rep.add(EventError, "%s: could not save the state: %v", h.Key, err)
	}
}

// storedCheck is what checkStored found.
type storedCheck struct {
	valid     bool // ours (or ours under its recorded guard) and Vault accepts it
	reachable bool // Vault answered
	dead      bool // Vault said the stored token is revoked or expired
	// configDrift: the configuration no longer matches the stored token,
	// which passes the guard recorded with it: it is renewed so that it
	// lives, and the run is unhealthy until an admin login rotates it.
	configDrift bool
	accessor    string
}

// checkStored looks the stored token up.
func (h *Healer) checkStored(ctx context.Context, st store.State, rep *Report) storedCheck {
	cur := st.Current
	if cur == nil {
		return storedCheck{reachable: true}
	}
	info, err := h.Vault.LookupSelf(ctx, cur.Token)
	switch {
	case errors.Is(err, ErrInvalidToken):
		rep.Healthy = false
		rep.add(EventError, "%s: the stored token %s (accessor %s) is revoked or expired; run `%s login -method=oidc` (or another admin login) to mint a new periodic token",
			h.Key, cur.DisplayName, cur.Accessor, h.cli())
		h.log(ctx, slog.LevelError, EventError, "op", "renew", "accessor", cur.Accessor, "error", "stored token is not valid")
		return storedCheck{reachable: true, dead: true, accessor: cur.Accessor}
	case err != nil:
		rep.Healthy = false
		rep.add(EventError, "%s: %v", h.Key, err)
		h.log(ctx, slog.LevelError, EventError, "op", "renew", "error", err.Error())
		return storedCheck{accessor: cur.Accessor}
	}
	guard := h.guardSpec(st)
	if !guard.Ours(info) && !h.Recorded && cur.Source.Periodic() && RecordedSpec(cur).Ours(info) {
		// A config edit must not let the only token expire: renew it under
		// the guard recorded with it until an admin login rotates it.
		rep.add(EventWarn, "%s: the configuration no longer matches the stored token %s (accessor %s: %s); renewing it under the guard recorded with it; the next admin login (%s login -method=oidc) rotates it",
			h.Key, info.DisplayName, info.Accessor, guard.WhyNotOurs(info), h.cli())
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "renew", "accessor", info.Accessor, "note", "the configuration no longer matches; renewed under the recorded guard")
		return storedCheck{valid: true, reachable: true, configDrift: true, accessor: cur.Accessor}
	}
	if !guard.Ours(info) {
		rep.Healthy = false
		rep.add(EventDrift, "%s: the stored token %s (accessor %s, policies %s) is not ours (%s), so it is not renewed; run `%s login -method=oidc` (or another admin login) to mint the periodic token",
			h.Key, info.DisplayName, info.Accessor, strings.Join(info.Policies, ","), h.guardSpec(st).WhyNotOurs(info), h.cli())
		h.log(ctx, slog.LevelWarn, EventDrift, "accessor", info.Accessor, "display_name", info.DisplayName, "policies", info.Policies)
		return storedCheck{reachable: true, accessor: cur.Accessor}
	}
	return storedCheck{valid: true, reachable: true, accessor: cur.Accessor}
}

// guardSpec is the spec the stored token is checked against: the
// configuration's, or the guard recorded with the token when the
// configuration cannot be read (Recorded).
func (h *Healer) guardSpec(st store.State) Spec {
	if h.Recorded {
		return RecordedSpec(st.Current)
	}
	return h.Spec.ForStored(st.Current)
}

func (h *Healer) renewStored(ctx context.Context, sess *store.Session, st store.State, opt RenewOptions, rep *Report) store.State {
	cur := st.Current
	if opt.DryRun {
		rep.add(EventDryRun, "%s: would renew %s (accessor %s)", h.Key, cur.DisplayName, cur.Accessor)
		return st
	}
	ttl, err := h.Vault.RenewSelf(ctx, cur.Token, time.Duration(cur.Period))
	if err != nil {
		rep.Healthy = false
		rep.add(EventError, "%s: renew %s (accessor %s): %v", h.Key, cur.DisplayName, cur.Accessor, err)
		h.log(ctx, slog.LevelError, EventError, "op", "renew-self", "accessor", cur.Accessor, "error", err.Error())
		return st
	}
	cur.ExpireTime = h.now().Add(ttl).UTC()
	rep.add(EventRenewed, "renewed %s: %s accessor %s ttl %s", h.Key, cur.DisplayName, cur.Accessor, ttl)
	h.log(ctx, slog.LevelInfo, EventRenewed, "accessor", cur.Accessor, "display_name", cur.DisplayName, "ttl", ttl.String())
	return st
}

func (h *Healer) sweepReport(ctx context.Context, sess *store.Session, st store.State, opt RenewOptions, rep *Report) store.State {
	if len(st.Pending) == 0 {
		return st
	}
	if opt.DryRun {
		for _, p := range st.Pending {
			rep.add(EventDryRun, "%s: would revoke stale token %s (accessor %s): %s", h.Key, p.DisplayName, p.Accessor, p.Reason)
		}
		return st
	}
	before := st.Pending
	st, warn, spared := h.sweep(ctx, sess, st, authorities(st), false)
	for _, p := range before {
		switch {
		case slices.Contains(spared, p.Accessor):
			rep.add(EventSpared, "%s: stale token %s (accessor %s) not revoked: another local address holds it as current; dropped the record", h.Key, p.DisplayName, p.Accessor)
		case containsAccessor(st.Pending, p.Accessor) && !p.Due(h.now()):
		case containsAccessor(st.Pending, p.Accessor):
		case st.Current != nil && p.Accessor == st.Current.Accessor:
			rep.add(EventWarn, "%s: the current token %s was recorded for revocation; kept it and dropped the record", h.Key, p.Accessor)
		default:
			rep.add(EventRevoked, "%s: stale token %s (accessor %s): %s", h.Key, p.DisplayName, p.Accessor, p.Reason)
		}
	}
	for _, w := range warn {
		rep.add(EventWarn, "%s: %s", h.Key, w)
	}
	return st
}

func containsAccessor(ps []store.Pending, acc string) bool {
	for _, p := range ps {
		if p.Accessor == acc {
			return true
		}
	}
	return false
}

// scanReport is --scan: every other token with our display name that
// the revocation guard lets go is revoked. The guard spares what any
// other local address holds (current, pending or journaled) and what no
// metadata attributes to this installation and this address (a
// hand-made token, perhaps adopted by another installation; another
// installation's; one minted for another address), unless the user
// named it in opt.Revoke. A spared unattributed token is a SPARED line.
func (h *Healer) scanReport(ctx context.Context, st store.State, opt RenewOptions, rep *Report) {
	if h.Recorded {
		// The default display name is not ours to sweep by.
		rep.add(EventSkip, "%s: --scan skipped: the configuration could not be read, so the display name to sweep by is unknown; fix it and run --scan again", h.Key)
		return
	}
	want := h.Spec.VaultDisplayName()
	var stale []revocation
	seen := map[string]bool{}
	looked, err := h.scan(ctx, authorities(st), func(acc string, info TokenInfo) {
		if info.DisplayName != want || acc == st.Current.Accessor || containsAccessor(st.Pending, acc) {
			return
		}
		info.Accessor = acc
		r := revocation{accessor: acc, found: &info, named: slices.Contains(opt.Revoke, acc)}
		seen[acc] = true
		err := h.mayRevoke(ctx, r)
		switch {
		case errors.Is(err, ErrUnattributed):
			hint := ""
			if info.Meta["created_by"] != "vault-token-helper" {
				hint = fmt.Sprintf("; if it is a leftover of yours, name it: vault-token-renew --scan --revoke %s", acc)
			}
			rep.add(EventSpared, "%s: %s (accessor %s) not revoked: %v%s", h.Key, info.DisplayName, acc, err, hint)
			h.log(ctx, slog.LevelInfo, EventSpared, "accessor", acc, "display_name", info.DisplayName, "reason", err.Error())
		case err != nil && r.named:
			rep.add(EventSpared, "%s: %s (accessor %s) not revoked: %v", h.Key, info.DisplayName, acc, err)
		case err != nil:
		default:
			stale = append(stale, r)
		}
	})
	if err != nil {
		rep.Healthy = false
		rep.add(EventError, "%s: scan: %v", h.Key, err)
		return
	}
	for _, acc := range opt.Revoke {
		if !seen[acc] {
			rep.add(EventWarn, "%s: --revoke %s: no token with display name %s other than the stored and pending ones has that accessor; nothing revoked", h.Key, acc, want)
		}
	}
	revoked := 0
	for _, r := range stale {
		name := r.found.DisplayName
		if opt.DryRun {
			rep.add(EventDryRun, "%s: would revoke %s (accessor %s)", h.Key, name, r.accessor)
			continue
		}
		if err := h.revoke(ctx, authorities(st), r); err != nil && !errors.Is(err, ErrUnknownAccessor) {
			rep.add(EventWarn, "%s: could not revoke %s: %v", h.Key, r.accessor, err)
			continue
		}
		revoked++
		reason := "scan"
		if r.named {
			reason = "scan, named with --revoke"
		}
		rep.add(EventRevoked, "%s: %s (accessor %s) found by --scan", h.Key, name, r.accessor)
		h.log(ctx, slog.LevelInfo, EventRevoked, "accessor", r.accessor, "display_name", name, "reason", reason)
	}
	rep.add(EventScan, "%s: looked at %d tokens, revoked %d with display name %s", h.Key, looked, revoked, want)
}

// otherAddress reports whether this tool minted the token for another
// address key (the same Vault can be reached as 127.0.0.1 and localhost).
func otherAddress(meta map[string]string, addr string) bool {
	return meta["created_by"] == "vault-token-helper" && meta["address"] != "" && meta["address"] != addr
}

// foreignMeta reports whether a token's metadata says another
// installation minted it: another install id when the token carries one
// (two data directories, two WSL distributions sharing a hostname, two
// containers with a default hostname), otherwise, for tokens minted
// before install ids existed, another host or user. Tokens without our
// metadata (minted by hand) are not foreign.
func (h *Healer) foreignMeta(meta map[string]string) bool {
	if meta["created_by"] != "vault-token-helper" {
		return false
	}
	if id := meta["install_id"]; id != "" {
		return id != h.InstallID
	}
	return (meta["host"] != "" && meta["host"] != h.Host) || (meta["user"] != "" && meta["user"] != h.User)
}

// checkMirror compares ~/.vault-token with the stored token and heals it:
// restore the periodic token over a file that is gone, garbage, or a
// token that is not ours; adopt a periodic token of ours found there;
// with no valid periodic token stored, mint one with the file's token.
// It returns the (possibly new) state and whether a valid periodic token
// is now stored; an error means the state could not be read back and
// the run must not save it.
func (h *Healer) checkMirror(ctx context.Context, sess *store.Session, st store.State, chk storedCheck, opt RenewOptions, rep *Report) (store.State, bool, error) {
	valid := chk.valid
	content, settled := h.mirrorContent(ctx, st, valid, opt, rep)
	if settled {
		return st, valid, nil
	}
	path := h.Mirror.Path
	info, err := h.Vault.LookupSelf(ctx, content)
	switch {
	case errors.Is(err, ErrInvalidToken):
		h.restoreMirror(ctx, st, valid, opt, rep, EventWarn, "%s: %s held a token Vault does not accept; restored the periodic token", h.Key, path)
		return st, valid, nil
	case err != nil:
		rep.add(EventWarn, "%s: could not check %s: %v", h.Key, path, err)
		return st, valid, nil
	}
	ok, perr := h.adoptable(ctx, st, info)
	switch {
	case perr != nil:
		if valid {
			h.restoreMirror(ctx, st, valid, opt, rep, EventWarn, "%s: %s held a replaced token (%v); restored the periodic token", h.Key, path, perr)
		} else {
			rep.add(EventWarn, "%s: %s holds a replaced token (%v); not stored", h.Key, path, perr)
		}
		return st, valid, nil
	case ok:
		return h.healByAdopt(ctx, sess, st, valid, content, info, opt, rep)
	case valid:
		h.restoreOverClobber(ctx, st, content, info, opt, rep)
		return st, valid, nil
	}
	return h.healByMint(ctx, sess, st, chk.dead, content, info, opt, rep)
}

// mirrorContent reads the mirror. settled: nothing needs Vault's
// opinion (the file is in sync, or it was restored because it held no
// token).
func (h *Healer) mirrorContent(ctx context.Context, st store.State, valid bool, opt RenewOptions, rep *Report) (content string, settled bool) {
	path := h.Mirror.Path
	content, err := h.Mirror.Read()
	switch {
	case err != nil:
		h.restoreMirror(ctx, st, valid, opt, rep, EventWarn, "%s: %s was unreadable (%v); restored the periodic token", h.Key, path, err)
	case content == "":
		h.restoreMirror(ctx, st, valid, opt, rep, EventHealed, "%s: %s was missing or empty; restored the periodic token", h.Key, path)
	case st.Current != nil && content == st.Current.Token:
		// in sync; the stored token's own problems are reported by checkStored
	case !looksLikeToken(content):
		h.restoreMirror(ctx, st, valid, opt, rep, EventWarn, "%s: %s did not hold a token; restored the periodic token", h.Key, path)
	default:
		return content, false
	}
	return content, true
}

// restoreMirror writes the stored periodic token back to the mirror
// (when there is a valid one) and reports it as event.
func (h *Healer) restoreMirror(ctx context.Context, st store.State, valid bool, opt RenewOptions, rep *Report, event, format string, args ...any) {
	if !valid {
		return
	}
	path := h.Mirror.Path
	if opt.DryRun {
		rep.add(EventDryRun, "%s: would restore %s from the store", h.Key, path)
		return
	}
	if err := h.Mirror.Write(st.Current.Token); err != nil {
		rep.Healthy = false
		rep.add(EventError, "%s: could not restore %s: %v", h.Key, path, err)
		return
	}
	rep.add(event, format, args...)
	h.log(ctx, slog.LevelWarn, event, "path", path, "note", fmt.Sprintf(format, args...))
}

// healByAdopt stores the periodic token of ours found in the mirror.
func (h *Healer) healByAdopt(ctx context.Context, sess *store.Session, st store.State, valid bool, content string, info TokenInfo, opt RenewOptions, rep *Report) (store.State, bool, error) {
	path := h.Mirror.Path
	if opt.DryRun {
		rep.add(EventDryRun, "%s: would adopt %s (accessor %s) from %s", h.Key, info.DisplayName, info.Accessor, path)
		return st, valid, nil
	}
	if _, err := h.adopt(ctx, sess, st, content, info, Result{}); err != nil {
		rep.Healthy = false
		rep.add(EventError, "%s: adopt the token in %s: %v", h.Key, path, err)
		return st, valid, nil
	}
	rep.add(EventHealed, "%s: adopted %s (accessor %s) found in %s", h.Key, info.DisplayName, info.Accessor, path)
	return h.reload(sess, st, true)
}

// restoreOverClobber: a valid periodic token is stored and the mirror
// holds another token. An admin-capable one is a warning; a weak one
// means some login flow writes that file, and a person should look.
func (h *Healer) restoreOverClobber(ctx context.Context, st store.State, content string, info TokenInfo, opt RenewOptions, rep *Report) {
	path, pols := h.Mirror.Path, strings.Join(info.Policies, ",")
	can, err := h.Vault.CanMint(ctx, content)
	switch {
	case err != nil:
		h.restoreMirror(ctx, st, true, opt, rep, EventWarn, "%s: %s held %s (policies %s), not the periodic token; restored it (could not ask Vault what that token may do: %v)",
			h.Key, path, info.DisplayName, pols, err)
	case can:
		h.restoreMirror(ctx, st, true, opt, rep, EventHealed, "%s: %s held %s (policies %s), not the periodic token; restored it", h.Key, path, info.DisplayName, pols)
	default:
		h.restoreMirror(ctx, st, true, opt, rep, EventDrift, "%s: %s held the weak token %s (policies %s); restored the periodic token; some login flow wrote that file, find it", h.Key, path, info.DisplayName, pols)
		rep.Healthy = false
	}
}

// healByMint: no valid periodic token is stored; mint one with the
// authority of the mirror's token, as the old renewer did. Vault's
// answer decides whether it can. The stored token it replaces gets no
// grace only when dead (Vault said it is revoked or expired); a live one
// that is not ours gets the rotation's grace.
func (h *Healer) healByMint(ctx context.Context, sess *store.Session, st store.State, dead bool, content string, info TokenInfo, opt RenewOptions, rep *Report) (store.State, bool, error) {
	const valid = false
	path := h.Mirror.Path
	if opt.DryRun {
		rep.add(EventDryRun, "%s: would mint a periodic token with the authority of %s from %s", h.Key, info.DisplayName, path)
		return st, valid, nil
	}
	spec, err := h.Spec.ForLogin(info)
	if err == nil {
		var res Result
		res, err = h.mint(ctx, sess, st, content, info, spec, Result{replacedDead: dead})
		if err == nil {
			rep.add(EventHealed, "%s: minted %s (accessor %s) with the authority of %s found in %s", h.Key, spec.VaultDisplayName(), res.Accessor, info.DisplayName, path)
			for _, w := range res.Warnings {
				rep.add(EventWarn, "%s: %s", h.Key, w)
			}
			return h.reload(sess, st, true)
		}
	}
	rep.Healthy = false
	var cm *cannotMintError
	if errors.As(err, &cm) || errors.Is(err, ErrNothingToMint) {
		rep.add(EventDrift, "%s: %s holds %s (policies %s), which cannot mint, and no valid periodic token is stored; run `%s login -method=oidc` (or another admin login)",
			h.Key, path, info.DisplayName, strings.Join(info.Policies, ","), h.cli())
		return st, valid, nil
	}
	rep.add(EventError, "%s: heal from %s: %v", h.Key, path, err)
	return h.reload(sess, st, valid)
}

// reload reads back the state an operation on sess saved.
func (h *Healer) reload(sess *store.Session, st store.State, valid bool) (store.State, bool, error) {
	fresh, err := sess.Load()
	if err != nil {
		return st, false, fmt.Errorf("read the state back: %w", err)
	}
	return fresh, valid, nil
}

// looksLikeToken accepts printable ASCII without spaces, as Vault tokens are.
func looksLikeToken(s string) bool {
	if s == "" || len(s) > 4096 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
