package setup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setup's messages name the CLI it configures: `bao login` under --cli
// bao alone, `vault login` otherwise.
func TestSetupNamesTheCLIToLogInWith(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cli       string
		want, not string
	}{
		{"bao", "the next bao login mints the periodic token", "vault login"},
		{"vault", "the next vault login mints the periodic token", "bao login"},
		{"both", "the next vault login mints the periodic token", "bao login"},
	}
	for _, tt := range tests {
		t.Run(tt.cli, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			code, out, errOut := w.run(t, "--prefix", w.prefix, "--cli", tt.cli, "--scheduler", "none")
			if code != 0 {
				t.Fatalf("setup --cli %s: exit %d\n%s%s", tt.cli, code, out, errOut)
			}
			if !strings.Contains(out, tt.want) || strings.Contains(out, tt.not) {
				t.Errorf("setup --cli %s says:\n%s\nwant %q and no %q", tt.cli, out, tt.want, tt.not)
			}
		})
	}
}

// Uninstall leaves the token where each configured CLI's built-in helper
// reads it: ~/.vault-token, and for bao the file BAO_TOKEN_PATH (else
// VAULT_TOKEN_PATH) names, OpenBao 2.6's; a vault-only uninstall writes
// no such file.
func TestUninstallWritesBaoTokenPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cli   string
		env   map[string]string // BAO_TOKEN_PATH etc., relative to HOME
		want  string            // the file besides ~/.vault-token that must hold the token, "" none
		never string            // a file that must not be written
	}{
		{"bao, BAO_TOKEN_PATH", "bao", map[string]string{"BAO_TOKEN_PATH": "bao-token"}, "bao-token", ""},
		{"bao, VAULT_TOKEN_PATH as its fallback", "bao", map[string]string{"VAULT_TOKEN_PATH": "vt-token"}, "vt-token", ""},
		{"bao, BAO_TOKEN_PATH wins", "bao", map[string]string{"BAO_TOKEN_PATH": "bao-token", "VAULT_TOKEN_PATH": "vt-token"}, "bao-token", "vt-token"},
		{"bao, BAO_TOKEN_PATH empty", "bao", map[string]string{"BAO_TOKEN_PATH": "", "VAULT_TOKEN_PATH": "vt-token"}, "", "vt-token"},
		{"vault only", "vault", map[string]string{"BAO_TOKEN_PATH": "bao-token"}, "", "bao-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "https://vault.example.com:8200")
			w.tool.uninstallT = "s.the-periodic-token"
			vars := map[string]string{"VAULT_CONFIG_PATH": filepath.Join(w.home, ".vault"), "PATH": "/usr/bin:/bin"}
			for k, v := range tt.env {
				if v != "" {
					v = filepath.Join(w.home, v)
				}
				vars[k] = v
			}
			w.env.LookupEnv = func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--cli", tt.cli, "--scheduler", "none"); code != 0 {
				t.Fatalf("setup: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--cli", tt.cli, "--scheduler", "none", "--uninstall"); code != 0 {
				t.Fatalf("setup --uninstall: exit %d\n%s%s", code, out, errOut)
			}
			if got := readOrEmpty(t, w.env.Paths.TokenFile); got != w.tool.uninstallT {
				t.Errorf("~/.vault-token = %q, want the stored token", got)
			}
			if tt.want != "" {
				if got := readOrEmpty(t, filepath.Join(w.home, tt.want)); got != w.tool.uninstallT {
					t.Errorf("%s = %q, want the stored token", tt.want, got)
				}
			}
			if tt.never != "" {
				if _, err := os.Lstat(filepath.Join(w.home, tt.never)); err == nil {
					t.Errorf("%s was written", tt.never)
				}
			}
		})
	}
}
