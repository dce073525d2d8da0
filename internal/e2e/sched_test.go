package e2e

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// shortConfig is wizardConfig with a two-minute period.
var shortConfig = strings.Replace(wizardConfig, `period          = "768h"`, `period          = "2m"`, 1)

func dataDir(h *vaulttest.Home) string { return filepath.Join(h.DataHome, "vault-token-helper") }

// storedState reads what is stored for s's address in h.
func storedState(t *testing.T, h *vaulttest.Home, s *vaulttest.Server) (store.Key, store.State) {
	t.Helper()
	k, err := store.NewKey(s.Addr, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(dataDir(h)).Peek(k)
	if err != nil {
		t.Fatalf("read the state: %v", err)
	}
	return k, st
}

// renewsOf lists the pids of the running lazy renews of addr: the
// processes whose command line is `RENEW --address addr`. The command
// line stays readable while the renew is non-dumpable.
func renewsOf(addr string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		if len(argv) == 3 && strings.Contains(filepath.Base(argv[0]), "renew") && argv[1] == "--address" && argv[2] == addr && processState(pid) != "Z" {
			pids = append(pids, pid)
		}
	}
	return pids
}

func stampPath(t *testing.T, h *vaulttest.Home, k store.Key) string {
	t.Helper()
	return filepath.Join(filepath.Dir(store.New(dataDir(h)).StatePath(k)), front.LazyStampName)
}

// The lazy renew for real: a 2m periodic token nobody renewed for a
// minute (its TTL below half its period) is renewed in the background
// after one `vault token lookup`, within seconds; a second lookup right
// after starts no second renew.
func TestLazyRenew(t *testing.T) {
	t.Parallel()
	s, h := world(t, shortConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	acc := lookupJSON(t, h)["accessor"].(string)
	k, st := storedState(t, h, s)
	if st.Current == nil || time.Duration(st.Current.Period) != 2*time.Minute {
		t.Fatalf("stored token: %+v, want a 2m periodic token", st.Current)
	}
	if _, err := os.Lstat(stampPath(t, h, k)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a lazy renew was started right after the login (stamp: %v)", err)
	}
	// The scenario: a minute with no renew. Wait until the recorded expiry
	// is less than half the period away, as get will see it.
	vaulttest.Eventually(t, "the token becomes due", func() bool { return front.LazyDue(st, time.Now()) })
	before := ttlOf(t, s, acc)
	// Vault counts the TTL in whole seconds and the recorded expiry comes
	// from a lookup made a moment after the mint: allow one second.
	if before > time.Minute+time.Second {
		t.Fatalf("TTL before the lookup = %s, want about 1m or less", before)
	}

	lookupJSON(t, h)
	stamp, err := os.ReadFile(stampPath(t, h, k))
	if err != nil {
		t.Fatalf("after a lookup of a due token, no lazy renew was started: %v", err)
	}
	lookupJSON(t, h) // right after: the stamp says one is running
	if again, _ := os.ReadFile(stampPath(t, h, k)); !bytes.Equal(again, stamp) {
		t.Errorf("the second lookup started another renew: stamp %q, then %q", stamp, again)
	}

	vaulttest.Eventually(t, "the background renew records its run", func() bool {
		_, st := storedState(t, h, s)
		return st.LastRenew != nil
	})
	_, st = storedState(t, h, s)
	if !st.LastRenew.OK {
		t.Errorf("the background renew: %+v, want OK", st.LastRenew)
	}
	if after := ttlOf(t, s, acc); after < 110*time.Second || after > 2*time.Minute {
		t.Errorf("TTL after the lazy renew = %s, want near 2m (before: %s)", after, before)
	}
	// A second renew, had one started with the first, would wait for the
	// address's lock and log its own OK after the first: wait until no
	// renew of this address runs, then count.
	vaulttest.Eventually(t, "every background renew of "+s.Addr+" has ended", func() bool { return len(renewsOf(s.Addr)) == 0 })
	if n := countEvents(logText(t, h), "OK"); n != 1 {
		t.Errorf("%d renews logged OK, want 1:\n%s", n, logText(t, h))
	}
}

// lazy_renew = false: a due token, a lookup, and nothing is started.
func TestLazyRenewOff(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig+"lazy_renew = false\n")
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	if front.LazyRenewOn(dataDir(h)) {
		t.Fatalf("after a store with lazy_renew = false, %s is missing", filepath.Join(dataDir(h), front.LazyOffName))
	}
	// Due by the 48h rule: the store's record says it was stored 3 days
	// ago and never renewed (the clock cannot be moved in a real Vault).
	k, _ := storedState(t, h, s)
	sess, err := store.New(dataDir(h)).Lock(context.Background(), k, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sess.Load()
	if err == nil {
		st.Current.StoredAt = time.Now().Add(-72 * time.Hour)
		err = sess.Save(st)
	}
	sess.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !front.LazyDue(st, time.Now()) {
		t.Fatal("the backdated token is not due")
	}
	lookupJSON(t, h)
	if _, err := os.Lstat(stampPath(t, h, k)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("with lazy_renew = false a lookup started a renew (stamp: %v)", err)
	}

	// Turned back on, the next command that reads the config removes the
	// marker, and the same lookup starts one.
	writeConfig(t, h, wizardConfig)
	mustExit(t, "renew --dry-run", renew(t, h, "--dry-run"), 0)
	lookupJSON(t, h)
	if _, err := os.Lstat(stampPath(t, h, k)); err != nil {
		t.Errorf("with lazy_renew back on, a lookup of a due token started no renew: %v", err)
	}
	vaulttest.Eventually(t, "the background renew records its run", func() bool {
		_, st := storedState(t, h, s)
		return st.LastRenew != nil
	})
}

// metricsOf parses a metrics file and returns sample values by
// "name{state}" for the one address in it.
func metricsOf(t *testing.T, path string) map[string]float64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the metrics file: %v", err)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the metrics file does not parse: %v\n%s", err, data)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if f.GetType() != dto.MetricType_GAUGE || f.GetHelp() == "" {
			t.Errorf("%s: type %v, help %q; want a gauge with help", name, f.GetType(), f.GetHelp())
		}
		for _, m := range f.GetMetric() {
			key := name
			for _, l := range m.GetLabel() {
				if l.GetName() == "state" {
					key += "{" + l.GetValue() + "}"
				}
			}
			out[key] = m.GetGauge().GetValue()
		}
	}
	return out
}

// The metrics textfile after a healthy renew, after a DRIFT and with
// Vault down.
func TestRenewMetrics(t *testing.T) {
	t.Parallel()
	type want map[string]float64
	tests := []struct {
		name     string
		user     string // userpass login
		down     bool
		flag     bool // --metrics-file instead of metrics_file
		wantCode int
		want     want
		ttlMin   time.Duration
	}{
		{"healthy", "admin", false, false, 0, want{
			"vault_token_helper_token_ours": 1, "vault_token_helper_last_renew_success": 1,
			"vault_token_helper_pending_revocations": 0, "vault_token_helper_mirror_state{in_sync}": 1,
		}, 767 * time.Hour},
		{"drift", "weak", false, true, 1, want{
			// A passed-through login token is not mirrored to ~/.vault-token.
			"vault_token_helper_token_ours": 0, "vault_token_helper_last_renew_success": 0,
			"vault_token_helper_mirror_state{missing}": 1,
		}, 0},
		{"vault down", "admin", true, false, 1, want{
			"vault_token_helper_token_ours": 1, "vault_token_helper_last_renew_success": 0,
			"vault_token_helper_mirror_state{in_sync}": 1,
		}, 767 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := vaulttest.Start(t)
			h := vaulttest.NewHome(t, s, bins.Helper)
			var p *vaulttest.Proxy
			if tt.down {
				p = vaulttest.StartProxy(t, s)
				h.Setenv("VAULT_ADDR", p.Addr)
			}
			prom := filepath.Join(t.TempDir(), "vault-token-helper.prom")
			cfg, args := wizardConfig, []string{"--metrics-file", prom}
			if !tt.flag {
				cfg, args = wizardConfig+"metrics_file = \""+prom+"\"\n", nil
			}
			writeConfig(t, h, cfg)
			mustExit(t, tt.user+" login", h.LoginUserpass(t, tt.user), 0)
			if p != nil {
				p.Refuse()
			}
			start := time.Now()
			res := renew(t, h, args...)
			mustExit(t, "renew", res, tt.wantCode)
			got := metricsOf(t, prom)
			for k, v := range tt.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
			if ttl := time.Duration(got["vault_token_helper_token_ttl_seconds"]) * time.Second; ttl < tt.ttlMin {
				t.Errorf("ttl = %s, want at least %s", ttl, tt.ttlMin)
			}
			if ts := got["vault_token_helper_last_renew_timestamp_seconds"]; ts < float64(start.Unix()) {
				t.Errorf("last renew timestamp %v is before the run (%d)", ts, start.Unix())
			}
			exp := got["vault_token_helper_token_expiry_timestamp_seconds"]
			if d := exp - float64(time.Now().Unix()) - got["vault_token_helper_token_ttl_seconds"]; d > 2 || d < -2 {
				t.Errorf("expiry %v and ttl %v disagree by %vs", exp, got["vault_token_helper_token_ttl_seconds"], d)
			}
		})
	}
}

// setup --scheduler cron through the installed binary, with a stand-in
// crontab on PATH: one line after two runs, none after uninstall, and
// the other lines of the crontab kept.
func TestSetupSchedulerCron(t *testing.T) {
	t.Parallel()
	h, prefix := installHome(t, nil)
	fake := filepath.Join(filepath.Dir(h.Dir), "fakebin")
	tab := filepath.Join(filepath.Dir(h.Dir), "crontab.txt")
	if err := os.MkdirAll(fake, 0o700); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
case "$1" in
-l) if [ -f '` + tab + `' ]; then cat '` + tab + `'; else echo "no crontab for $USER" >&2; exit 1; fi ;;
-) cat > '` + tab + `' ;;
*) exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(fake, "crontab"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	other := "MAILTO=\"\"\n0 3 * * * /usr/bin/true\n"
	if err := os.WriteFile(tab, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _ := goEnv()
	h.Setenv("PATH", fake+":"+env["PATH"])

	mustSetup(t, h, "--prefix", prefix, "--scheduler", "cron")
	res := mustSetup(t, h, "--prefix", prefix, "--scheduler", "cron")
	if !strings.Contains(res.Stdout, "the crontab runs") {
		t.Errorf("the second setup does not say the line is there:\n%s", res.Stdout)
	}
	renewBin := filepath.Join(prefix, "bin", "vault-token-renew")
	got := readFile(t, tab)
	if !strings.HasPrefix(got, other) || strings.Count(got, renewBin) != 1 {
		t.Errorf("crontab = %q, want the other lines and one line running %s", got, renewBin)
	}
	mustSetup(t, h, "--prefix", prefix, "--uninstall")
	if got := readFile(t, tab); got != other {
		t.Errorf("crontab after uninstall = %q, want %q", got, other)
	}
}

// status --metrics-file writes what its lookups found: a token Vault no
// longer accepts shows as expired, not as the recorded TTL.
func TestStatusMetrics(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	mustExit(t, "admin login", h.LoginUserpass(t, "admin"), 0)
	acc := lookupJSON(t, h)["accessor"].(string)
	prom := filepath.Join(t.TempDir(), "vault-token-helper.prom")
	h.Run(t, "", bins.Helper, "status", "--metrics-file", prom)
	got := metricsOf(t, prom)
	if ttl := time.Duration(got["vault_token_helper_token_ttl_seconds"]) * time.Second; ttl < 767*time.Hour {
		t.Errorf("ttl = %s, want about 768h", ttl)
	}
	if got["vault_token_helper_token_ours"] != 1 {
		t.Errorf("ours = %v, want 1", got["vault_token_helper_token_ours"])
	}
	s.Revoke(t, acc)
	h.Run(t, "", bins.Helper, "status", "--metrics-file", prom)
	got = metricsOf(t, prom)
	if ttl := got["vault_token_helper_token_ttl_seconds"]; ttl != 0 {
		t.Errorf("ttl of a revoked token = %v, want 0", ttl)
	}
	if got["vault_token_helper_token_ours"] != 0 {
		t.Errorf("ours of a revoked token = %v, want 0", got["vault_token_helper_token_ours"])
	}
}
