// Package e2e holds the end-to-end tests: the real `vault` CLI,
// configured with our helper, against a real `vault server -dev`.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// bins are the commands under test, built once for the whole run.
var bins vaulttest.Binaries

// binDir holds the binaries of this run; removed when it ends.
var binDir string

// crashBins are the commands built with -tags crashpoints, which can kill
// or stop themselves at a named step of a mint. Built on first use.
var crashBins = sync.OnceValues(func() (vaulttest.Binaries, error) {
	dir := filepath.Join(binDir, "crashpoints")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return vaulttest.Binaries{}, err
	}
	return vaulttest.Build(dir, "crashpoints")
})

// crashBinaries returns crashBins or fails the test.
func crashBinaries(t *testing.T) vaulttest.Binaries {
	t.Helper()
	b, err := crashBins()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMain(m *testing.M) {
	flag.Parse()
	if _, run := vaulttest.Gate("the end-to-end tests", vaulttest.BinPath, os.Exit); !run {
		return
	}
	dir, err := os.MkdirTemp("", "vth-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	bins, err = vaulttest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// wizardConfig is the configuration of the user this project exists for.
const wizardConfig = `periodic_token {
  display_name    = "devvm-wizard"
  policies        = ["vault-admin", "sops-admin"]
  period          = "768h"
  required_policy = "vault-admin"
}
`

// rotatingConfig is wizardConfig with the old behaviour: a fresh
// periodic token on every admin login, the old one revoked at once. The
// tests of what can go wrong during a mint use it, as their second login
// would otherwise keep the stored token (KEPT) and mint nothing.
const rotatingConfig = wizardConfig + "rotate_on_login = true\nrotate_grace = \"0s\"\n"

// wizard is the display name Vault gives the periodic token of wizardConfig.
const wizard = "token-devvm-wizard"

// world starts a dev Vault and a home whose CLI uses our helper, with
// config (none when empty).
func world(t *testing.T, config string) (*vaulttest.Server, *vaulttest.Home) {
	t.Helper()
	s := vaulttest.Start(t)
	h := vaulttest.NewHome(t, s, bins.Helper)
	if config != "" {
		writeConfig(t, h, config)
	}
	return s, h
}

func writeConfig(t *testing.T, h *vaulttest.Home, config string) {
	t.Helper()
	p := configPath(h)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
}

func configPath(h *vaulttest.Home) string {
	return filepath.Join(h.ConfigHome, "vault-token-helper", "config.hcl")
}

// helperGet runs `vault-token-helper get` as the CLI does and returns stdout.
func helperGet(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	res := h.Run(t, "", bins.Helper, "get")
	if res.Code != 0 || res.Stderr != "" {
		t.Fatalf("vault-token-helper get: %s", res)
	}
	return res.Stdout
}

// logText is the helper's log file.
func logText(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log"))
	if err != nil {
		t.Fatalf("read the log: %v", err)
	}
	return string(b)
}

// countEvents counts log lines with msg=EVENT.
func countEvents(log, event string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, " msg="+event+" ") || strings.HasSuffix(l, " msg="+event) {
			n++
		}
	}
	return n
}

// mustLogin fails the test unless a CLI login exited with want.
func mustExit(t *testing.T, what string, res vaulttest.Result, want int) {
	t.Helper()
	if res.Code != want {
		t.Fatalf("%s: got exit %d, want %d\n%s", what, res.Code, want, res)
	}
}
