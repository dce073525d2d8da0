package wine

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/vault/api/tokenhelper"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// WineEnv names the wine64 program; make test-windows sets it (with
// WINEPREFIX prepared by setup-wine.sh). Without it the test is skipped.
const WineEnv = "VTH_WINE"

// winPath is p as a Windows program under Wine sees it: drive Z: is /.
func winPath(p string) string { return `Z:` + strings.ReplaceAll(p, "/", `\`) }

// TestWindowsContract: the Windows front and full binary, run by Wine
// the way the Vault CLI runs a token helper (vault/api's
// ExternalTokenHelper, by exact path), against a dev Vault on the host:
// get of nothing, store of a login (kept as the minted periodic token),
// get, erase, get of nothing; the erased token is revoked.
func TestWindowsContract(t *testing.T) {
	wine := os.Getenv(WineEnv)
	if wine == "" {
		t.Skipf("%s is not set: make test-windows runs this under Wine", WineEnv)
	}
	vaulttest.Need(t, vaulttest.BinPath)
	s := vaulttest.Start(t)

	dir := t.TempDir()
	root, err := vaulttest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for out, pkg := range map[string]string{"vault-token-helper.exe": "./cmd/token-helper", "vault-token-helper-full.exe": "./cmd/token-helper-full"} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "bin", out), pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s for windows: %v\n%s", pkg, err, b)
		}
	}
	// The CLI runs token_helper by path; under Wine that path is a
	// script that starts the .exe in Wine, with umask 077 so that what
	// it creates is private to Wine's access-list check too.
	helper := filepath.Join(dir, "helper-under-wine")
	script := "#!/bin/sh\numask 077\nexec '" + wine + "' '" + filepath.Join(dir, "bin", "vault-token-helper.exe") + "' \"$@\"\n"
	if err := os.WriteFile(helper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	// Once with HOME and the XDG variables set; once with neither, as on
	// a Windows desktop (Wine passes no HOME either): then the front and
	// the full binary must both take the home directory from the user's
	// profile and find their files under its defaults (helper/basedir),
	// not the front under %LOCALAPPDATA% as adrg/xdg would on Windows.
	t.Run("HOME and XDG variables", func(t *testing.T) {
		contract(t, s, helper, filepath.Join(dir, "home"), true)
	})
	t.Run("the profile's defaults", func(t *testing.T) {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		profile := filepath.Join(os.Getenv("WINEPREFIX"), "drive_c", "users", u.Username)
		clean := func() {
			for _, d := range []string{".config", filepath.Join(".local", "share"), filepath.Join(".local", "state")} {
				must(t, os.RemoveAll(filepath.Join(profile, d, "vault-token-helper")))
			}
		}
		clean()
		t.Cleanup(clean)
		contract(t, s, helper, profile, false)
	})
}

// contract runs get, store, get, erase, get through helper. With
// withXDG, HOME is home and the XDG base directories are under it;
// without, neither is set and home is the user's profile directory.
func contract(t *testing.T, s *vaulttest.Server, helper, home string, withXDG bool) {
	cfg := filepath.Join(home, ".config")
	if withXDG {
		cfg = filepath.Join(home, "config")
	}
	must(t, os.MkdirAll(filepath.Join(cfg, "vault-token-helper"), 0o700))
	must(t, os.WriteFile(filepath.Join(cfg, "vault-token-helper", "config.hcl"), []byte(`periodic_token {
  display_name    = "devvm-wizard"
  policies        = ["vault-admin", "sops-admin"]
  period          = "768h"
  required_policy = "vault-admin"
}
`), 0o600))
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"WINEPREFIX=" + os.Getenv("WINEPREFIX"),
		"WINEDEBUG=-all",
		"VAULT_ADDR=" + s.Addr,
	}
	if withXDG {
		env = append(env,
			"USERPROFILE="+winPath(home),
			"HOME="+winPath(home),
			"XDG_CONFIG_HOME="+winPath(cfg),
			"XDG_DATA_HOME="+winPath(filepath.Join(home, "data")),
			"XDG_STATE_HOME="+winPath(filepath.Join(home, "state")),
			"XDG_CACHE_HOME="+winPath(filepath.Join(home, "cache")),
		)
	}
	th := &tokenhelper.ExternalTokenHelper{BinaryPath: helper, Env: env}

	if v, err := th.Get(); err != nil || v != "" {
		t.Fatalf("Get on an empty store = %q, %v; want \"\", nil", v, err)
	}
	login := s.Login(t, "admin")
	if err := th.Store(login); err != nil {
		t.Fatalf("Store(admin login): %v", err)
	}
	periodic, err := th.Get()
	if err != nil {
		t.Fatal(err)
	}
	if periodic == "" || periodic == login {
		t.Fatalf("Get after Store = %q; want the minted periodic token", periodic)
	}
	info, err := s.LookupToken(t, periodic)
	if err != nil || info.Period == 0 || !info.Orphan {
		t.Fatalf("Get returned %+v (%v), want an orphan periodic token", info, err)
	}
	if err := th.Erase(); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	if v, err := th.Get(); err != nil || v != "" {
		t.Fatalf("Get after Erase = %q, %v; want \"\", nil", v, err)
	}
	if _, err := s.LookupToken(t, periodic); err == nil {
		t.Error("the erased periodic token still works")
	}
	if !withXDG {
		if _, err := os.Stat(filepath.Join(home, ".local", "share", "vault-token-helper")); err != nil {
			t.Errorf("the store is not under the profile's default data directory: %v", err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
