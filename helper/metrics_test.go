package helper

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// parseMetrics parses a textfile as node_exporter does, and returns
// every sample as "name{address,namespace[,state]}" -> value.
func parseMetrics(t *testing.T, data []byte) map[string]float64 {
	t.Helper()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the metrics file does not parse: %v\n%s", err, data)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if f.GetHelp() == "" || f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: help %q, type %v; want a help text and gauge", name, f.GetHelp(), f.GetType())
		}
		for _, m := range f.GetMetric() {
			key := name + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			out[key+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

func TestFormatMetrics(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ms := []AddressMetrics{
		{Address: "https://b.example:8200", Namespace: `ns"1`, Stored: true, TTL: time.Hour, Expiry: now.Add(time.Hour), HasExpiry: true, Ours: true,
			LastRenew: &store.Renewal{Time: now.Add(-time.Minute), OK: true}, Pending: 2, MirrorState: MirrorInSync},
		{Address: "https://a.example:8200", MirrorState: MirrorNotMirrored}, // erased
	}
	got := parseMetrics(t, FormatMetrics(ms))
	b := `{address=https://b.example:8200,namespace=ns"1}`
	a := `{address=https://a.example:8200,namespace=}`
	want := map[string]float64{
		"vault_token_helper_token_ttl_seconds" + b:                                                      3600,
		"vault_token_helper_token_expiry_timestamp_seconds" + b:                                         float64(now.Add(time.Hour).Unix()),
		"vault_token_helper_token_ours" + b:                                                             1,
		"vault_token_helper_last_renew_timestamp_seconds" + b:                                           float64(now.Add(-time.Minute).Unix()),
		"vault_token_helper_last_renew_success" + b:                                                     1,
		"vault_token_helper_pending_revocations" + b:                                                    2,
		"vault_token_helper_pending_revocations" + a:                                                    0,
		`vault_token_helper_mirror_state{address=https://b.example:8200,namespace=ns"1,state=in_sync}`:  1,
		`vault_token_helper_mirror_state{address=https://b.example:8200,namespace=ns"1,state=missing}`:  0,
		`vault_token_helper_mirror_state{address=https://a.example:8200,namespace=,state=not_mirrored}`: 1,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for _, k := range []string{"vault_token_helper_token_ttl_seconds" + a, "vault_token_helper_token_ours" + a, "vault_token_helper_last_renew_success" + a} {
		if _, ok := got[k]; ok {
			t.Errorf("%s is there for an address with nothing stored and no renew", k)
		}
	}
}

func TestWriteMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "vault-token-helper.prom")
	for range 2 {
		if err := WriteMetrics(p, []AddressMetrics{{Address: "https://a:8200", MirrorState: MirrorMissing}}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want only the metrics file (no temporary left)", len(entries))
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode of the metrics file: %v, %v; want 0644 (node_exporter reads it)", fi, err)
	}
	if err := WriteMetrics("relative.prom", nil); err == nil {
		t.Error("WriteMetrics with a relative path: got nil, want an error")
	}
}
