package e2e

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/contrib/systemd"
	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Tests of `vault-token-helper setup` and of install.sh, the bootstrap
// that builds the binaries and runs it. Each runs in a fresh HOME, from
// HOME (not the source tree), as a user would. Most run setup from the
// binaries of this test run (bins); TestInstallFresh and one bad-argument
// case go through install.sh and the machine's Go.

// defaultDisplayName is the display name Vault gives the periodic token
// under the default configuration setup writes.
const defaultDisplayName = "token-vault-token-helper"

// Unit file names and the placeholder of the templates in contrib/systemd.
const (
	serviceUnit = systemd.Service
	timerUnit   = systemd.Timer
	bindirToken = systemd.Bindir
)

// goEnv is the Go environment of the test process. install.sh runs in a
// fresh HOME, which would otherwise move the build and module caches:
// this keeps the build warm and offline.
var goEnv = sync.OnceValues(func() (map[string]string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(goBin, "env", "-json", "GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS").Output()
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, err
	}
	env["PATH"] = filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin"
	env["GOTOOLCHAIN"] = "local"
	env["GOPROXY"] = "off"
	return env, nil
})

// installHome is a fresh home (with VAULT_ADDR when s is not nil) whose
// CLI has no token helper yet, ready to run install.sh or setup, and the
// prefix to install into (outside HOME).
func installHome(t *testing.T, s *vaulttest.Server) (*vaulttest.Home, string) {
	t.Helper()
	h := vaulttest.NewHome(t, s, "")
	env, err := goEnv()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	for k, v := range env {
		h.Setenv(k, v)
	}
	return h, filepath.Join(filepath.Dir(h.Dir), "opt")
}

// installScript is install.sh at the module root.
func installScript(t *testing.T) string {
	t.Helper()
	root, err := vaulttest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "install.sh")
}

// runInstall runs install.sh in h (its working directory is HOME, not
// the source tree).
func runInstall(t *testing.T, h *vaulttest.Home, args ...string) vaulttest.Result {
	t.Helper()
	return h.Run(t, "", installScript(t), args...)
}

// runSetup runs `vault-token-helper setup` from this run's binaries, as
// install.sh runs the ones it built.
func runSetup(t *testing.T, h *vaulttest.Home, args ...string) vaulttest.Result {
	t.Helper()
	return h.Run(t, "", bins.Helper, append([]string{"setup"}, args...)...)
}

// mustSetup runs setup and fails the test unless it exits 0 with nothing
// on stderr.
func mustSetup(t *testing.T, h *vaulttest.Home, args ...string) vaulttest.Result {
	t.Helper()
	res := runSetup(t, h, args...)
	mustExit(t, "setup "+strings.Join(args, " "), res, 0)
	if res.Stderr != "" {
		t.Errorf("setup %s: got stderr %q, want none", strings.Join(args, " "), res.Stderr)
	}
	return res
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// backups lists the backups setup made of the file.
func backups(t *testing.T, file string) []string {
	t.Helper()
	m, err := filepath.Glob(file + ".bak-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func helperPath(bindir string) string { return filepath.Join(bindir, "vault-token-helper") }

func tokenHelperLine(bindir string) string {
	return `token_helper = "` + helperPath(bindir) + `"`
}

func unitDir(h *vaulttest.Home) string { return filepath.Join(h.ConfigHome, "systemd", "user") }

// unitTemplate is a shipped unit file with the bin dir substituted, as
// setup writes it.
func unitTemplate(t *testing.T, name, bindir string) string {
	t.Helper()
	tmpl := readFile(t, filepath.Join(filepath.Dir(installScript(t)), "contrib", "systemd", name))
	return strings.ReplaceAll(tmpl, bindirToken, bindir)
}

// noToken fails the test when out shows one of the tokens.
func noToken(t *testing.T, what, out string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if tok != "" && strings.Contains(out, tok) {
			t.Errorf("%s shows a token", what)
		}
	}
}

// standInHelper writes a token helper script that exists and answers
// nothing, for a ~/.vault that names another helper.
func standInHelper(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(h.Dir), "other-helper")
	if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A fresh install through install.sh: binaries that run, token_helper
// set, a valid default config, the units; then a real `vault login` mints
// through the installed helper.
func TestInstallFresh(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	bindir := filepath.Join(prefix, "bin")
	res := runInstall(t, h, "--prefix", prefix)
	mustExit(t, "install.sh --prefix", res, 0)
	if res.Stderr != "" {
		t.Errorf("install.sh: got stderr %q, want none", res.Stderr)
	}
	for _, line := range strings.Split(strings.TrimRight(res.Stdout, "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			t.Errorf("install.sh printed an empty line:\n%s", res.Stdout)
		}
	}
	if want := "systemctl --user daemon-reload && systemctl --user enable --now vault-token-renew.timer"; !strings.Contains(res.Stdout, want) {
		t.Errorf("without a systemd user manager install.sh does not print %q:\n%s", want, res.Stdout)
	}

	if full := filepath.Join(bindir, "vault-token-helper-full"); fileMode(t, full) != 0o755 {
		t.Errorf("mode of %s = %v, want -rwxr-xr-x", full, fileMode(t, full))
	}
	for _, name := range []string{"vault-token-helper", "vault-token-renew"} {
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(bindir, name)
			if got := fileMode(t, bin); got != 0o755 {
				t.Errorf("mode of %s = %v, want -rwxr-xr-x", bin, got)
			}
			r := h.Run(t, "", bin, "--version")
			mustExit(t, name+" --version", r, 0)
			first, _, _ := strings.Cut(r.Stdout, "\n") // then the commit and the Go version
			version, ok := strings.CutPrefix(first, name+" ")
			if !ok {
				t.Fatalf("%s --version = %q, want %q", name, r.Stdout, name+" VERSION")
			}
			checkVersion(t, version)
		})
	}

	if got, want := readFile(t, h.VaultCfg), tokenHelperLine(bindir)+"\n"; got != want {
		t.Errorf("~/.vault = %q, want %q", got, want)
	}
	if got := fileMode(t, h.VaultCfg).Perm(); got != 0o600 {
		t.Errorf("mode of ~/.vault = %04o, want 0600", got)
	}
	if n := len(backups(t, h.VaultCfg)); n != 0 {
		t.Errorf("backups of a ~/.vault that did not exist = %d, want 0", n)
	}

	cfg := readFile(t, configPath(h))
	if got := fileMode(t, configPath(h)).Perm(); got != 0o600 {
		t.Errorf("mode of the config = %04o, want 0600", got)
	}
	for _, want := range []string{
		`mirror_address = "` + s.Addr + `"`,
		`# periodic_token {`,
		`"vault-token-helper"`, "minus default and root", `"768h"`, "the first policy",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("the default config does not have %q:\n%s", want, cfg)
		}
	}
	// The real parser reads the config: status fails on a bad one.
	st := h.Run(t, "", filepath.Join(bindir, "vault-token-helper"), "status")
	mustExit(t, "vault-token-helper status with the default config", st, 0)

	for _, name := range []string{serviceUnit, timerUnit} {
		p := filepath.Join(unitDir(h), name)
		if !exists(t, p) {
			t.Errorf("%s was not installed", p)
			continue
		}
		if got, want := readFile(t, p), unitTemplate(t, name, bindir); got != want {
			t.Errorf("%s is not contrib/systemd/%s with %s = %s:\n%s", p, name, bindirToken, bindir, got)
		}
	}

	// End to end: the CLI runs the installed helper, which mints.
	mustExit(t, "vault login as admin", h.LoginUserpass(t, "admin"), 0)
	data := lookupJSON(t, h)
	if got := data["display_name"]; got != defaultDisplayName {
		t.Errorf("display_name after login = %v, want %q", got, defaultDisplayName)
	}
	if got, want := policiesOf(data), []string{"default", "sops-admin", "vault-admin"}; !slices.Equal(got, want) {
		t.Errorf("policies = %v, want %v (the login token's own)", got, want)
	}
	if got := data["period"]; got != float64(768*3600) {
		t.Errorf("period = %v, want %d", got, 768*3600)
	}
	if got := readFile(t, h.TokenFile()); got != data["id"] {
		t.Errorf("~/.vault-token does not mirror the periodic token")
	}
}

// Lines of ~/.vault are kept, an old token_helper is replaced, JSON stays
// JSON, a changed file is backed up once, and a second run changes
// nothing.
func TestInstallVaultConfigAndSecondRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		initial *string // nil: no file
		mode    os.FileMode
		want    func(line, bin string) string
		backups int
	}{
		{"no file", nil, 0o600, func(l, _ string) string { return l + "\n" }, 0},
		{"comments and blank lines, mode kept",
			ptr("# my Vault CLI settings\n\n# more\n"), 0o644,
			func(l, _ string) string { return "# my Vault CLI settings\n\n# more\n" + l + "\n" }, 1},
		{"old token_helper replaced in place",
			ptr("# comment\n  token_helper=\"/opt/old/vault-token-helper\" # old one\n# after\n"), 0o600,
			func(_, b string) string { return "# comment\n  token_helper=\"" + b + "\" # old one\n# after\n" }, 1},
		{"duplicate token_helper lines",
			ptr("token_helper = \"/a/vault-token-helper\"\n# between\ntoken_helper = \"/b/vault-token-helper\"\n"), 0o600,
			func(l, _ string) string { return l + "\n# between\n" }, 1},
		{"no final newline, still none after setup",
			ptr("# comment"), 0o600,
			func(l, _ string) string { return "# comment\n" + l }, 1},
		{"CRLF line endings",
			ptr("# comment\r\ntoken_helper = \"/old/vault-token-helper\"\r\n"), 0o600,
			func(l, _ string) string { return "# comment\r\n" + l + "\r\n" }, 1},
		{"empty file", ptr(""), 0o600, func(l, _ string) string { return l + "\n" }, 1},
		{"JSON stays JSON", ptr("{\n  \"token_helper\": \"/x/vault-token-helper\"\n}\n"), 0o600,
			func(_, b string) string { return "{\n  \"token_helper\": \"" + b + "\"\n}\n" }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			file := h.VaultCfg
			if tt.initial != nil {
				writeFile(t, file, *tt.initial)
				if err := os.Chmod(file, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			mustSetup(t, h, "--prefix", prefix)
			bindir := filepath.Join(prefix, "bin")
			want := tt.want(tokenHelperLine(bindir), helperPath(bindir))
			first := readFile(t, file)
			if first != want {
				t.Errorf("~/.vault after setup = %q, want %q", first, want)
			}
			if got := fileMode(t, file); got != tt.mode {
				t.Errorf("mode of ~/.vault after setup = %v, want %v", got, tt.mode)
			}
			bk := backups(t, file)
			if len(bk) != tt.backups {
				t.Fatalf("backups after setup = %v, want %d", bk, tt.backups)
			}
			if len(bk) == 1 {
				if got := readFile(t, bk[0]); got != *tt.initial {
					t.Errorf("backup %s = %q, want the original %q", bk[0], got, *tt.initial)
				}
			}
			cfg := readFile(t, configPath(h))
			units := readFile(t, filepath.Join(unitDir(h), serviceUnit)) + readFile(t, filepath.Join(unitDir(h), timerUnit))

			res := mustSetup(t, h, "--prefix", prefix)
			if got := readFile(t, file); got != first {
				t.Errorf("~/.vault after a second run = %q, want it unchanged %q", got, first)
			}
			if got := backups(t, file); !slices.Equal(got, bk) {
				t.Errorf("backups after a second run = %v, want %v", got, bk)
			}
			if got := readFile(t, configPath(h)); got != cfg {
				t.Errorf("the config changed on a second run")
			}
			if got := readFile(t, filepath.Join(unitDir(h), serviceUnit)) + readFile(t, filepath.Join(unitDir(h), timerUnit)); got != units {
				t.Errorf("the units changed on a second run")
			}
			for _, want := range []string{"already", "kept the existing config", "up to date"} {
				if !strings.Contains(res.Stdout, want) {
					t.Errorf("the second run does not say %q:\n%s", want, res.Stdout)
				}
			}
		})
	}
}

// A CLI config file setup must not edit: it says why in one line, exits
// 1, and leaves the file (and where a symlink points) as it was.
func TestInstallRefusesVaultConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		symlink bool
		say     string
		link    bool // ~/.vault is a hard link to the file
	}{
		{"the CLI already rejects it", "# mine\nfoo = \"bar\"\n", false, `invalid key "foo" on line 2`, false},
		{"does not parse", "token_helper = \"unterminated\n", false, "does not parse", false},
		{"symlink (a dotfiles manager's)", "# dotfiles\n", true, "symlink", false},
		{"hard link (a dotfiles repository's)", "# dotfiles\n", false, "2 hard links", true},
		{"another program's token_helper", "token_helper = \"/usr/local/bin/other-helper\"\n", false, "run setup --force", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			file := h.VaultCfg
			if tt.symlink {
				file = filepath.Join(filepath.Dir(h.Dir), "dotfiles-vault")
				if err := os.Symlink(file, h.VaultCfg); err != nil {
					t.Fatal(err)
				}
			}
			if tt.link {
				file = filepath.Join(filepath.Dir(h.Dir), "dotfiles-vault")
			}
			writeFile(t, file, tt.content)
			if tt.link {
				if err := os.Link(file, h.VaultCfg); err != nil {
					t.Fatal(err)
				}
			}
			res := runSetup(t, h, "--prefix", prefix, "--no-timer")
			mustExit(t, "setup with a ~/.vault it must not edit", res, 1)
			if n := strings.Count(res.Stderr, "\n"); n != 1 || !strings.Contains(res.Stderr, tt.say) {
				t.Errorf("stderr = %q, want one line saying %q", res.Stderr, tt.say)
			}
			if got := readFile(t, file); got != tt.content {
				t.Errorf("~/.vault = %q, want it untouched %q", got, tt.content)
			}
			if bk := backups(t, file); len(bk) != 0 {
				t.Errorf("backups = %v, want none", bk)
			}
			if tt.symlink && fileMode(t, h.VaultCfg)&fs.ModeSymlink == 0 {
				t.Errorf("~/.vault is no longer a symlink")
			}
		})
	}
}

// Issue 16, first breakage: a JSON ~/.vault (which the CLI accepts) must
// stay a file the CLI loads, through install and uninstall.
func TestInstallJSONVaultConfigWorksWithRealCLI(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	other := standInHelper(t, h)
	writeFile(t, h.VaultCfg, `{"token_helper": "`+other+`"}`)
	mustExit(t, "vault token lookup before setup (the stand-in helper has no token)", h.Vault(t, "token", "lookup"), 2)

	mustSetup(t, h, "--prefix", prefix, "--no-timer", "--force")
	if got, want := readFile(t, h.VaultCfg), `{"token_helper": "`+helperPath(filepath.Join(prefix, "bin"))+`"}`; got != want {
		t.Errorf("~/.vault = %q, want %q", got, want)
	}
	mustExit(t, "vault login through the JSON ~/.vault", h.LoginUserpass(t, "admin"), 0)
	if got := lookupJSON(t, h)["display_name"]; got != defaultDisplayName {
		t.Errorf("display_name after login = %v, want %q", got, defaultDisplayName)
	}

	mustSetup(t, h, "--prefix", prefix, "--no-timer", "--uninstall")
	if got := readFile(t, h.VaultCfg); got != `{}` {
		t.Errorf("~/.vault after uninstall = %q, want {}", got)
	}
	if got := lookupJSON(t, h)["display_name"]; got != defaultDisplayName {
		t.Errorf("vault token lookup after uninstall: display_name = %v, want %q", got, defaultDisplayName)
	}
}

// Issue 16, second breakage: a token_helper line with a trailing comment
// is removed by uninstall, so the CLI does not point at a deleted binary.
func TestInstallUninstallTrailingComment(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	mustSetup(t, h, "--prefix", prefix, "--no-timer")
	mustExit(t, "vault login as admin", h.LoginUserpass(t, "admin"), 0)
	line := tokenHelperLine(filepath.Join(prefix, "bin"))
	writeFile(t, h.VaultCfg, "# mine\n"+line+" # the periodic token keeper\n")

	mustSetup(t, h, "--prefix", prefix, "--no-timer", "--uninstall")
	if got := readFile(t, h.VaultCfg); got != "# mine\n" {
		t.Errorf("~/.vault after uninstall = %q, want %q", got, "# mine\n")
	}
	if got := lookupJSON(t, h)["display_name"]; got != defaultDisplayName {
		t.Errorf("vault token lookup after uninstall: display_name = %v, want %q", got, defaultDisplayName)
	}
}

func ptr(s string) *string { return &s }

// checkVersion checks a version stamped by install.sh: in a git checkout,
// git describe --always [--dirty] output naming a commit of the
// repository (the tree may gain commits while the test runs, so it need
// not be HEAD); outside one, "dev".
func checkVersion(t *testing.T, version string) {
	t.Helper()
	root := filepath.Dir(installScript(t))
	if err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Run(); err != nil {
		if version != "dev" {
			t.Errorf("version outside a git checkout = %q, want dev", version)
		}
		return
	}
	rev := strings.TrimSuffix(version, "-dirty")
	if rev == "" || exec.Command("git", "-C", root, "rev-parse", "--verify", "--quiet", rev+"^{commit}").Run() != nil {
		t.Errorf("version = %q, want git describe --always [--dirty] output naming a commit", version)
	}
}

// Issue 13: setup never logs anyone out. An existing ~/.vault-token is
// adopted when it holds a periodic token of ours and otherwise kept as a
// passed-through token, so the CLI, which asks the helper from now on,
// goes on with it; no token is ever printed.
func TestInstallKeepsExistingToken(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	ours, _ := s.MintPeriodic(t, "vault-token-helper", vaulttest.AdminPolicy, vaulttest.SopsPolicy)
	otherName, _ := s.MintPeriodic(t, "devvm-wizard", vaulttest.AdminPolicy)
	revoked, revokedAcc := s.MintPeriodic(t, "gone", vaulttest.AdminPolicy)
	s.Revoke(t, revokedAcc)
	tests := []struct {
		name   string
		token  string
		stored bool
		say    string
		last   string // the last line of the output says this
	}{
		{"periodic token of ours", ours, true, "adopted", ""},
		{"userpass login token", s.Login(t, "admin"), true, "as passed through", ""},
		{"periodic token with another name", otherName, true, "as passed through", "adopt < "},
		{"revoked token", revoked, false, "does not accept", ""},
		{"root token", s.RootToken, true, "as passed through", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, s)
			writeFile(t, h.TokenFile(), tt.token)
			res := mustSetup(t, h, "--prefix", prefix, "--no-timer")
			if !strings.Contains(res.Stdout, tt.say) {
				t.Errorf("setup does not say %q:\n%s", tt.say, res.Stdout)
			}
			lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
			// The WARNING that nothing will renew (--no-timer) comes last.
			lines = slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "WARNING: ") })
			if tt.last != "" && !strings.Contains(lines[len(lines)-1], tt.last) {
				t.Errorf("the last line of setup's output does not say %q:\n%s", tt.last, res.Stdout)
			}
			noToken(t, "setup output", res.Stdout+res.Stderr, tt.token)
			got := helperGet(t, h)
			switch {
			case tt.stored && got != tt.token:
				t.Errorf("vault-token-helper get after setup does not print the token of ~/.vault-token")
			case !tt.stored && got != "":
				t.Errorf("vault-token-helper get after setup prints a token, want none stored")
			}
			if got := readFile(t, h.TokenFile()); got != tt.token {
				t.Errorf("~/.vault-token changed")
			}
			if tt.stored {
				// The CLI, which now asks the helper, still has the token.
				if got := lookupJSON(t, h)["id"]; got != tt.token {
					t.Errorf("vault token lookup after setup does not use the token of ~/.vault-token")
				}
			}
		})
	}

	t.Run("adopt after a config edit", func(t *testing.T) {
		t.Parallel()
		h, prefix := installHome(t, s)
		writeFile(t, h.TokenFile(), otherName)
		mustSetup(t, h, "--prefix", prefix, "--no-timer")
		writeConfig(t, h, wizardConfig)
		r := h.Run(t, otherName, helperPath(filepath.Join(prefix, "bin")), "adopt")
		mustExit(t, "vault-token-helper adopt < ~/.vault-token", r, 0)
		st := h.Run(t, "", helperPath(filepath.Join(prefix, "bin")), "status", "--json")
		if !strings.Contains(st.Stdout, `"source": "adopted"`) || !strings.Contains(st.Stdout, `"display_name": "token-devvm-wizard"`) {
			t.Errorf("status after adopt does not show an adopted token:\n%s", st.Stdout)
		}
	})
}

// Issue 13: with Vault down during setup the token in ~/.vault-token is
// kept without Vault's check, and the CLI works with it once Vault is
// back; with no VAULT_ADDR it is kept for the CLI's default address.
func TestInstallKeepsTokenWithoutVault(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	login := s.Login(t, "admin")

	t.Run("Vault down", func(t *testing.T) {
		t.Parallel()
		p := vaulttest.StartProxy(t, s)
		h, prefix := installHome(t, s)
		h.Setenv("VAULT_ADDR", p.Addr)
		writeFile(t, h.TokenFile(), login)
		p.Refuse()
		res := mustSetup(t, h, "--prefix", prefix, "--no-timer")
		if !strings.Contains(res.Stdout, "cannot be reached") || !strings.Contains(res.Stdout, "without checking it") {
			t.Errorf("setup does not say it kept the token unchecked:\n%s", res.Stdout)
		}
		noToken(t, "setup output", res.Stdout+res.Stderr, login)
		p.Resume(t)
		if got := lookupJSON(t, h)["id"]; got != login {
			t.Errorf("vault token lookup once Vault is back does not use the token of ~/.vault-token")
		}
		// A second run with Vault up changes nothing.
		res = mustSetup(t, h, "--prefix", prefix, "--no-timer")
		if !strings.Contains(res.Stdout, "already; left "+h.TokenFile()+" to the helper") {
			t.Errorf("the second run does not say the CLI asks the helper already:\n%s", res.Stdout)
		}
		// The next admin login mints; the kept token is not revoked.
		mustExit(t, "vault login as admin", h.LoginUserpass(t, "admin"), 0)
		if got := lookupJSON(t, h)["display_name"]; got != defaultDisplayName {
			t.Errorf("display_name after the admin login = %v, want %q", got, defaultDisplayName)
		}
		if _, err := s.LookupToken(t, login); err != nil {
			t.Errorf("the kept login token was revoked: %v", err)
		}
	})

	t.Run("VAULT_ADDR unset", func(t *testing.T) {
		t.Parallel()
		h, prefix := installHome(t, s)
		h.Unsetenv("VAULT_ADDR")
		writeFile(t, h.TokenFile(), login)
		res := mustSetup(t, h, "--prefix", prefix, "--no-timer")
		if !strings.Contains(res.Stdout, "no address is set") || !strings.Contains(res.Stdout, "https://127.0.0.1:8200") {
			t.Errorf("setup does not say it kept the token for the default address:\n%s", res.Stdout)
		}
		noToken(t, "setup output", res.Stdout+res.Stderr, login)
		if got := helperGet(t, h); got != login {
			t.Errorf("vault-token-helper get with VAULT_ADDR unset does not print the kept token")
		}
	})
}

// --uninstall leaves the CLI working with its built-in helper and the
// periodic token, and removes everything else setup added.
func TestInstallUninstall(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	bindir := filepath.Join(prefix, "bin")
	const kept = "# my Vault CLI settings\n\n"
	writeFile(t, h.VaultCfg, kept)
	mustSetup(t, h, "--prefix", prefix)
	mustExit(t, "vault login as admin", h.LoginUserpass(t, "admin"), 0)
	periodic := helperGet(t, h)
	if periodic == "" {
		t.Fatal("no periodic token stored after login")
	}
	// ~/.vault-token holds another token by now: uninstall must put the
	// periodic token back.
	login := s.Login(t, "admin")

	t.Run("refuses a symlinked ~/.vault-token", func(t *testing.T) {
		target := filepath.Join(filepath.Dir(h.Dir), "elsewhere")
		writeFile(t, target, "untouched")
		if err := os.Remove(h.TokenFile()); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, h.TokenFile()); err != nil {
			t.Fatal(err)
		}
		before := readFile(t, h.VaultCfg)
		res := runSetup(t, h, "--prefix", prefix, "--uninstall")
		mustExit(t, "setup --uninstall with a symlinked ~/.vault-token", res, 1)
		if !strings.Contains(res.Stderr, "symlink") {
			t.Errorf("stderr = %q, want it to say symlink", res.Stderr)
		}
		if got := readFile(t, target); got != "untouched" {
			t.Errorf("uninstall wrote through the symlink")
		}
		if got := readFile(t, h.VaultCfg); got != before {
			t.Errorf("~/.vault changed on a refused uninstall")
		}
		if !exists(t, filepath.Join(bindir, "vault-token-helper")) {
			t.Errorf("a refused uninstall removed the helper")
		}
		if err := os.Remove(h.TokenFile()); err != nil {
			t.Fatal(err)
		}
	})

	writeFile(t, h.TokenFile(), login)
	res := mustSetup(t, h, "--prefix", prefix, "--uninstall")
	noToken(t, "setup --uninstall output", res.Stdout+res.Stderr, periodic, login)

	if got := readFile(t, h.VaultCfg); got != kept {
		t.Errorf("~/.vault after uninstall = %q, want %q", got, kept)
	}
	if bk := backups(t, h.VaultCfg); len(bk) != 2 {
		t.Errorf("backups of ~/.vault = %v, want 2 (install and uninstall)", bk)
	}
	for _, p := range []string{
		filepath.Join(bindir, "vault-token-helper"),
		filepath.Join(bindir, "vault-token-helper-full"),
		filepath.Join(bindir, "vault-token-renew"),
		filepath.Join(unitDir(h), serviceUnit),
		filepath.Join(unitDir(h), timerUnit),
	} {
		if exists(t, p) {
			t.Errorf("%s still exists after uninstall", p)
		}
	}
	for _, p := range []string{configPath(h), filepath.Join(h.DataHome, "vault-token-helper")} {
		if !exists(t, p) {
			t.Errorf("%s was removed; uninstall keeps it", p)
		}
		if !strings.Contains(res.Stdout, p) {
			t.Errorf("uninstall does not say where %s is:\n%s", p, res.Stdout)
		}
	}
	if got := readFile(t, h.TokenFile()); got != periodic {
		t.Errorf("~/.vault-token after uninstall does not hold the periodic token")
	}
	if got := fileMode(t, h.TokenFile()); got != 0o600 {
		t.Errorf("mode of ~/.vault-token = %v, want -rw-------", got)
	}
	// The CLI's built-in helper now reads ~/.vault-token.
	if got := lookupJSON(t, h)["display_name"]; got != defaultDisplayName {
		t.Errorf("vault token lookup after uninstall: display_name = %v, want %q", got, defaultDisplayName)
	}
	// A second uninstall changes nothing and says so.
	res = mustSetup(t, h, "--prefix", prefix, "--uninstall")
	if bk := backups(t, h.VaultCfg); len(bk) != 2 {
		t.Errorf("backups of ~/.vault after a second uninstall = %v, want 2", bk)
	}
	if !strings.Contains(res.Stdout, "no "+filepath.Join(bindir, "vault-token-helper")) {
		t.Errorf("a second uninstall does not say the helper is gone:\n%s", res.Stdout)
	}
}

// OpenBao: setup configures ~/.bao ($BAO_CONFIG_PATH) when bao is on PATH
// or --cli asks for it, and never when --cli vault; uninstall removes it.
func TestInstallOpenBaoConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		baoOnPath bool
		vault     bool
		bao       bool
	}{
		{"bao on PATH", nil, true, true, true},
		{"no bao on PATH", nil, false, true, false},
		{"--cli bao", []string{"--cli", "bao"}, false, false, true},
		{"--cli both", []string{"--cli=both"}, false, true, true},
		{"--cli vault with bao on PATH", []string{"--cli", "vault"}, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			baoCfg := filepath.Join(h.Dir, ".bao")
			h.Setenv("BAO_CONFIG_PATH", baoCfg)
			if tt.baoOnPath {
				fake := filepath.Join(filepath.Dir(h.Dir), "fakebin")
				if err := os.MkdirAll(fake, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(fake, "bao"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
					t.Fatal(err)
				}
				env, _ := goEnv()
				h.Setenv("PATH", fake+":"+env["PATH"])
			}
			args := append([]string{"--prefix", prefix, "--no-timer"}, tt.args...)
			mustSetup(t, h, args...)
			line := tokenHelperLine(filepath.Join(prefix, "bin")) + "\n"
			for _, c := range []struct {
				path string
				want bool
			}{{h.VaultCfg, tt.vault}, {baoCfg, tt.bao}} {
				if !c.want {
					if exists(t, c.path) {
						t.Errorf("%s was written: %q", c.path, readFile(t, c.path))
					}
					continue
				}
				if got := readFile(t, c.path); got != line {
					t.Errorf("%s = %q, want %q", c.path, got, line)
				}
			}
			mustSetup(t, h, append(args, "--uninstall")...)
			for _, p := range []string{h.VaultCfg, baoCfg} {
				if exists(t, p) && readFile(t, p) != "" {
					t.Errorf("%s after uninstall = %q, want it empty", p, readFile(t, p))
				}
			}
		})
	}
}

// With a systemd user manager, setup enables the timer and uninstall
// disables it (a stand-in systemctl records the calls); a failing
// systemctl fails the install and says what to run.
func TestInstallSystemctl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failOn     string // the systemctl verb that fails
		wantCode   int
		wantCalls  []string
		wantStderr string
	}{
		{"manager reachable", "", 0, []string{
			"--user show-environment", "--user daemon-reload", "--user enable --now vault-token-renew.timer",
		}, ""},
		{"enable fails", "enable", 1, []string{
			"--user show-environment", "--user daemon-reload", "--user enable --now vault-token-renew.timer",
		}, "systemctl --user daemon-reload && systemctl --user enable --now vault-token-renew.timer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			fake := filepath.Join(filepath.Dir(h.Dir), "fakebin")
			calls := filepath.Join(filepath.Dir(h.Dir), "systemctl.calls")
			if err := os.MkdirAll(fake, 0o700); err != nil {
				t.Fatal(err)
			}
			script := "#!/bin/sh\necho \"$*\" >>'" + calls + "'\n" +
				"if [ \"$2\" = '" + tt.failOn + "' ]; then echo 'Failed to enable unit: boom' >&2; exit 1; fi\n"
			if err := os.WriteFile(filepath.Join(fake, "systemctl"), []byte(script), 0o700); err != nil {
				t.Fatal(err)
			}
			env, _ := goEnv()
			h.Setenv("PATH", fake+":"+env["PATH"])

			res := runSetup(t, h, "--prefix", prefix)
			mustExit(t, "setup with a systemd user manager", res, tt.wantCode)
			if got := strings.Split(strings.TrimSpace(readFile(t, calls)), "\n"); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("systemctl calls = %q, want %q", got, tt.wantCalls)
			}
			if !strings.Contains(res.Stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to say %q", res.Stderr, tt.wantStderr)
			}
			if tt.wantCode != 0 {
				if !strings.Contains(res.Stderr, "boom") {
					t.Errorf("stderr = %q, want systemctl's own message", res.Stderr)
				}
				return
			}
			if !strings.Contains(res.Stdout, "enabled and started vault-token-renew.timer") {
				t.Errorf("setup does not say it enabled the timer:\n%s", res.Stdout)
			}
			if err := os.Remove(calls); err != nil {
				t.Fatal(err)
			}
			mustSetup(t, h, "--prefix", prefix, "--uninstall")
			want := []string{"--user show-environment", "--user disable --now vault-token-renew.timer", "--user daemon-reload"}
			if got := strings.Split(strings.TrimSpace(readFile(t, calls)), "\n"); !slices.Equal(got, want) {
				t.Errorf("systemctl calls of uninstall = %q, want %q", got, want)
			}
			for _, name := range []string{serviceUnit, timerUnit} {
				if p := filepath.Join(unitDir(h), name); exists(t, p) {
					t.Errorf("%s still exists after uninstall", p)
				}
			}
		})
	}
}

// Bad arguments: one line saying what is wrong, the usage, exit 2, and
// nothing written. install.sh passes its arguments through.
func TestInstallBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, `unknown argument "--bogus"`},
		{"prefix without a value", []string{"--prefix"}, "--prefix needs a directory"},
		{"empty prefix", []string{"--prefix="}, "--prefix needs a directory"},
		{"extra argument", []string{"--no-timer", "now"}, `unknown argument "now"`},
		{"unknown flag with uninstall", []string{"--uninstall", "-x"}, `unknown argument "-x"`},
		{"unknown CLI", []string{"--cli", "consul"}, `--cli "consul": want vault, bao or both`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			res := runSetup(t, h, tt.args...)
			checkBadArguments(t, h, prefix, "setup "+strings.Join(tt.args, " "), res, tt.want)
		})
	}
	t.Run("install.sh", func(t *testing.T) {
		t.Parallel()
		h, prefix := installHome(t, nil)
		res := runInstall(t, h, "--bogus")
		checkBadArguments(t, h, prefix, "install.sh --bogus", res, `unknown argument "--bogus"`)
	})
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		h, _ := installHome(t, nil)
		res := runSetup(t, h, "--help")
		mustExit(t, "setup --help", res, 0)
		if !strings.HasPrefix(res.Stdout, "usage: ") || res.Stderr != "" {
			t.Errorf("setup --help: got %s, want the usage on stdout only", res)
		}
	})
}

func checkBadArguments(t *testing.T, h *vaulttest.Home, prefix, what string, res vaulttest.Result, want string) {
	t.Helper()
	mustExit(t, what, res, 2)
	first, rest, _ := strings.Cut(res.Stderr, "\n")
	if want := "vault-token-helper setup: " + want; first != want {
		t.Errorf("first line of stderr = %q, want %q", first, want)
	}
	if !strings.HasPrefix(rest, "usage: ") {
		t.Errorf("stderr does not go on with the usage:\n%s", res.Stderr)
	}
	if res.Stdout != "" {
		t.Errorf("stdout = %q, want nothing", res.Stdout)
	}
	for _, p := range []string{h.VaultCfg, configPath(h), prefix} {
		if exists(t, p) {
			t.Errorf("%s was written on bad arguments", p)
		}
	}
}

// The shipped units, with the bin dir substituted, pass
// systemd-analyze verify, as user units when a user manager can be set
// up for the check, else as system units. A broken copy must fail, so
// the check cannot pass by not looking. systemd-analyze is required (CI
// installs the systemd package): without it the test fails.
func TestInstallUnitsVerify(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatalf("systemd-analyze not found (install the systemd package): %v", err)
	}
	bindir := filepath.Dir(bins.Renew)
	// What setup writes is what is in contrib/systemd (go:embed).
	for name, got := range systemd.Units(bindir) {
		if want := unitTemplate(t, name, bindir); got != want {
			t.Errorf("embedded %s differs from contrib/systemd/%s", name, name)
		}
	}
	for _, name := range []string{serviceUnit, timerUnit} {
		tmpl := readFile(t, filepath.Join(filepath.Dir(installScript(t)), "contrib", "systemd", name))
		if name != serviceUnit {
			continue
		}
		if !strings.Contains(tmpl, "\nExecStart="+bindirToken+"/vault-token-renew\n") {
			t.Errorf("%s has no ExecStart=%s/vault-token-renew", name, bindirToken)
		}
		documented := slices.ContainsFunc(strings.Split(tmpl, "\n"), func(l string) bool {
			return strings.HasPrefix(l, "#") && strings.Contains(l, bindirToken)
		})
		if !documented {
			t.Errorf("%s does not explain %s in a comment", name, bindirToken)
		}
	}
	tests := []struct {
		name   string
		break_ func(service, timer string) (string, string)
		wantOK bool
	}{
		{"shipped", func(svc, tmr string) (string, string) { return svc, tmr }, true},
		{"unknown key", func(svc, tmr string) (string, string) {
			return strings.Replace(svc, "[Service]\n", "[Service]\nExecStartt=/bin/true\n", 1), tmr
		}, false},
		{"bad calendar", func(svc, tmr string) (string, string) {
			return svc, strings.Replace(tmr, "OnCalendar=daily", "OnCalendar=every day", 1)
		}, false},
		{"missing binary", func(svc, tmr string) (string, string) {
			return strings.ReplaceAll(svc, bindir, bindir+"/nowhere"), tmr
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			service, timer := tt.break_(unitTemplate(t, serviceUnit, bindir), unitTemplate(t, timerUnit, bindir))
			writeFile(t, filepath.Join(dir, serviceUnit), service)
			writeFile(t, filepath.Join(dir, timerUnit), timer)
			complaints, mode := verifyUnits(t, analyze, dir)
			t.Logf("systemd-analyze verify %s", mode)
			if tt.wantOK && len(complaints) > 0 {
				t.Errorf("systemd-analyze verify %s: got complaints, want none:\n%s", mode, strings.Join(complaints, "\n"))
			}
			if !tt.wantOK && len(complaints) == 0 {
				t.Errorf("systemd-analyze verify %s: got no complaint about a broken unit, want one", mode)
			}
		})
	}
}

// verifyUnits runs systemd-analyze verify on the two units in dir and
// returns the lines of its output about them (it warns about unknown
// keys and bad values but exits 0) plus its exit status when it is not
// 0. It verifies them as user units with a private runtime directory;
// when no user manager can be set up that way (it needs one even to
// verify), as system units.
func verifyUnits(t *testing.T, analyze, dir string) ([]string, string) {
	t.Helper()
	run := func(user bool) (string, error) {
		args := []string{"verify", "--man=no"}
		if user {
			args = append(args, "--user")
		}
		cmd := exec.Command(analyze, append(args, filepath.Join(dir, serviceUnit), filepath.Join(dir, timerUnit))...)
		home := filepath.Join(dir, "home")
		run := filepath.Join(dir, "run")
		for _, d := range []string{home, run} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + home, "XDG_RUNTIME_DIR=" + run, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mode := "--user"
	out, err := run(true)
	if err != nil && strings.Contains(out, "Failed to initialize manager") {
		t.Logf("systemd-analyze verify --user cannot run here (%s); verifying as system units", strings.TrimSpace(out))
		mode = "(system)"
		out, err = run(false)
	}
	var complaints []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "vault-token-renew") {
			complaints = append(complaints, line)
		}
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("run systemd-analyze: %v", err)
		}
		complaints = append(complaints, "exit: "+err.Error(), out)
	}
	return complaints, mode
}

// Security review, HIGH: once ~/.vault names the helper, ~/.vault-token is
// its mirror of the periodic token. A later setup that adds ~/.bao (bao
// newly on PATH, --cli both) with VAULT_ADDR pointing at another server
// must not send it there (lookup-self), nor store it for the default
// address when VAULT_ADDR is unset.
func TestSetupNeverSendsTheMirror(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	for _, unset := range []bool{false, true} {
		name := "VAULT_ADDR another server"
		if unset {
			name = "VAULT_ADDR unset"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, s)
			h.Setenv("BAO_CONFIG_PATH", filepath.Join(h.Dir, ".bao"))
			mustSetup(t, h, "--prefix", prefix, "--cli", "vault", "--scheduler", "none")
			mustExit(t, "vault login as admin", h.LoginUserpass(t, "admin"), 0)
			mirror := readFile(t, h.TokenFile())
			if mirror == "" {
				t.Fatalf("no mirror in ~/.vault-token after the login")
			}
			other := vaulttest.StartProxy(t, s) // stands for another server
			if unset {
				h.Unsetenv("VAULT_ADDR")
			} else {
				h.Setenv("VAULT_ADDR", other.Addr)
			}
			res := mustSetup(t, h, "--prefix", prefix, "--cli", "both", "--scheduler", "none")
			noToken(t, "setup output", res.Stdout+res.Stderr, mirror)
			if n := other.Counts(); len(n) != 0 {
				t.Errorf("the other server got requests %v, want none", n)
			}
			if !strings.Contains(res.Stdout, "left "+h.TokenFile()+" to the helper") {
				t.Errorf("setup does not say it left ~/.vault-token to the helper:\n%s", res.Stdout)
			}
			if got, want := readFile(t, filepath.Join(h.Dir, ".bao")), tokenHelperLine(filepath.Join(prefix, "bin"))+"\n"; got != want {
				t.Errorf("~/.bao = %q, want %q", got, want)
			}
			if got := helperGet(t, h); got == mirror {
				t.Errorf("vault-token-helper get for %s prints the mirror: setup stored it there", name)
			}
		})
	}
}

// Security review, MEDIUM: with --force, setup replaces another
// program's token_helper but does not keep ~/.vault-token (the CLI's token
// is in the other helper's store; the file may be for another server),
// and says uninstall does not restore the other helper.
func TestSetupForceReplacesAnotherHelper(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	other := standInHelper(t, h)
	writeFile(t, h.VaultCfg, `token_helper = "`+other+`"`+"\n")
	stale := s.Login(t, "admin")
	writeFile(t, h.TokenFile(), stale)

	res := runSetup(t, h, "--prefix", prefix, "--no-timer")
	mustExit(t, "setup over another helper", res, 1)
	if strings.Count(res.Stderr, "\n") != 1 || !strings.Contains(res.Stderr, other) || !strings.Contains(res.Stderr, "--force") {
		t.Errorf("stderr = %q, want one line naming the other helper and --force", res.Stderr)
	}
	if got := readFile(t, h.VaultCfg); !strings.Contains(got, other) {
		t.Errorf("~/.vault after the refusal = %q, want it untouched", got)
	}
	if exists(t, filepath.Join(prefix, "bin", "vault-token-helper")) {
		t.Errorf("the refused setup installed the binaries")
	}

	res = mustSetup(t, h, "--prefix", prefix, "--no-timer", "--force")
	noToken(t, "setup output", res.Stdout+res.Stderr, stale)
	if got, want := readFile(t, h.VaultCfg), tokenHelperLine(filepath.Join(prefix, "bin"))+"\n"; got != want {
		t.Errorf("~/.vault = %q, want %q", got, want)
	}
	if bk := backups(t, h.VaultCfg); len(bk) != 1 || !strings.Contains(readFile(t, bk[0]), other) {
		t.Errorf("backups %v, want one naming the other helper", bk)
	}
	if !strings.Contains(res.Stdout, "does not restore") || !strings.Contains(res.Stdout, "left "+h.TokenFile()+" alone") {
		t.Errorf("setup --force does not say what it left and what uninstall does not restore:\n%s", res.Stdout)
	}
	if got := helperGet(t, h); got != "" {
		t.Errorf("vault-token-helper get after setup --force prints a token, want none kept")
	}
}
