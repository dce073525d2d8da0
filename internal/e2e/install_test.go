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

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Tests of install.sh: it is run as a user would run it, from another
// directory, in a fresh HOME, building with the machine's Go.

// defaultDisplayName is the display name Vault gives the periodic token
// under the default configuration install.sh writes.
const defaultDisplayName = "token-vault-token-helper"

// Unit file names and the placeholder of the templates in contrib/systemd.
const (
	serviceUnit = "vault-token-renew.service"
	timerUnit   = "vault-token-renew.timer"
	bindirToken = "@BINDIR@"
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
// CLI has no token helper yet, ready to run install.sh, and the prefix
// to install into (outside HOME).
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

// mustInstall runs install.sh and fails the test unless it exits 0 with
// nothing on stderr.
func mustInstall(t *testing.T, h *vaulttest.Home, args ...string) vaulttest.Result {
	t.Helper()
	res := runInstall(t, h, args...)
	mustExit(t, "install.sh "+strings.Join(args, " "), res, 0)
	if res.Stderr != "" {
		t.Errorf("install.sh %s: got stderr %q, want none", strings.Join(args, " "), res.Stderr)
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

// backups lists the backups install.sh made of the Vault CLI config.
func backups(t *testing.T, h *vaulttest.Home) []string {
	t.Helper()
	m, err := filepath.Glob(h.VaultCfg + ".bak-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tokenHelperLine(bindir string) string {
	return `token_helper = "` + filepath.Join(bindir, "vault-token-helper") + `"`
}

func unitDir(h *vaulttest.Home) string { return filepath.Join(h.ConfigHome, "systemd", "user") }

// unitTemplate is a shipped unit file with the bin dir substituted, as
// install.sh writes it.
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

// A fresh install: binaries that run, token_helper set, a valid default
// config, the units; then a real `vault login` mints through the
// installed helper.
func TestInstallFresh(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	bindir := filepath.Join(prefix, "bin")
	res := mustInstall(t, h, "--prefix", prefix)
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
			version, ok := strings.CutPrefix(strings.TrimSpace(r.Stdout), name+" ")
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
	if n := len(backups(t, h)); n != 0 {
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

// Lines of ~/.vault are kept, an old token_helper is replaced, a changed
// file is backed up once, and a second run changes nothing.
func TestInstallVaultConfigAndSecondRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		initial *string // nil: no file
		mode    os.FileMode
		symlink bool // ~/.vault is a symlink to the file, as dotfiles managers make it
		want    func(line string) string
		backups int
	}{
		{"no file", nil, 0o600, false, func(l string) string { return l + "\n" }, 0},
		{"comment and other lines, mode kept",
			ptr("# my Vault CLI settings\n\nfoo = \"bar\"\n"), 0o644, false,
			func(l string) string { return "# my Vault CLI settings\n\nfoo = \"bar\"\n" + l + "\n" }, 1},
		{"old token_helper replaced in place",
			ptr("# comment\n  token_helper=\"/opt/old/vault-token-helper\"\nfoo = \"bar\"\n"), 0o600, false,
			func(l string) string { return "# comment\n" + l + "\nfoo = \"bar\"\n" }, 1},
		{"duplicate token_helper lines",
			ptr("token_helper = \"/a\"\n# between\ntoken_helper = \"/b\"\n"), 0o600, false,
			func(l string) string { return l + "\n# between\n" }, 1},
		{"no final newline",
			ptr("# comment"), 0o600, false,
			func(l string) string { return "# comment\n" + l + "\n" }, 1},
		{"symlink edited where it points",
			ptr("# dotfiles\n"), 0o600, true,
			func(l string) string { return "# dotfiles\n" + l + "\n" }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			file := h.VaultCfg // the file itself, where a symlink points
			if tt.symlink {
				file = filepath.Join(filepath.Dir(h.Dir), "dotfiles-vault")
				if err := os.Symlink(file, h.VaultCfg); err != nil {
					t.Fatal(err)
				}
			}
			if tt.initial != nil {
				writeFile(t, file, *tt.initial)
				if err := os.Chmod(file, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			mustInstall(t, h, "--prefix", prefix)
			want := tt.want(tokenHelperLine(filepath.Join(prefix, "bin")))
			first := readFile(t, file)
			if first != want {
				t.Errorf("~/.vault after install = %q, want %q", first, want)
			}
			if got := fileMode(t, file); got != tt.mode {
				t.Errorf("mode of ~/.vault after install = %v, want %v", got, tt.mode)
			}
			if tt.symlink && fileMode(t, h.VaultCfg)&fs.ModeSymlink == 0 {
				t.Errorf("~/.vault is no longer a symlink")
			}
			bk, err := filepath.Glob(file + ".bak-*")
			if err != nil {
				t.Fatal(err)
			}
			if len(bk) != tt.backups {
				t.Fatalf("backups after install = %v, want %d", bk, tt.backups)
			}
			if len(bk) == 1 {
				if got := readFile(t, bk[0]); got != *tt.initial {
					t.Errorf("backup %s = %q, want the original %q", bk[0], got, *tt.initial)
				}
			}
			cfg := readFile(t, configPath(h))
			units := readFile(t, filepath.Join(unitDir(h), serviceUnit)) + readFile(t, filepath.Join(unitDir(h), timerUnit))

			res := mustInstall(t, h, "--prefix", prefix)
			if got := readFile(t, file); got != first {
				t.Errorf("~/.vault after a second run = %q, want it unchanged %q", got, first)
			}
			if got, _ := filepath.Glob(file + ".bak-*"); !slices.Equal(got, bk) {
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

// An existing ~/.vault-token is adopted when it holds a periodic token
// of ours and left alone otherwise, and no token is ever printed.
func TestInstallAdoptsExistingToken(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	ours, _ := s.MintPeriodic(t, "vault-token-helper", vaulttest.AdminPolicy, vaulttest.SopsPolicy)
	otherName, _ := s.MintPeriodic(t, "someone-else", vaulttest.AdminPolicy)
	tests := []struct {
		name    string
		token   string
		adopted bool
		say     string
	}{
		{"periodic token of ours", ours, true, "adopted"},
		{"userpass login token", s.Login(t, "admin"), false, "left"},
		{"periodic token with another name", otherName, false, "left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, s)
			writeFile(t, h.TokenFile(), tt.token)
			res := mustInstall(t, h, "--prefix", prefix, "--no-timer")
			if !strings.Contains(res.Stdout, tt.say) {
				t.Errorf("install.sh does not say %q:\n%s", tt.say, res.Stdout)
			}
			noToken(t, "install.sh output", res.Stdout+res.Stderr, tt.token)
			got := helperGet(t, h)
			switch {
			case tt.adopted && got != tt.token:
				t.Errorf("vault-token-helper get after install does not print the adopted token")
			case !tt.adopted && got != "":
				t.Errorf("vault-token-helper get after install prints a token, want none stored")
			}
			if got := readFile(t, h.TokenFile()); got != tt.token {
				t.Errorf("~/.vault-token changed")
			}
		})
	}
}

// --uninstall leaves the CLI working with its built-in helper and the
// periodic token, and removes everything else install.sh added.
func TestInstallUninstall(t *testing.T) {
	t.Parallel()
	s := vaulttest.Start(t)
	h, prefix := installHome(t, s)
	bindir := filepath.Join(prefix, "bin")
	const kept = "# my Vault CLI settings\n\n"
	writeFile(t, h.VaultCfg, kept)
	mustInstall(t, h, "--prefix", prefix)
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
		res := runInstall(t, h, "--prefix", prefix, "--uninstall")
		mustExit(t, "install.sh --uninstall with a symlinked ~/.vault-token", res, 1)
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
	res := mustInstall(t, h, "--prefix", prefix, "--uninstall")
	noToken(t, "install.sh --uninstall output", res.Stdout+res.Stderr, periodic, login)

	if got := readFile(t, h.VaultCfg); got != kept {
		t.Errorf("~/.vault after uninstall = %q, want %q", got, kept)
	}
	if bk := backups(t, h); len(bk) != 2 {
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
}

// With a systemd user manager, install enables the timer and uninstall
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

			res := runInstall(t, h, "--prefix", prefix)
			mustExit(t, "install.sh with a systemd user manager", res, tt.wantCode)
			if got := strings.Split(strings.TrimSpace(readFile(t, calls)), "\n"); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("systemctl calls = %q, want %q", got, tt.wantCalls)
			}
			if !strings.Contains(res.Stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to say %q", res.Stderr, tt.wantStderr)
			}
			if tt.wantCode != 0 {
				return
			}
			if !strings.Contains(res.Stdout, "enabled and started vault-token-renew.timer") {
				t.Errorf("install.sh does not say it enabled the timer:\n%s", res.Stdout)
			}
			if err := os.Remove(calls); err != nil {
				t.Fatal(err)
			}
			mustInstall(t, h, "--prefix", prefix, "--uninstall")
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
// nothing built or written.
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, prefix := installHome(t, nil)
			res := runInstall(t, h, tt.args...)
			mustExit(t, "install.sh "+strings.Join(tt.args, " "), res, 2)
			first, rest, _ := strings.Cut(res.Stderr, "\n")
			if want := "install.sh: " + tt.want; first != want {
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
		})
	}
	t.Run("help", func(t *testing.T) {
		t.Parallel()
		h, _ := installHome(t, nil)
		res := runInstall(t, h, "--help")
		mustExit(t, "install.sh --help", res, 0)
		if !strings.HasPrefix(res.Stdout, "usage: ") || res.Stderr != "" {
			t.Errorf("install.sh --help: got %s, want the usage on stdout only", res)
		}
	})
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
