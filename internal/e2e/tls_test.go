package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// TLS settings follow the address: a login with VAULT_CACERT records the
// path with the token; renew, status and erase without VAULT_CACERT in
// their environment use it, and status says where it came from. A
// setting in the environment wins over the recorded one.
func TestTLSSettingsFollowTheAddress(t *testing.T) {
	t.Parallel()
	s := vaulttest.StartTLS(t)
	h := vaulttest.NewHome(t, s, bins.Helper)
	writeConfig(t, h, wizardConfig)

	// The CA in a relative path, as a person may type it: recorded
	// absolute, so that the timer finds it from another directory.
	if err := os.MkdirAll(filepath.Join(h.Dir, "certs"), 0o700); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(s.CACert)
	if err != nil {
		t.Fatal(err)
	}
	caPath := filepath.Join(h.Dir, "certs", "ca.pem")
	if err := os.WriteFile(caPath, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	h.Setenv("VAULT_CACERT", "certs/ca.pem") // the commands run in h.Dir
	mustExit(t, "admin login with VAULT_CACERT", h.LoginUserpass(t, "admin"), 0)
	tok := helperGet(t, h)

	var st struct {
		Current struct {
			TLS map[string]any `json:"tls"`
		} `json:"current"`
	}
	b, err := os.ReadFile(statePath(t, h))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if got := st.Current.TLS["ca_cert"]; got != caPath || len(st.Current.TLS) != 1 {
		t.Errorf("recorded TLS settings = %v, want only ca_cert %q", st.Current.TLS, caPath)
	}
	if strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Errorf("the state file holds the certificate itself, want only its path")
	}

	h.Unsetenv("VAULT_CACERT")
	// The control: without the CA, the CLI itself cannot reach Vault.
	if res := h.Vault(t, "status"); res.Code == 0 || !strings.Contains(res.Stderr, "certificate") {
		t.Fatalf("vault status without VAULT_CACERT: want a certificate error\n%s", res)
	}
	res := renew(t, h)
	mustExit(t, "renew without VAULT_CACERT", res, 0)
	if !strings.Contains(res.Stdout, "OK renewed") {
		t.Errorf("renew: got %q, want OK renewed", res.Stdout)
	}
	res = h.Run(t, "", bins.Helper, "status")
	mustExit(t, "status without VAULT_CACERT", res, 0)
	if !strings.Contains(res.Stdout, "VAULT_CACERT="+caPath+" (recorded") {
		t.Errorf("status: got\n%s\nwant the recorded VAULT_CACERT and where it came from", res.Stdout)
	}

	// The environment wins as a whole: with any TLS variable set, the
	// recorded ones are not used.
	h.Setenv("VAULT_SKIP_VERIFY", "false")
	h.Setenv("VAULT_CACERT", s.CACert)
	res = h.Run(t, "", bins.Helper, "status")
	mustExit(t, "status with VAULT_CACERT in its environment", res, 0)
	if !strings.Contains(res.Stdout, "VAULT_CACERT="+s.CACert) || !strings.Contains(res.Stdout, "(from the environment)") {
		t.Errorf("status: got\n%s\nwant the environment's VAULT_CACERT and where it came from", res.Stdout)
	}
	h.Unsetenv("VAULT_CACERT")
	res = renew(t, h)
	mustExit(t, "renew with only VAULT_SKIP_VERIFY=false in its environment (the system's roots)", res, 1)
	if !strings.Contains(res.Stdout, "certificate") {
		t.Errorf("renew: got %q, want a certificate error", res.Stdout)
	}
	h.Unsetenv("VAULT_SKIP_VERIFY")

	mustExit(t, "erase without VAULT_CACERT", h.Run(t, "", bins.Helper, "erase"), 0)
	if _, err := s.LookupToken(t, tok); err == nil {
		t.Errorf("after erase the periodic token still works: erase did not reach Vault")
	}
}
