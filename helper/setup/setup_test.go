package setup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/sched"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// fakeTool records what setup asks of the rest of the tool. The real one
// (package helper) is tested end to end in internal/e2e.
type fakeTool struct {
	raw        string
	keepErr    error
	keepRes    heal.KeepResult
	kept       []string // tokens passed to Keep
	unchecked  []string // tokens passed to KeepUnchecked
	uninstallT string
	stored     map[string]string // token → the address it is stored for
	onKeep     func()            // runs in Keep (while setup is between steps)
}

func (f *fakeTool) StoredFor(tok string) (store.Key, bool) {
	addr, ok := f.stored[tok]
	if !ok {
		return store.Key{}, false
	}
	k, _ := store.NewKey(addr, "")
	return k, true
}

func (f *fakeTool) Addr() (string, store.Key, error) {
	k, err := store.NewKey(f.raw, "")
	return f.raw, k, err
}

func (f *fakeTool) CheckConfig(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !strings.Contains(string(b), "mirror = true") {
		return errors.New("not the default config")
	}
	return nil
}

func (f *fakeTool) Keep(_ context.Context, tok string) (heal.KeepResult, error) {
	if f.onKeep != nil {
		f.onKeep()
	}
	f.kept = append(f.kept, tok)
	return f.keepRes, f.keepErr
}

func (f *fakeTool) KeepUnchecked(_ context.Context, tok string) (heal.Result, error) {
	f.unchecked = append(f.unchecked, tok)
	return heal.Result{Event: heal.EventPassthrough}, nil
}

func (f *fakeTool) UninstallToken() (store.Key, string, error) {
	k, _ := store.NewKey(f.raw, "")
	return k, f.uninstallT, nil
}

type world struct {
	env    Env
	tool   *fakeTool
	home   string
	prefix string
}

func newWorld(t *testing.T, raw string) *world {
	t.Helper()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	src := filepath.Join(dir, "build")
	for _, d := range []string{home, src} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{HelperName, FullName, RenewName} {
		if err := os.WriteFile(filepath.Join(src, n), []byte("#!/bin/sh\necho "+n+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tool := &fakeTool{raw: raw}
	vars := map[string]string{"VAULT_CONFIG_PATH": filepath.Join(home, ".vault"), "PATH": "/usr/bin:/bin"}
	return &world{
		tool:   tool,
		home:   home,
		prefix: filepath.Join(dir, "opt"),
		env: Env{
			LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
			Paths: Paths{
				Home:      home,
				Config:    filepath.Join(home, ".config", "vault-token-helper", "config.hcl"),
				Data:      filepath.Join(home, ".local", "share", "vault-token-helper"),
				UnitDir:   filepath.Join(home, ".config", "systemd", "user"),
				TokenFile: filepath.Join(home, ".vault-token"),
			},
			Cwd:       home,
			BinSource: src,
			LookPath:  func(string) (string, error) { return "", errors.New("not found") },
			Systemctl: func(...string) (string, error) { return "", errors.New("no manager") },
			Now:       func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) },
			Tool:      tool,
		},
	}
}

func (w *world) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut, w.env)
	return code, out.String(), errOut.String()
}

// snapshot is every file under dir with its content and mode.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[p] = fmt.Sprintf("%v %s", fi.Mode(), b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSetupIdempotentAndUninstall(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "https://vault.example.com:8200")
	code, out, errOut := w.run(t, "--prefix", w.prefix)
	if code != ExitOK || errOut != "" {
		t.Fatalf("setup: exit %d, stderr %q\n%s", code, errOut, out)
	}
	bin := filepath.Join(w.prefix, "bin", HelperName)
	if got, want := readOrEmpty(t, filepath.Join(w.home, ".vault")), "token_helper = \""+bin+"\"\n"; got != want {
		t.Errorf("~/.vault = %q, want %q", got, want)
	}
	if !strings.Contains(readOrEmpty(t, w.env.Paths.Config), `mirror_address = "https://vault.example.com:8200"`) {
		t.Errorf("the default config has no mirror_address")
	}
	for _, n := range []string{"vault-token-renew.service", "vault-token-renew.timer"} {
		if s := readOrEmpty(t, filepath.Join(w.env.Paths.UnitDir, n)); s == "" || strings.Contains(s, "@BINDIR@") {
			t.Errorf("unit %s = %q, want the template with the bin dir", n, s)
		}
	}
	before := snapshot(t, filepath.Dir(w.home))
	code, out, _ = w.run(t, "--prefix", w.prefix)
	if code != ExitOK {
		t.Fatalf("second setup: exit %d\n%s", code, out)
	}
	if after := snapshot(t, filepath.Dir(w.home)); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the second run changed files:\nbefore %v\nafter  %v", before, after)
	}

	code, out, errOut = w.run(t, "--prefix", w.prefix, "--uninstall")
	if code != ExitOK || errOut != "" {
		t.Fatalf("uninstall: exit %d, stderr %q\n%s", code, errOut, out)
	}
	if _, err := os.Lstat(filepath.Join(w.home, ".vault")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("~/.vault after uninstall: got %v, want it removed (setup created it)", err)
	}
	if bk, _ := filepath.Glob(filepath.Join(w.home, ".vault.bak-*")); len(bk) != 0 {
		t.Errorf("backups after uninstall: got %v, want none (setup created the file)", bk)
	}
	for _, n := range []string{HelperName, FullName, RenewName} {
		if _, err := os.Lstat(filepath.Join(w.prefix, "bin", n)); err == nil {
			t.Errorf("%s still installed", n)
		}
	}
}

func readOrEmpty(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

// What setup does with the token in ~/.vault-token for each answer of
// the healer; in every case where the CLI would lose it, it stops before
// ~/.vault names the helper.
func TestSetupKeepToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		raw           string
		keepErr       error
		keepRes       heal.KeepResult
		wantCode      int
		wantKept      bool
		wantUnchecked bool
		say           string
	}{
		{"passthrough", "https://v:8200", nil, heal.KeepResult{Result: heal.Result{Event: heal.EventPassthrough, Accessor: "acc1"}, Info: heal.TokenInfo{DisplayName: "userpass-admin"}},
			0, true, false, "as passed through"},
		{"adopted", "https://v:8200", nil, heal.KeepResult{Result: heal.Result{Event: heal.EventAdopted, Accessor: "acc1"}}, 0, true, false, "adopted"},
		{"Vault unreachable: kept unchecked", "https://v:8200", fmt.Errorf("check: %w", heal.ErrUnavailable), heal.KeepResult{}, 0, true, true, "without checking it"},
		{"no address: kept unchecked without asking", "", nil, heal.KeepResult{}, 0, false, true, "no address is set"},
		{"invalid token: left alone", "https://v:8200", heal.ErrInvalidToken, heal.KeepResult{}, 0, true, false, "does not accept"},
		{"lock error: stop before ~/.vault", "https://v:8200", store.ErrLocked, heal.KeepResult{}, 1, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tt.raw)
			w.tool.keepErr, w.tool.keepRes = tt.keepErr, tt.keepRes
			if err := os.WriteFile(w.env.Paths.TokenFile, []byte("s.secret-token\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := w.run(t, "--prefix", w.prefix, "--no-timer")
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			if strings.Contains(out+errOut, "s.secret-token") {
				t.Errorf("setup printed the token")
			}
			if got := len(w.tool.kept) > 0; got != tt.wantKept {
				t.Errorf("Keep called = %v, want %v", got, tt.wantKept)
			}
			if got := len(w.tool.unchecked) > 0; got != tt.wantUnchecked {
				t.Errorf("KeepUnchecked called = %v, want %v", got, tt.wantUnchecked)
			}
			if tt.wantKept && w.tool.kept[0] != "s.secret-token" {
				t.Errorf("Keep got %q, want the token without surrounding white space", w.tool.kept[0])
			}
			if !strings.Contains(out, tt.say) {
				t.Errorf("stdout does not say %q:\n%s", tt.say, out)
			}
			_, err := os.Lstat(filepath.Join(w.home, ".vault"))
			if configured := err == nil; configured != (tt.wantCode == 0) {
				t.Errorf("~/.vault written = %v, want %v", configured, tt.wantCode == 0)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want options
		err  string
	}{
		{nil, options{}, ""},
		{[]string{"--prefix", "/p", "--cli=bao", "--no-timer"}, options{prefix: "/p", cli: "bao", noTimer: true}, ""},
		{[]string{"--prefix=/p", "--cli", "both", "--uninstall"}, options{prefix: "/p", cli: "both", uninstall: true}, ""},
		{[]string{"--force", "--cli", "vault"}, options{cli: "vault", force: true}, ""},
		{[]string{"--prefix"}, options{}, "--prefix needs a directory"},
		{[]string{"--cli", "nomad"}, options{}, `--cli "nomad": want vault, bao or both`},
		{[]string{"extra"}, options{}, `unknown argument "extra"`},
		{[]string{"-scheduler", "cron", "-force"}, options{scheduler: sched.Cron, force: true}, ""},
		{[]string{"--scheduler=none"}, options{scheduler: sched.None}, ""},
		{[]string{"--scheduler", "at"}, options{}, `--scheduler "at": want systemd, launchd, cron, schtasks or none`},
		{[]string{"--scheduler"}, options{}, "--scheduler needs a value (KIND)"},
		{[]string{"--uninstall=yes"}, options{}, "--uninstall takes no value"},
		{[]string{"--prefix="}, options{}, "--prefix needs a directory"},
	}
	for _, tt := range tests {
		got, _, err := parseArgs(tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseArgs(%q): got error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

// Every flag of Flags (what the help, completions and man page show)
// is accepted by parseArgs and means something there.
func TestParseArgsAcceptsEveryFlag(t *testing.T) {
	t.Parallel()
	for _, f := range Flags() {
		args := []string{"--" + f.Name}
		if f.Arg != "" {
			v := "/p"
			if len(f.Values) > 0 && f.Values[0] != "file" {
				v = f.Values[0]
			}
			args = append(args, v)
		}
		got, help, err := parseArgs(args)
		if err != nil || help {
			t.Errorf("parseArgs(%q): error %v (help %v), want it accepted", args, err, help)
		}
		if got == (options{}) {
			t.Errorf("parseArgs(%q) set nothing", args)
		}
	}
}

// Which CLI config files setup edits: --cli, bao on PATH, and one file
// named by both CLIs edited once.
func TestSetupCLIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cli       string
		baoOnPath bool
		env       map[string]string
		want      []string
	}{
		{"default without bao", "", false, nil, []string{"vault /h/.vault"}},
		{"default with bao on PATH", "", true, nil, []string{"vault /h/.vault", "bao /h/.bao"}},
		{"--cli bao", "bao", false, nil, []string{"bao /h/.bao"}},
		{"--cli vault with bao on PATH", "vault", true, nil, []string{"vault /h/.vault"}},
		{"--cli both, one file for both", "both", false, map[string]string{"VAULT_CONFIG_PATH": "/etc/cli.hcl"}, []string{"vault and bao /etc/cli.hcl"}},
		{"--cli both, BAO_CONFIG_PATH", "both", false, map[string]string{"VAULT_CONFIG_PATH": "/etc/cli.hcl", "BAO_CONFIG_PATH": "/etc/bao.hcl"}, []string{"vault /etc/cli.hcl", "bao /etc/bao.hcl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &run{opt: options{cli: tt.cli}, env: Env{
				LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
				Paths:     Paths{Home: "/h"},
				Cwd:       "/h",
				LookPath: func(string) (string, error) {
					if tt.baoOnPath {
						return "/usr/bin/bao", nil
					}
					return "", errors.New("not found")
				},
			}}
			var got []string
			for _, c := range r.clis() {
				got = append(got, c.Name+" "+c.Path)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("clis() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSetupEndsHonestly: with no systemd user manager and no crontab the
// last line is a WARNING naming what to do; with a manager that runs the
// timer there is none.
func TestSetupEndsHonestly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "https://vault.example.com:8200")
	code, out, _ := w.run(t, "--prefix", w.prefix)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if code != ExitOK || !strings.HasPrefix(last, "WARNING: ") || !strings.Contains(last, "lazy renew") || !strings.Contains(last, "systemctl --user") {
		t.Errorf("got exit %d, last line %q, want a WARNING naming the alternatives and the command\n%s", code, last, out)
	}

	w = newWorld(t, "https://vault.example.com:8200")
	w.env.LookPath = func(name string) (string, error) {
		if name == "crontab" {
			return "/usr/bin/crontab", nil
		}
		return "", errors.New("not found")
	}
	w.env.Sched.Run = func(context.Context, []byte, string, ...string) (string, error) { return "", nil } // an empty crontab
	_, out, _ = w.run(t, "--prefix", w.prefix)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	last = lines[len(lines)-1]
	if want := "setup --scheduler cron"; !strings.HasPrefix(last, "WARNING: ") || !strings.Contains(last, want) {
		t.Errorf("with crontab: got last line %q, want a WARNING with %q", last, want)
	}

	w = newWorld(t, "https://vault.example.com:8200")
	w.env.LookPath = func(name string) (string, error) {
		if name == "systemctl" {
			return "/usr/bin/systemctl", nil
		}
		return "", errors.New("not found")
	}
	w.env.Systemctl = func(args ...string) (string, error) {
		if args[0] == "show" {
			return "UnitFileState=enabled\nActiveState=active\n", nil
		}
		return "", nil
	}
	_, out, _ = w.run(t, "--prefix", w.prefix, "--scheduler", "systemd")
	if strings.Contains(out, "WARNING") {
		t.Errorf("with an active timer: got\n%s\nwant no WARNING", out)
	}
}

// Security review, HIGH: once any CLI config names our helper,
// ~/.vault-token is the helper's mirror of the periodic token; setup never
// sends it (Keep: lookup-self at VAULT_ADDR) nor stores it for another
// address, whichever CLI this run adds.
func TestSetupNeverKeepsTheMirror(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		vault  string // ~/.vault; BIN is the helper this run installs
		bao    string // ~/.bao; "" for none
		args   []string
		stored bool // the store holds the token of ~/.vault-token
	}{
		{"~/.vault ours, --cli both adds ~/.bao", "http://other:8200", `token_helper = "BIN"`, "", []string{"--cli", "both"}, false},
		{"~/.vault ours, --cli both, no VAULT_ADDR", "", `token_helper = "BIN"`, "", []string{"--cli", "both"}, false},
		{"~/.vault ours, --cli bao", "http://other:8200", `token_helper = "BIN"`, "", []string{"--cli", "bao"}, false},
		{"~/.bao ours, --cli vault", "http://other:8200", "", `token_helper = "BIN"`, []string{"--cli", "vault"}, false},
		{"~/.vault names an earlier install", "http://other:8200", `token_helper = "/opt/old/bin/vault-token-helper"`, "", nil, false},
		{"the token is one the store holds", "http://other:8200", "", "", nil, true},
		{"the token is one the store holds, no VAULT_ADDR", "", "", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, tt.raw)
			bin := filepath.Join(w.prefix, "bin", HelperName)
			w.env.LookupEnv = func(k string) (string, bool) {
				v, ok := map[string]string{"PATH": "/usr/bin:/bin"}[k]
				return v, ok
			}
			for p, c := range map[string]string{".vault": tt.vault, ".bao": tt.bao} {
				if c != "" {
					if err := os.WriteFile(filepath.Join(w.home, p), []byte(strings.ReplaceAll(c, "BIN", bin)+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tt.stored {
				w.tool.stored = map[string]string{"s.mirror-token": "https://vault.example.com:8200"}
			}
			if err := os.WriteFile(w.env.Paths.TokenFile, []byte("s.mirror-token\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := w.run(t, append([]string{"--prefix", w.prefix, "--no-timer"}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if len(w.tool.kept) != 0 || len(w.tool.unchecked) != 0 {
				t.Errorf("got Keep %d times, KeepUnchecked %d times; want the mirror never kept", len(w.tool.kept), len(w.tool.unchecked))
			}
			if !strings.Contains(out, "left "+w.env.Paths.TokenFile+" to the helper") {
				t.Errorf("stdout does not say the file is left to the helper:\n%s", out)
			}
			if strings.Contains(out+errOut, "s.mirror-token") {
				t.Errorf("setup printed the token")
			}
		})
	}
}

// Security review, MEDIUM: a token_helper naming another program is not
// replaced without --force; with it, ~/.vault-token (not the CLI's token:
// that is in the other helper's store) is not kept, and the output names
// the backup that uninstall does not restore.
func TestSetupForeignHelper(t *testing.T) {
	t.Parallel()
	for _, force := range []bool{false, true} {
		t.Run(fmt.Sprintf("force=%v", force), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "https://vault.example.com:8200")
			cfg := filepath.Join(w.home, ".vault")
			const other = "token_helper = \"/usr/local/bin/other-helper\"\n"
			if err := os.WriteFile(cfg, []byte(other), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(w.env.Paths.TokenFile, []byte("s.stale-token\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"--prefix", w.prefix, "--no-timer"}
			if force {
				args = append(args, "--force")
			}
			before := snapshot(t, filepath.Dir(w.home))
			code, out, errOut := w.run(t, args...)
			if len(w.tool.kept) != 0 || len(w.tool.unchecked) != 0 {
				t.Errorf("got Keep %d times, KeepUnchecked %d times; want ~/.vault-token never kept", len(w.tool.kept), len(w.tool.unchecked))
			}
			if !force {
				if code != ExitFail || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--force") || !strings.Contains(errOut, "/usr/local/bin/other-helper") {
					t.Fatalf("got exit %d, stderr %q; want 1 and one line naming the helper and --force", code, errOut)
				}
				if after := snapshot(t, filepath.Dir(w.home)); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("a refused setup changed files:\nbefore %v\nafter  %v", before, after)
				}
				return
			}
			if code != ExitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			bin := filepath.Join(w.prefix, "bin", HelperName)
			if got, want := readOrEmpty(t, cfg), "token_helper = \""+bin+"\"\n"; got != want {
				t.Errorf("~/.vault = %q, want %q", got, want)
			}
			bk, _ := filepath.Glob(cfg + ".bak-*")
			if len(bk) != 1 || readOrEmpty(t, bk[0]) != other {
				t.Fatalf("backups %v, want one with the other helper", bk)
			}
			if !strings.Contains(out, "does not restore") || !strings.Contains(out, cfg+".bak-") {
				t.Errorf("stdout does not say uninstall does not restore the other helper:\n%s", out)
			}
		})
	}
}

// ~/.vault changed after setup judged it (here: another helper set while
// the token was kept) is not replaced: setup edits only what it checked.
func TestSetupEditsOnlyWhatItChecked(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "https://vault.example.com:8200")
	w.tool.keepRes = heal.KeepResult{Result: heal.Result{Event: heal.EventPassthrough}}
	cfg := filepath.Join(w.home, ".vault")
	const other = "token_helper = \"/usr/local/bin/other-helper\"\n"
	w.tool.onKeep = func() {
		if err := os.WriteFile(cfg, []byte(other), 0o600); err != nil {
			t.Error(err)
		}
	}
	if err := os.WriteFile(w.env.Paths.TokenFile, []byte("s.token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := w.run(t, "--prefix", w.prefix, "--no-timer")
	if code != ExitFail || !strings.Contains(errOut, "changed while setup was editing it") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("got exit %d, stderr %q; want 1 and one line saying the file changed\n%s", code, errOut, out)
	}
	if got := readOrEmpty(t, cfg); got != other {
		t.Errorf("~/.vault = %q, want the other helper's %q", got, other)
	}
}

// TestSetupThenUninstallIsByteExact: the CLI config file after setup and
// uninstall is the one before, byte for byte; one setup created is gone
// (issue 20, item 9).
func TestSetupThenUninstallIsByteExact(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		initial *string // nil: no file
	}{
		{"no file", nil},
		{"empty file", ptr("")},
		{"no final newline", ptr("# my settings")},
		{"final newline", ptr("# my settings\n\n")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "https://vault.example.com:8200")
			path := filepath.Join(w.home, ".vault")
			if tt.initial != nil {
				if err := os.WriteFile(path, []byte(*tt.initial), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--no-timer"); code != ExitOK {
				t.Fatalf("setup: exit %d, stderr %q\n%s", code, errOut, out)
			}
			// A second setup must not forget that the first created it.
			if code, out, errOut := w.run(t, "--prefix", w.prefix, "--no-timer"); code != ExitOK {
				t.Fatalf("second setup: exit %d, stderr %q\n%s", code, errOut, out)
			}
			code, out, errOut := w.run(t, "--prefix", w.prefix, "--no-timer", "--uninstall")
			if code != ExitOK {
				t.Fatalf("uninstall: exit %d, stderr %q\n%s", code, errOut, out)
			}
			got, err := os.ReadFile(path)
			switch {
			case tt.initial == nil && !errors.Is(err, os.ErrNotExist):
				t.Errorf("~/.vault after uninstall: got %q (%v), want it removed", got, err)
			case tt.initial == nil && !strings.Contains(out, "which setup had created"):
				t.Errorf("uninstall: got\n%s\nwant it to say it removed the file setup created", out)
			case tt.initial != nil && string(got) != *tt.initial:
				t.Errorf("~/.vault after uninstall: got %q (%v), want %q", got, err, *tt.initial)
			}
			if _, err := os.Lstat(filepath.Join(w.env.Paths.Data, createdName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s after uninstall: got %v, want it gone", createdName, err)
			}
		})
	}
}

// TestUninstallNamesPendingRevocations: what the token store still has
// to revoke (an erase while Vault was down) is named by uninstall, with
// the admin command that does it, since renew goes with the binaries
// (issue 21, friction 8).
func TestUninstallNamesPendingRevocations(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "https://vault.example.com:8200")
	if code, out, errOut := w.run(t, "--prefix", w.prefix, "--no-timer"); code != ExitOK {
		t.Fatalf("setup: exit %d, stderr %q\n%s", code, errOut, out)
	}
	files := store.New(w.env.Paths.Data)
	key := store.Key{Addr: "https://vault.example.com:8200"}
	sess, err := files.Lock(context.Background(), key, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sess.Load()
	if err != nil {
		t.Fatal(err)
	}
	st.AddPending(store.Pending{Accessor: "acc-erased", Reason: "erased", LastError: "vault at https://vault.example.com:8200: revoke-self: connection refused", Token: "hvs.erasedsecretsecret"})
	if err := sess.Save(st); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	code, out, errOut := w.run(t, "--prefix", w.prefix, "--no-timer", "--uninstall")
	if code != ExitOK {
		t.Fatalf("uninstall: exit %d, stderr %q\n%s", code, errOut, out)
	}
	want := "note: 1 revocation(s) still pending in the token store, which no vault-token-renew will retry now: acc-erased (https://vault.example.com:8200, erased; last try: vault at https://vault.example.com:8200: revoke-self: connection refused); revoke them as an admin: vault token revoke -accessor acc-erased"
	if !strings.Contains(out, want) {
		t.Errorf("uninstall: got\n%s\nwant %q", out, want)
	}
	if strings.Contains(out+errOut, "hvs.erasedsecretsecret") {
		t.Errorf("uninstall printed the pending token")
	}
}
