package helper

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// Metrics: vault-token-renew and status write a Prometheus textfile
// (node_exporter's textfile collector format) when metrics_file is set
// in the configuration or --metrics-file PATH is given. One series per
// stored address (labels address and namespace); docs/runbook.md says
// what each means and what to alert on. The file holds no token and no
// accessor. It is replaced atomically (a temporary file in the same
// directory, renamed over it), mode 0644: node_exporter usually runs as
// another user, and nothing in it is secret.

// Mirror states of vault_token_helper_mirror_state.
const (
	MirrorInSync      = "in_sync"
	MirrorMissing     = "missing"
	MirrorDiffers     = "differs"
	MirrorUnreadable  = "unreadable"
	MirrorNotMirrored = "not_mirrored"
)

var mirrorStates = []string{MirrorInSync, MirrorMissing, MirrorDiffers, MirrorUnreadable, MirrorNotMirrored}

// AddressMetrics is what the metrics say of one address.
type AddressMetrics struct {
	Address   string
	Namespace string
	// Stored: a token is stored; the token series exist only then.
	Stored bool
	// TTL and Expiry: from Vault when it answered, else as recorded at
	// the last store or renew. HasExpiry is false when neither is known.
	TTL       time.Duration
	Expiry    time.Time
	HasExpiry bool
	// Ours: the stored token is a periodic token of ours: false after a
	// DRIFT (or a status lookup that finds it is not ours), else the
	// recorded source (minted, adopted: true; a passed-through login
	// token: false).
	Ours          bool
	LastRenew     *store.Renewal
	Pending       int
	MirrorState   string // one of the Mirror* constants
	MirrorEnabled bool
}

// metricsFromState builds the metrics of st from what is on disk;
// callers then set what Vault said.
func metricsFromState(st store.State, now time.Time, mirrorPath string, mirrored bool) AddressMetrics {
	m := AddressMetrics{Address: st.Address, Namespace: st.Namespace, LastRenew: st.LastRenew, Pending: len(st.Pending), MirrorState: MirrorNotMirrored}
	if cur := st.Current; cur != nil {
		m.Stored = true
		m.Ours = cur.Source.Periodic()
		if !cur.ExpireTime.IsZero() {
			m.Expiry, m.HasExpiry = cur.ExpireTime, true
			m.TTL = cur.ExpireTime.Sub(now)
		}
	}
	if mirrored {
		m.MirrorState = mirrorMetricState(mirrorPath, st.Current)
	}
	return m
}

// mirrorMetricState compares ~/.vault-token with the stored token.
func mirrorMetricState(path string, cur *store.Token) string {
	content, err := heal.NewMirror(path).Read()
	switch {
	case err != nil:
		return MirrorUnreadable
	case content == "":
		return MirrorMissing
	case cur != nil && content == cur.Token:
		return MirrorInSync
	}
	return MirrorDiffers
}

// FormatMetrics is the textfile for ms, in the exposition format.
func FormatMetrics(ms []AddressMetrics) []byte {
	ms = append([]AddressMetrics(nil), ms...)
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Address != ms[j].Address {
			return ms[i].Address < ms[j].Address
		}
		return ms[i].Namespace < ms[j].Namespace
	})
	var b strings.Builder
	family := func(name, help string, each func(m AddressMetrics) []sample) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, m := range ms {
			for _, s := range each(m) {
				fmt.Fprintf(&b, "%s{address=%s,namespace=%s%s} %s\n", name, quoteLabel(m.Address), quoteLabel(m.Namespace), s.labels,
					strconv.FormatFloat(s.v, 'g', -1, 64))
			}
		}
	}
	one := func(ok bool, v float64) []sample {
		if !ok {
			return nil
		}
		return []sample{{v: v}}
	}
	family("vault_token_helper_token_ttl_seconds", "Seconds until the stored token expires (from Vault when it answered, else as recorded at the last store or renew).",
		func(m AddressMetrics) []sample { return one(m.Stored && m.HasExpiry, m.TTL.Seconds()) })
	family("vault_token_helper_token_expiry_timestamp_seconds", "Unix time at which the stored token expires.",
		func(m AddressMetrics) []sample { return one(m.Stored && m.HasExpiry, float64(m.Expiry.Unix())) })
	family("vault_token_helper_token_ours", "1 when the stored token is a periodic token of ours, 0 when it is not (DRIFT, or a passed-through login token).",
		func(m AddressMetrics) []sample { return one(m.Stored, b2f(m.Ours)) })
	family("vault_token_helper_last_renew_timestamp_seconds", "Unix time of the last vault-token-renew run for the address.",
		func(m AddressMetrics) []sample { return one(m.LastRenew != nil, unixOf(m.LastRenew)) })
	family("vault_token_helper_last_renew_success", "1 when the last vault-token-renew run for the address was healthy, else 0.",
		func(m AddressMetrics) []sample {
			return one(m.LastRenew != nil, b2f(m.LastRenew != nil && m.LastRenew.OK))
		})
	family("vault_token_helper_pending_revocations", "Replaced periodic tokens still waiting to be revoked.",
		func(m AddressMetrics) []sample { return one(true, float64(m.Pending)) })
	family("vault_token_helper_mirror_state", "State of ~/.vault-token for the mirrored address: 1 for the current state, 0 for the others.",
		func(m AddressMetrics) []sample {
			var out []sample
			for _, s := range mirrorStates {
				out = append(out, sample{labels: ",state=" + quoteLabel(s), v: b2f(s == m.MirrorState)})
			}
			return out
		})
	return []byte(b.String())
}

type sample struct {
	labels string
	v      float64
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unixOf(r *store.Renewal) float64 {
	if r == nil {
		return 0
	}
	return float64(r.Time.Unix())
}

// quoteLabel quotes a label value as the exposition format wants.
func quoteLabel(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// WriteMetrics replaces the textfile at path with the metrics of ms.
func WriteMetrics(path string, ms []AddressMetrics) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("metrics file %q: use an absolute path", path)
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("metrics file %q is not a regular file; move it away", path)
	}
	// node_exporter reads *.prom files: the temporary name (.NAME.tmp-*)
	// does not end so.
	if err := disk.WriteFile(path, FormatMetrics(ms), disk.WriteOptions{Mode: 0o644, ReplaceLink: true}); err != nil {
		return fmt.Errorf("write the metrics file %q: %w", path, err)
	}
	return nil
}

// storeMetrics are the metrics of every stored address as on disk; drift
// names the keys whose token a renew found not ours.
func storeMetrics(env Env, cfg *Config, drift map[store.Key]bool) ([]AddressMetrics, error) {
	states, errs := env.files().List()
	mk := storedMirrorKey(cfg, states)
	now := env.Now()
	var ms []AddressMetrics
	for _, st := range states {
		m := metricsFromState(st, now, env.Paths.MirrorDef, st.Key() == mk)
		if drift[st.Key()] {
			m.Ours = false
		}
		ms = append(ms, m)
	}
	return ms, errors.Join(errs...)
}

// statusMetrics are the metrics of a status run: what is on disk, with
// what Vault answered to status's lookups.
func statusMetrics(env Env, cfg *Config, addrs []AddressStatus) ([]AddressMetrics, error) {
	ms, err := storeMetrics(env, cfg, nil)
	byKey := map[store.Key]AddressStatus{}
	for _, a := range addrs {
		byKey[store.Key{Addr: a.Address, Namespace: a.Namespace}] = a
	}
	for i, m := range ms {
		a, ok := byKey[store.Key{Addr: m.Address, Namespace: m.Namespace}]
		if !ok || !a.Stored || !a.Checked {
			continue // Vault did not answer: the record stands
		}
		m.Ours = a.Valid && a.Ours
		if a.Valid {
			m.TTL, m.HasExpiry = time.Duration(a.TTLSeconds)*time.Second, a.ExpiresAt != nil
			if a.ExpiresAt != nil {
				m.Expiry = *a.ExpiresAt
			}
		} else {
			m.TTL, m.Expiry, m.HasExpiry = 0, env.Now(), true // revoked or expired
		}
		ms[i] = m
	}
	return ms, err
}
